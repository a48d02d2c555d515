// The tracking server as a test reads it: the environment a script needs (taken from the workbench the way a
// user takes it, with "Runboard: Copy Tracking Environment") and a small MLflow REST client over that
// environment, for the expected values a test compares the panels with.
import * as h from './harness.mjs';

/** Runs "Runboard: Copy Tracking Environment" and parses the export lines it put on the clipboard. */
export async function copiedTrackingEnv(page) {
  await h.runCommand(page, 'Runboard: Copy Tracking Environment');
  let text = '';
  await h.expectPoll(async () => /^export MLFLOW_TRACKING_URI=/m.test((text = await page.evaluate(() => navigator.clipboard.readText()))), {
    what: 'the export lines on the clipboard',
  });
  const env = {};
  for (const [, name, value] of text.matchAll(/^export (\w+)=(.*)$/gm)) {
    // Values are shell words: bare, or single-quoted with '\'' for a quote.
    env[name] = value.startsWith("'") ? value.slice(1, -1).replace(/'\\''/g, "'") : value;
  }
  return env;
}

/**
 * MLflow REST calls with the credentials of `env` (MLFLOW_TRACKING_URI plus MLFLOW_TRACKING_TOKEN or
 * MLFLOW_TRACKING_USERNAME/PASSWORD), as the Python client would send them.
 */
export function mlflowRest(env) {
  const base = env.MLFLOW_TRACKING_URI.replace(/\/+$/, '');
  const headers = { 'Content-Type': 'application/json' };
  if (env.MLFLOW_TRACKING_TOKEN) headers.Authorization = `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  else if (env.MLFLOW_TRACKING_USERNAME) headers.Authorization = `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64')}`;
  const call = async (method, route, { query, body } = {}) => {
    const url = `${base}/api/2.0/mlflow/${route}${query ? `?${new URLSearchParams(query)}` : ''}`;
    const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text);
  };
  return {
    get: (route, query) => call('GET', route, { query }),
    post: (route, body) => call('POST', route, { body }),
    async run(runId) {
      return (await call('GET', 'runs/get', { query: { run_id: runId } })).run;
    },
    /** Every point of one metric of a run, in step order. */
    async history(runId, key) {
      const { metrics = [] } = await call('GET', 'metrics/get-history', { query: { run_id: runId, metric_key: key } });
      return metrics.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    },
    /** The latest values of a run as { params, metrics, tags } records. */
    async values(runId) {
      const { data } = await this.run(runId);
      const record = (list = []) => Object.fromEntries(list.map((item) => [item.key, item.value]));
      return { params: record(data.params), metrics: record(data.metrics), tags: record(data.tags) };
    },
  };
}
