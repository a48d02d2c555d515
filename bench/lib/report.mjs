// Renders bench/RESULTS.md from the runner's results object: machine, versions, one table of medians and
// ratios, the targets, and how the data was loaded. The analysis (what limits each number, what was
// changed) lives in bench/README.md, written by people; this file only reports numbers.

const fmt = (value, digits = 3) => {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 3 });
};

/** "12.3×": how many times better Runboard is (higher-is-better throughput, or lower-is-better time). */
const ratio = (runboard, mlflow, higherIsBetter) => {
  if (!(runboard > 0) || !(mlflow > 0)) return '—';
  const r = higherIsBetter ? runboard / mlflow : mlflow / runboard;
  return `${fmt(r, 3)}×`;
};

export function renderReport(r) {
  const rb = r.servers.runboard ?? {};
  const ml = r.servers.mlflow ?? {};
  const s = r.sizes;
  const rows = [];
  const row = (workload, measure, a, b, higherIsBetter, target = '', unit = '') =>
    rows.push(`| ${workload} | ${measure} | ${fmt(a)}${unit} | ${fmt(b)}${unit} | ${ratio(a, b, higherIsBetter)} | ${target} |`);

  row('ingest', `points/s, ${s.ingest.writers} writers, log-batch of ${s.ingest.batch} (median of ${s.ingest.rounds})`, rb.ingest?.pointsPerSecond, ml.ingest?.pointsPerSecond, true, mark(ratioOf(rb.ingest?.pointsPerSecond, ml.ingest?.pointsPerSecond, true) >= 20, '≥ 20×'));
  row('small writes', 'log-metric p50, ms', rb.smallWrites?.p50Ms, ml.smallWrites?.p50Ms, false);
  row('small writes', 'log-metric p95, ms', rb.smallWrites?.p95Ms, ml.smallWrites?.p95Ms, false);
  row('small writes', 'log-metric p50, new connection per request, ms', rb.smallWrites?.newConnection?.p50Ms, ml.smallWrites?.newConnection?.p50Ms, false);
  for (const size of s.search.sizes) {
    const a = rb.search?.sizes?.[size];
    const b = ml.search?.sizes?.[size];
    const big = size === Math.max(...s.search.sizes);
    row('search', `${size.toLocaleString('en-US')} runs, p50 ms`, a?.p50Ms, b?.p50Ms, false, mark(ratioOf(a?.p50Ms, b?.p50Ms, false) >= 20, '≥ 20×'));
    row('search', `${size.toLocaleString('en-US')} runs, p95 ms`, a?.p95Ms, b?.p95Ms, false, big ? mark(a?.p95Ms < 50, '< 50 ms') : '');
  }
  row('search (seeding)', 'runs created through REST per second (create + log-batch, 8 in flight)', rb.search?.rest?.runsPerSecond, ml.search?.rest?.runsPerSecond, true);
  const points = s.history.points.toLocaleString('en-US');
  row('history', `full ${points}-point history, 25k-point pages, s (median of ${s.history.fullReps})`, sec(rb.history?.full?.p50Ms), sec(ml.history?.full?.p50Ms), false);
  row('history', `sampled ${s.history.sampledPoints} points (bulk-interval), p50 ms`, rb.history?.sampled?.p50Ms, ml.history?.sampled?.p50Ms, false, mark(ratioOf(rb.history?.sampled?.p50Ms, ml.history?.sampled?.p50Ms, false) >= 20, '≥ 20×') + ' ' + mark(rb.history?.sampled?.p50Ms < 100, '< 100 ms'));
  row('history', `sampled ${s.history.sampledPoints} points, p95 ms`, rb.history?.sampled?.p95Ms, ml.history?.sampled?.p95Ms, false);
  const c = s.concurrency;
  rows.push(`| concurrency | ${c.writers} writer processes × ${c.seconds} s: errors (of requests) | ${rb.concurrency?.errors ?? '—'} (of ${fmt(rb.concurrency?.requests)}) | ${ml.concurrency?.errors ?? '—'} (of ${fmt(ml.concurrency?.requests)}) | | ${mark(rb.concurrency?.errors === 0, '0')} |`);
  row('concurrency', `requests/s (log-batch of ${c.pointsPerRequest} points)`, rb.concurrency?.requestsPerSecond, ml.concurrency?.requestsPerSecond, true);
  rows.push(`| concurrency | per-request latency p50 / p95, ms (median over writers) | ${fmt(rb.concurrency?.p50Ms)} / ${fmt(rb.concurrency?.p95Ms)} | ${fmt(ml.concurrency?.p50Ms)} / ${fmt(ml.concurrency?.p95Ms)} | ${ratio(rb.concurrency?.p50Ms, ml.concurrency?.p50Ms, false)} | |`);
  row('memory', `server RSS after loading ${(rb.memory?.afterRuns ?? 0).toLocaleString('en-US')} runs, MB (whole process tree)`, rb.memory?.rssMb, ml.memory?.rssMb, false, mark(rb.memory?.rssMb < 300, '< 300 MB'));
  row('memory', 'RSS right after start, MB', rb.idleRss?.rssMb, ml.idleRss?.rssMb, false);
  row('real client', `client_flow.py wall time, s (median of ${s.client.reps})`, rb.client?.seconds, ml.client?.seconds, false);
  row('real client', '… of which 3 runs, each with params, tags, 20 steps of 2 metrics and 2 artifacts, s', rb.client?.manualSeconds, ml.client?.manualSeconds, false);
  row('real client', '… of which search_runs, list_artifacts, get_metric_history, s', rb.client?.searchSeconds, ml.client?.searchSeconds, false);
  row('real client', '… of which sklearn autolog with its model, s', rb.client?.autologSeconds, ml.client?.autologSeconds, false);

  const drivers = driverSection(r);
  const mlHttp = httpProcesses(ml.memory);
  const checks = (r.checks ?? []).map((check) => `- ${check.ok ? 'ok' : '**FAILED**'}: ${check.name} (${check.detail})`);
  const failures = (r.failures ?? []).map((f) => `- **${f.server} / ${f.workload}**: ${f.error.split('\n')[0]}`);
  return `# Benchmarks: Runboard vs. mlflow server

Generated by \`npm run bench\` (bench/run.mjs, ${r.mode} mode) on ${r.startedAt.slice(0, 10)}; the run took ${fmt(r.elapsedSeconds / 60, 2)} min.
Raw numbers: [results.json](results.json). How to read them, what limits each number and what was changed to reach the targets: [README.md](README.md).

## Machine and versions

| | |
|---|---|
| CPU | ${r.machine.cpu} |
| memory | ${r.machine.memoryGb} GB |
| kernel | ${r.machine.kernel} |
| load average (1, 5, 15 min) at start / end | ${r.machine.loadAverageStart.join(', ')} / ${(r.machine.loadAverageEnd ?? []).join(', ')} |
| Runboard | ${r.versions.runboard ?? '—'} (package ${r.machine.runboardPackage}, commit ${r.machine.commit}), Node ${r.machine.node}, better-sqlite3 with SQLite ${r.machine.sqlite.runboard} |
| mlflow server | ${r.versions.mlflow ?? '—'} (the pinned .venv), Python ${r.machine.python}, SQLite ${r.machine.sqlite.mlflow}; \`mlflow server --backend-store-uri sqlite:///… --default-artifact-root mlflow-artifacts:/ --artifacts-destination … --host 127.0.0.1 --port P\`, everything else default (uvicorn, 4 workers, its job runner) |
| client | one Node \`http.Agent\` with keep-alive for both servers (bench/lib/http.mjs); the real client is the pinned mlflow Python client |

**Caveat:** a shared 2-core machine with other work running during the benchmark, so every number is noisy
(the load average above shows how busy it was). The two servers ran one after the other, never at the same
time. Ratios of 20× and more are far outside that noise; differences of a few percent are not.

## Results

Medians unless a percentile is named. "Runboard vs mlflow" is how many times better Runboard is
(throughput ratio, or mlflow's time divided by Runboard's).

| workload | measure | Runboard | mlflow server | Runboard vs mlflow | target |
|---|---|---:|---:|---:|---|
${rows.join('\n')}

${drivers}
mlflow's RSS is the sum over the processes \`mlflow server\` starts (uvicorn parent and 4 workers, the job
runner and its huey consumers); its HTTP-serving processes alone (uvicorn parent + workers) held ${fmt(mlHttp)} MB.
Runboard is one process.

## How the data was loaded

- ingest, small writes, concurrency and the real client write through the REST API, as measured.
- search (${s.search.sizes.map((n) => n.toLocaleString('en-US')).join(' and ')} runs, each with 3 params, 2 metrics and 3 tags) and
  history (${points} points of one metric) are **bulk-seeded the same way into both servers**: the
  experiment and the history run are created through REST, then identical deterministic rows (bench/lib/seed.mjs)
  are inserted straight into each server's own SQLite schema in large transactions while the server is idle.
  Through REST, mlflow server creates runs at the rate in the "search (seeding)" row, so loading
  ${s.search.sizes.reduce((a, b) => a + b, 0).toLocaleString('en-US')} runs would take about ${fmt(s.search.sizes.reduce((a, b) => a + b, 0) / (ml.search?.rest?.runsPerSecond || NaN) / 60, 2)} min
  for mlflow against ${fmt(s.search.sizes.reduce((a, b) => a + b, 0) / (rb.search?.rest?.runsPerSecond || NaN) / 60, 2)} min for Runboard.
- search filter: \`metrics.accuracy > 0.5 AND params.model = 'cnn' AND tags.team = 'red'\`, order by
  \`metrics.loss ASC\`, max_results 100 (about 1 run in 32 matches).

## Checks

${checks.join('\n') || '- none'}
${failures.length ? `\n## Failures\n\n${failures.join('\n')}\n` : ''}`;
}

/**
 * Runboard on each SQLite driver, side by side with better-sqlite3 and mlflow server, in the same run. Targets:
 * node:sqlite within 1.3× of better-sqlite3, the WebAssembly driver within 3× and still ≥ 10× mlflow on ingest
 * and search.
 */
function driverSection(r) {
  const variants = ['runboard', 'runboard-node-sqlite', 'runboard-wasm'].filter((n) => r.servers[n]);
  if (variants.length < 2) return '';
  const ml = r.servers.mlflow ?? {};
  const s = r.sizes;
  const measures = [
    ['ingest, points/s', (x) => x.ingest?.pointsPerSecond, true, true],
    ['small writes: log-metric p50, ms', (x) => x.smallWrites?.p50Ms, false, false],
    ...s.search.sizes.flatMap((size) => [
      [`search ${size.toLocaleString('en-US')} runs, p50 ms`, (x) => x.search?.sizes?.[size]?.p50Ms, false, true],
      [`search ${size.toLocaleString('en-US')} runs, p95 ms`, (x) => x.search?.sizes?.[size]?.p95Ms, false, false],
    ]),
    [`sampled history (${s.history.sampledPoints} of ${s.history.points.toLocaleString('en-US')} points), p50 ms`, (x) => x.history?.sampled?.p50Ms, false, false],
    [`full history, s`, (x) => sec(x.history?.full?.p50Ms), false, false],
    ['RSS after loading the runs, MB', (x) => x.memory?.rssMb, false, false],
  ];
  const base = r.servers.runboard;
  const head = variants.map((n) => `${r.servers[n].driver} (Node ${r.servers[n].node?.replace(/^v/, '') ?? '?'})`);
  const lines = measures.map(([label, get, higherIsBetter, vsMlflowTarget]) => {
    const cells = variants.map((n) => fmt(get(r.servers[n])));
    const vsBase = variants.slice(1).map((n) => {
      // Times slower than better-sqlite3 (its time over ours, or our throughput over its): below 1 is faster.
      const slower = base ? ratioOf(get(base), get(r.servers[n]), higherIsBetter) : NaN;
      const limit = r.servers[n].driver === 'node:sqlite' ? 1.3 : 3;
      return Number.isFinite(slower) ? `${fmt(slower, 3)}× ${label.startsWith('RSS') ? '' : mark(slower <= limit, `≤ ${limit}×`)}` : '—';
    });
    const wasm = r.servers['runboard-wasm'];
    const vsMl = wasm ? ratio(get(wasm), get(ml), higherIsBetter) : '—';
    const target = wasm && vsMlflowTarget ? ` ${mark(ratioOf(get(wasm), get(ml), higherIsBetter) >= 10, '≥ 10×')}` : '';
    return `| ${label} | ${cells.join(' | ')} | ${fmt(get(ml))} | ${vsBase.join(' | ')} | ${vsMl}${target} |`;
  });
  return `
### Per SQLite driver

The same workloads on Runboard's three SQLite drivers (\`runboard serve --driver ...\`), one after the other in
this run. "× better-sqlite3" is how many times slower (or bigger) than better-sqlite3 a driver is: 1.0× is as
fast. The WebAssembly driver cannot share its file, so its bulk seeding ran with the server stopped and it was
started again before measuring (its caches start cold for search and history).

| measure | ${head.join(' | ')} | mlflow server | ${variants.slice(1).map((n) => `${r.servers[n].driver} × better-sqlite3`).join(' | ')} | wasm vs mlflow |
|---|${variants.map(() => '---:').join('|')}|---:|${variants.slice(1).map(() => '---:').join('|')}|---:|
${lines.join('\n')}
`;
}

const sec = (ms) => (ms === undefined ? undefined : ms / 1000);
const ratioOf = (a, b, higherIsBetter) => (a > 0 && b > 0 ? (higherIsBetter ? a / b : b / a) : NaN);
const mark = (ok, label) => `${label} ${ok ? '✅' : '❌'}`;

function httpProcesses(memory) {
  if (!memory?.processes) return undefined;
  return memory.processes.filter((p) => /uvicorn|multiprocessing/.test(p.cmd)).reduce((total, p) => total + p.rssMb, 0);
}
