// One writer process of the concurrency workload: argv = base url, experiment id, index, points per request.
// Creates its run, says 'ready', waits for 'go', then logs back to back until its time is up.
import { client } from '../lib/http.mjs';
import { percentile } from '../lib/stats.mjs';

const [base, experimentId, index, perRequest] = process.argv.slice(2);
const MAX_REQUESTS = 1_000_000;
const api = client(base, { timeoutMs: 60_000 });
let ok = 0;
let errors = 0;
let firstError;
const latencies = [];

let runId;
try {
  runId = (await api.post('runs/create', { experiment_id: experimentId, start_time: Date.now(), run_name: `writer-${index}` })).run.info.run_id;
} catch (error) {
  errors++;
  firstError = String(error.message ?? error);
}
process.send({ type: 'ready' });
const { seconds } = await new Promise((resolve) => process.once('message', resolve));
const deadline = performance.now() + seconds * 1000;
for (let step = 0; runId && step < MAX_REQUESTS && performance.now() < deadline; step++) {
  const metrics = Array.from({ length: Number(perRequest) }, (_, k) => ({ key: `m${k}`, value: Math.sin(step + k), timestamp: 1_700_000_000_000 + step, step }));
  const started = performance.now();
  try {
    await api.post('runs/log-batch', { run_id: runId, metrics });
    ok++;
  } catch (error) {
    errors++;
    firstError ??= String(error.message ?? error);
  }
  latencies.push(performance.now() - started);
}
process.send({ type: 'done', ok, errors, retries: api.stats.retries, firstError, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95) }, () => {
  api.close();
  process.exit(0);
});
