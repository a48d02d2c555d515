// `npm run bench:ingest`: logs 100k metric points through runs/log-batch into a fresh `runboard serve`
// and prints points per second. A measurement, not a test: it never fails on timing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const TOTAL_POINTS = Number(process.env.BENCH_POINTS ?? 100_000);
const BATCH = 1000;
const WRITERS = Number(process.env.BENCH_WRITERS ?? 1);

const root = new URL('..', import.meta.url).pathname;
const storeDir = mkdtempSync(join(tmpdir(), 'runboard-bench-'));
const server = spawn(process.execPath, [join(root, 'dist/cli.js'), 'serve', '--store', storeDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  createInterface({ input: server.stdout }).on('line', (line) => {
    const match = /listening on (\S+)/.exec(line);
    if (match) resolve(match[1]);
  });
});

async function call(path, body) {
  const response = await fetch(`${url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

const bodies = [];
for (let w = 0; w < WRITERS; w++) {
  const { run } = await call('runs/create', { experiment_id: '0', start_time: Date.now() });
  const perWriter = Math.ceil(TOTAL_POINTS / WRITERS / BATCH);
  for (let b = 0; b < perWriter; b++) {
    const metrics = [];
    for (let i = 0; i < BATCH; i++) {
      const step = b * BATCH + i;
      metrics.push({ key: `m${i % 10}`, value: Math.sin(step / 100), timestamp: 1_700_000_000_000 + step, step });
    }
    bodies.push({ writer: w, body: JSON.stringify({ run_id: run.info.run_id, metrics }) });
  }
}

const started = performance.now();
await Promise.all(
  Array.from({ length: WRITERS }, async (_, w) => {
    for (const { body } of bodies.filter((b) => b.writer === w)) {
      const response = await fetch(`${url}/api/2.0/mlflow/runs/log-batch`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      if (!response.ok) throw new Error(`log-batch: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const points = bodies.length * BATCH;
console.log(`ingest: ${points} points in ${bodies.length} log-batch calls from ${WRITERS} writer(s): ${seconds.toFixed(2)} s, ${Math.round(points / seconds).toLocaleString('en-US')} points/s`);
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
rmSync(storeDir, { recursive: true, force: true });
