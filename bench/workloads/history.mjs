// History: one metric of N points (1M in full mode) on a REST-created run, bulk-seeded (lib/seed.mjs).
// - full: the whole history through metrics/get-history pages of 25,000 (what the client asks for),
//   following next_page_token to the end; wall time per full read.
// - sampled: metrics/get-history-bulk-interval with max_results=320 (a chart's worth); p50 and p95.
import { seedHistory } from '../lib/seed.mjs';
import { latency, timed } from '../lib/stats.mjs';

const KEY = 'loss';
const PAGE = 25_000;

export async function history(server, api, { points, fullReps, fullMaxSeconds, sampledReps, sampledMaxSeconds, sampledPoints }) {
  const experimentId = (await api.post('experiments/create', { name: 'history' })).experiment_id;
  const runId = (await api.post('runs/create', { experiment_id: experimentId, start_time: Date.now(), run_name: 'long-history' })).run.info.run_id;
  const seeded = performance.now();
  await server.seed(() => seedHistory(server.store, runId, KEY, points));
  const seedSeconds = (performance.now() - seeded) / 1000;

  let fullPoints = 0;
  let pages = 0;
  const readAll = async () => {
    let token;
    let count = 0;
    pages = 0;
    do {
      const page = await api.get('metrics/get-history', { run_id: runId, metric_key: KEY, max_results: PAGE, page_token: token });
      count += page.metrics?.length ?? 0;
      token = page.next_page_token;
      pages++;
    } while (token && pages <= points / PAGE + 2);
    fullPoints = count;
  };
  const full = await timed(readAll, { count: fullReps, maxSeconds: fullMaxSeconds });

  let sampledCount = 0;
  const sample = async () => {
    const body = await api.get('metrics/get-history-bulk-interval', { run_ids: [runId], metric_key: KEY, max_results: sampledPoints });
    sampledCount = body.metrics?.length ?? 0;
  };
  await sample(); // warm
  const sampled = latency(await timed(sample, { count: sampledReps, maxSeconds: sampledMaxSeconds, minCount: 3 }));
  return { points, seedSeconds, full: { ...latency(full), points: fullPoints, pages }, sampled: { ...sampled, points: sampledCount } };
}
