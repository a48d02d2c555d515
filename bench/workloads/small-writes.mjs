// Small writes: runs/log-metric, one point per request, one request at a time; p50 and p95 latency.
// A second, shorter pass opens a new connection per request: mlflow server stalls ~40 ms on every request
// over a kept-alive connection (Nagle vs. delayed ACK; Python's requests.Session sees the same), so this
// pass shows how much of its latency is that stall rather than work.
import { client } from '../lib/http.mjs';
import { latency, timed } from '../lib/stats.mjs';

export async function smallWrites(api, { count, freshCount, maxSeconds }) {
  const runId = (await api.post('runs/create', { experiment_id: '0', start_time: Date.now(), run_name: 'small-writes' })).run.info.run_id;
  const write = (c, key) => (i) => c.post('runs/log-metric', { run_id: runId, key, value: Math.cos(i), timestamp: 1_700_000_000_000 + i, step: i });
  await timed(write(api, 'warmup'), { count: 10, maxSeconds });
  const keptAlive = latency(await timed(write(api, 'loss'), { count, maxSeconds }));
  const fresh = client(api.base, { keepAlive: false });
  const newConnection = latency(await timed(write(fresh, 'fresh'), { count: freshCount, maxSeconds }));
  fresh.close();
  return { ...keptAlive, newConnection };
}
