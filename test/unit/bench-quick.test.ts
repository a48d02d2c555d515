/**
 * `npm run bench:quick` end to end: tiny sizes against `runboard serve` and the pinned `mlflow server`.
 * Checks that the harness works and both servers answered every workload with sane numbers; it never
 * judges timing. Needs dist/ (npm run build) and .venv (node scripts/python-env.mjs), as the test line has.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '../..');
// Typically 60-75 s; the margin is for a machine busy with other work.
const TIMEOUT_MS = 150_000;

interface ServerSummary {
  ingestPointsPerSecond: number;
  smallWriteP50Ms: number;
  smallWriteP95Ms: number;
  historyFullSeconds: number;
  historySampledP50Ms: number;
  concurrencyErrors: number;
  concurrencyRequests: number;
  concurrencyRequestsPerSecond: number;
  rssMb: number;
  clientSeconds: number;
  [key: string]: number;
}

interface Summary {
  mode: string;
  versions: Record<string, string>;
  servers: Record<string, ServerSummary>;
  checks: { name: string; ok: boolean; detail: string }[];
  failures: string[];
}

function runQuick(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'bench:quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGTERM');
      reject(new Error(`bench:quick did not finish in ${TIMEOUT_MS} ms\n${stderr}`));
    }, TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('bench:quick runs every workload against both servers', { timeout: TIMEOUT_MS + 10_000 }, async () => {
  const { code, stdout, stderr } = await runQuick();
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_SUMMARY '));
  assert.ok(line, `no BENCH_SUMMARY line (exit ${code})\n${stderr.slice(-4000)}`);
  const summary = JSON.parse(line.slice('BENCH_SUMMARY '.length)) as Summary;
  assert.deepEqual(summary.failures, [], stderr.slice(-4000));
  assert.equal(code, 0);
  assert.equal(summary.mode, 'quick');
  assert.equal(summary.versions.mlflow, '3.18.0');
  assert.ok(summary.versions.runboard, 'runboard answered /version');

  for (const name of ['runboard', 'mlflow']) {
    const s = summary.servers[name];
    assert.ok(s, `${name} has results`);
    const numbers = Object.entries(s).filter(([key]) => key !== 'concurrencyErrors');
    assert.ok(numbers.length >= 13, `${name}: every workload reported (${numbers.map(([k]) => k).join(', ')})`);
    for (const [key, value] of numbers) assert.ok(Number.isFinite(value) && value > 0, `${name}.${key} = ${value}`);
    assert.equal(s.concurrencyErrors, 0, `${name}: no errors from concurrent writers`);
  }
  for (const check of summary.checks) assert.ok(check.ok, `${check.name}: ${check.detail}`);
  assert.ok(
    summary.checks.some((c) => c.name.includes('same runs in the same order')),
    'the two servers were compared on search results',
  );
});
