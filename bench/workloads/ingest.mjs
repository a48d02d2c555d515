// Ingest: W concurrent writers, each on its own run, send runs/log-batch requests of 1,000 metric points
// (10 keys x 100 steps) back to back; throughput in points per second. Bodies are serialized up front so
// the client spends its CPU on the wire, not on JSON. Repeated `rounds` times on fresh runs; the median wins.
import { median } from '../lib/stats.mjs';

export async function ingest(api, { writers, batch, batchesPerWriter, maxSeconds, rounds }) {
  const experimentId = (await api.post('experiments/create', { name: `ingest-${Date.now()}` })).experiment_id;
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const runIds = [];
    for (let w = 0; w < writers; w++) {
      runIds.push((await api.post('runs/create', { experiment_id: experimentId, start_time: Date.now(), run_name: `ingest-${round}-${w}` })).run.info.run_id);
    }
    const bodies = runIds.map((runId) =>
      Array.from({ length: batchesPerWriter }, (_, b) => {
        const metrics = [];
        for (let i = 0; i < batch; i++) {
          const step = Math.floor((b * batch + i) / 10);
          metrics.push({ key: `m${i % 10}`, value: Math.sin(step / 100), timestamp: 1_700_000_000_000 + step, step });
        }
        return JSON.stringify({ run_id: runId, metrics });
      }),
    );
    let points = 0;
    let requests = 0;
    const started = performance.now();
    const deadline = started + maxSeconds * 1000;
    await Promise.all(
      bodies.map(async (own) => {
        for (const body of own) {
          if (performance.now() > deadline) break;
          await api.post('runs/log-batch', body);
          points += batch;
          requests++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    results.push({ points, requests, seconds, pointsPerSecond: points / seconds });
  }
  return { pointsPerSecond: median(results.map((r) => r.pointsPerSecond)), rounds: results };
}
