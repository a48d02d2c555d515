// Search: runs/search over experiments of 10k and 100k runs, with a metric, a param and a tag clause and an
// order by metric, max_results 100; p50 and p95 latency. The runs are bulk-seeded (lib/seed.mjs); the REST
// rate of creating such runs (runs/create + log-batch, 8 in flight) is measured first on a small sample.
import { pool } from '../lib/http.mjs';
import { searchRuns, seedRuns } from '../lib/seed.mjs';
import { latency, timed } from '../lib/stats.mjs';

export const FILTER = "metrics.accuracy > 0.5 AND params.model = 'cnn' AND tags.team = 'red'";
export const ORDER_BY = ['metrics.loss ASC'];

export async function search(server, api, { sizes, reps, maxSeconds, maxResults, restSeed }) {
  const rest = await restSeedRate(api, restSeed);
  const bySize = {};
  for (const [index, size] of sizes.entries()) {
    const experimentId = (await api.post('experiments/create', { name: `search-${size}` })).experiment_id;
    const seeded = performance.now();
    await server.seed(() => seedRuns(server.store, experimentId, searchRuns(size, 1000 + index)));
    const seedSeconds = (performance.now() - seeded) / 1000;
    const query = () => api.post('runs/search', { experiment_ids: [experimentId], filter: FILTER, order_by: ORDER_BY, max_results: maxResults });
    const first = await query(); // also warms caches
    const names = (first.runs ?? []).map((run) => run.info.run_name);
    bySize[size] = { ...latency(await timed(query, { count: reps, maxSeconds, minCount: 3 })), returned: names.length, names, seedSeconds };
  }
  return { rest, sizes: bySize };
}

/** Runs created per second through the REST API, the way a seed script would: create, then one log-batch. */
async function restSeedRate(api, { runs, maxSeconds }) {
  const experimentId = (await api.post('experiments/create', { name: 'rest-seed' })).experiment_id;
  const sample = [...searchRuns(runs, 7)];
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  let created = 0;
  await pool(sample.length, 8, async (i) => {
    if (performance.now() > deadline) return;
    const r = sample[i];
    const { run } = await api.post('runs/create', { experiment_id: experimentId, start_time: r.start, run_name: r.name, tags: r.tags.slice(1).map(([key, value]) => ({ key, value })) });
    await api.post('runs/log-batch', {
      run_id: run.info.run_id,
      params: r.params.map(([key, value]) => ({ key, value })),
      metrics: r.metrics.map(([key, value]) => ({ key, value, timestamp: r.end, step: 0 })),
    });
    created++;
  });
  const seconds = (performance.now() - started) / 1000;
  return { runs: created, seconds, runsPerSecond: created / seconds };
}
