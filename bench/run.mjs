// `npm run bench` (full) / `npm run bench:quick`: the same workloads against `runboard serve` and the pinned
// `mlflow server` (SQLite backend, its default settings), one server at a time, on this machine.
//
//   node bench/run.mjs [--quick] [--servers runboard,mlflow] [--only ingest,search,...] [--json FILE] [--no-report]
//
// Full mode writes bench/RESULTS.md and bench/results.json. Quick mode (tiny sizes, CI) checks that the
// harness works: it never judges timing. Either way the last stdout line is `BENCH_SUMMARY <json>`, and the
// exit code is non-zero only when a workload failed to run or the two servers disagree on results.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { client, pool } from './lib/http.mjs';
import { renderReport } from './lib/report.mjs';
import { ROOT, VENV_BIN, startServer } from './lib/servers.mjs';
import { concurrency } from './workloads/concurrency.mjs';
import { realClient } from './workloads/client.mjs';
import { history } from './workloads/history.mjs';
import { ingest } from './workloads/ingest.mjs';
import { search } from './workloads/search.mjs';
import { smallWrites } from './workloads/small-writes.mjs';

export const SIZES = {
  full: {
    warmUp: { iterations: 32 },
    ingest: { writers: 4, batch: 1000, batchesPerWriter: 150, maxSeconds: 20, rounds: 3 },
    smallWrites: { count: 500, freshCount: 100, maxSeconds: 60 },
    search: { sizes: [10_000, 100_000], reps: 30, maxSeconds: 60, maxResults: 100, restSeed: { runs: 400, maxSeconds: 20 } },
    history: { points: 1_000_000, fullReps: 3, fullMaxSeconds: 120, sampledReps: 30, sampledMaxSeconds: 60, sampledPoints: 320 },
    concurrency: { writers: 32, seconds: 60, pointsPerRequest: 10 },
    client: { reps: 3, maxSeconds: 240 },
  },
  quick: {
    warmUp: { iterations: 4 },
    ingest: { writers: 4, batch: 1000, batchesPerWriter: 1, maxSeconds: 10, rounds: 1 },
    smallWrites: { count: 10, freshCount: 3, maxSeconds: 10 },
    search: { sizes: [200, 1000], reps: 3, maxSeconds: 10, maxResults: 100, restSeed: { runs: 8, maxSeconds: 10 } },
    history: { points: 5_000, fullReps: 1, fullMaxSeconds: 30, sampledReps: 3, sampledMaxSeconds: 10, sampledPoints: 320 },
    concurrency: { writers: 8, seconds: 2, pointsPerRequest: 10 },
    client: { reps: 1, maxSeconds: 120 },
  },
};

const WORKLOADS = ['ingest', 'smallWrites', 'search', 'memory', 'history', 'concurrency', 'client'];

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    servers: { type: 'string' },
    only: { type: 'string' },
    json: { type: 'string' },
    'no-report': { type: 'boolean', default: false },
  },
});
const mode = options.quick ? 'quick' : 'full';
const sizes = SIZES[mode];
// Full mode also measures Runboard on its other SQLite drivers (node:sqlite on Node 24, WebAssembly).
const serverNames = (options.servers ?? (mode === 'full' ? 'runboard,runboard-node-sqlite,runboard-wasm,mlflow' : 'runboard,mlflow')).split(',');
const only = new Set(options.only ? options.only.split(',') : WORKLOADS);
for (const name of only) if (!WORKLOADS.includes(name)) throw new Error(`unknown workload ${name}; pick from ${WORKLOADS.join(', ')}`);

// Ctrl-C or a CI timeout: exit through 'exit', whose handlers (lib/servers.mjs) stop the servers we started.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const began = Date.now();
const log = (line) => process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);

const results = { mode, startedAt: new Date(began).toISOString(), machine: machine(), versions: {}, sizes, servers: {}, failures: [] };
log(`${mode} mode, servers ${serverNames.join(', ')}, workloads ${[...only].join(', ')}`);

// Quick mode starts mlflow (about 30-60 s to boot its workers) while Runboard's workloads run; full mode
// runs one server at a time so neither disturbs the other's numbers.
const early = mode === 'quick' ? new Map(serverNames.filter((n) => n !== 'runboard').map((n) => [n, startServer(n)])) : new Map();
for (const promise of early.values()) promise.catch(() => {});

for (const name of serverNames) {
  log(`starting ${name}`);
  let server;
  try {
    server = await (early.get(name) ?? startServer(name));
  } catch (error) {
    fail(name, 'start', error);
    continue;
  }
  const api = client(server.url);
  const out = (results.servers[name] = { url: server.url, startupSeconds: server.startupMs / 1000, idleRss: server.rss(), driver: server.driver, node: server.node });
  try {
    results.versions[name] = await server.version();
    log(`${name} ${results.versions[name]} at ${server.url} (up in ${out.startupSeconds.toFixed(1)} s)`);
    await warmUp(api, sizes.warmUp);
  } catch (error) {
    fail(name, 'warm-up', error);
  }
  const steps = {
    ingest: () => ingest(api, sizes.ingest),
    smallWrites: () => smallWrites(api, sizes.smallWrites),
    search: () => search(server, api, sizes.search),
    memory: async () => ({ ...server.rss(), afterRuns: only.has('search') ? sizes.search.sizes.reduce((a, b) => a + b, 0) : 0 }),
    history: () => history(server, api, sizes.history),
    concurrency: () => concurrency(api, sizes.concurrency),
    client: () => realClient(api, sizes.client),
  };
  for (const workload of WORKLOADS) {
    if (!only.has(workload)) continue;
    log(`${name}: ${workload}`);
    try {
      out[workload] = await steps[workload]();
      log(`${name}: ${workload} done ${brief(out[workload])}`);
    } catch (error) {
      fail(name, workload, error);
    }
  }
  out.finalRss = server.rss();
  api.close();
  await server.stop();
}

results.checks = crossCheck(results);
results.finishedAt = new Date().toISOString();
results.machine.loadAverageEnd = loadavg().map((x) => Number(x.toFixed(2)));
results.elapsedSeconds = (Date.now() - began) / 1000;
for (const check of results.checks.filter((c) => !c.ok)) results.failures.push({ server: 'both', workload: check.name, error: check.detail });

if (options.json) writeFileSync(options.json, JSON.stringify(results, null, 2));
if (mode === 'full' && !options['no-report']) {
  writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify(results, null, 2));
  writeFileSync(join(ROOT, 'bench/RESULTS.md'), renderReport(results));
  log('wrote bench/RESULTS.md and bench/results.json');
}
log(`finished in ${results.elapsedSeconds.toFixed(0)} s with ${results.failures.length} failure(s)`);
console.log(`BENCH_SUMMARY ${JSON.stringify(summary(results))}`);
process.exit(results.failures.length > 0 ? 1 : 0);

/**
 * A few requests of each kind over several connections before measuring, so every server process has
 * opened its store and loaded its code (mlflow's first requests on each worker take seconds).
 */
async function warmUp(api, { iterations }) {
  const { experiment_id: experimentId } = await api.post('experiments/create', { name: 'warm-up' });
  await pool(iterations, 8, async (i) => {
    const { run } = await api.post('runs/create', { experiment_id: experimentId, start_time: Date.now() });
    const metrics = Array.from({ length: 100 }, (_, k) => ({ key: `m${k % 5}`, value: k, timestamp: 1_700_000_000_000 + k, step: k }));
    await api.post('runs/log-batch', { run_id: run.info.run_id, metrics, params: [{ key: 'i', value: String(i) }] });
    await api.post('runs/log-metric', { run_id: run.info.run_id, key: 'single', value: 1, timestamp: Date.now(), step: 0 });
    await api.post('runs/search', { experiment_ids: [experimentId], filter: "params.i = '1'", order_by: ['metrics.m1 DESC'], max_results: 10 });
    await api.get('metrics/get-history', { run_id: run.info.run_id, metric_key: 'm1', max_results: 25_000 });
    await api.get('metrics/get-history-bulk-interval', { run_ids: [run.info.run_id], metric_key: 'm1', max_results: 320 });
  });
}

function fail(server, workload, error) {
  const message = String(error?.stack ?? error);
  results.failures.push({ server, workload, error: message });
  log(`${server}: ${workload} FAILED: ${message}`);
}

/** The headline numbers, one flat object per server (what the CI test reads). */
function summary(r) {
  const flat = {};
  for (const [name, s] of Object.entries(r.servers)) {
    flat[name] = {
      ingestPointsPerSecond: s.ingest?.pointsPerSecond,
      smallWriteP50Ms: s.smallWrites?.p50Ms,
      smallWriteP95Ms: s.smallWrites?.p95Ms,
      ...Object.fromEntries(Object.entries(s.search?.sizes ?? {}).flatMap(([n, v]) => [[`search${n}P50Ms`, v.p50Ms], [`search${n}P95Ms`, v.p95Ms]])),
      historyFullSeconds: s.history ? s.history.full.p50Ms / 1000 : undefined,
      historySampledP50Ms: s.history?.sampled.p50Ms,
      concurrencyErrors: s.concurrency?.errors,
      concurrencyRequests: s.concurrency?.requests,
      concurrencyRequestsPerSecond: s.concurrency?.requestsPerSecond,
      rssMb: s.memory?.rssMb,
      clientSeconds: s.client?.seconds,
    };
  }
  return { mode: r.mode, versions: r.versions, servers: flat, checks: r.checks, failures: r.failures.map((f) => `${f.server}/${f.workload}: ${f.error.split('\n')[0]}`) };
}

/** Every server got identical data, so they must give identical answers. */
function crossCheck(r) {
  const checks = [];
  for (const [name, s] of Object.entries(r.servers)) {
    if (s.history) {
      checks.push({ name: `${name} history complete`, ok: s.history.full.points === s.history.points, detail: `${s.history.full.points} of ${s.history.points} points` });
      checks.push({ name: `${name} sampled history size`, ok: s.history.sampled.points > 0 && s.history.sampled.points <= sizes.history.sampledPoints, detail: `${s.history.sampled.points} points` });
    }
    if (s.search) {
      for (const [size, v] of Object.entries(s.search.sizes)) checks.push({ name: `${name} search ${size} returned runs`, ok: v.returned > 0, detail: `${v.returned} runs` });
    }
  }
  const [first, ...others] = serverNames.filter((n) => r.servers[n]?.search);
  for (const other of others) {
    const a = r.servers[first];
    const b = r.servers[other];
    for (const size of Object.keys(a.search.sizes)) {
      const same = JSON.stringify(a.search.sizes[size]?.names) === JSON.stringify(b.search.sizes[size]?.names);
      checks.push({ name: `search ${size}: same runs in the same order on ${first} and ${other}`, ok: same, detail: same ? 'identical' : 'results differ' });
    }
  }
  return checks;
}

function brief(value) {
  const text = JSON.stringify(value, (key, v) => (key === 'names' || key === 'processes' ? undefined : typeof v === 'number' ? Number(v.toPrecision(4)) : v));
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}

function machine() {
  const cpu = cpus();
  const python = (() => {
    try {
      return execFileSync(join(VENV_BIN, 'python'), ['-c', 'import sys, sqlite3; print(sys.version.split()[0], sqlite3.sqlite_version)'], { encoding: 'utf8' }).trim().split(' ');
    } catch {
      return ['?', '?'];
    }
  })();
  const memory = new Database(':memory:');
  const nodeSqlite = memory.prepare('SELECT sqlite_version() AS v').get().v;
  memory.close();
  let commit = '?';
  try {
    commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    if (execFileSync('git', ['-C', ROOT, 'status', '--porcelain', 'src'], { encoding: 'utf8' }).trim()) commit += ' + uncommitted src changes';
  } catch {
    // not a git checkout
  }
  return {
    cpu: `${cpu[0]?.model ?? '?'} x ${cpu.length}`,
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    kernel: release(),
    node: process.version,
    python: python[0],
    sqlite: { runboard: nodeSqlite, mlflow: python[1] },
    runboardPackage: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    commit,
    loadAverageStart: loadavg().map((x) => Number(x.toFixed(2))),
  };
}
