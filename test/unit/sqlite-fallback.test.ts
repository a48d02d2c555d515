// A host where neither node:sqlite nor our better-sqlite3 build can load, as in a desktop VS Code whose Electron
// has no node:sqlite (Electron's ABI never matches a plain Node's): Node 22 with node:sqlite turned off and
// better-sqlite3 compiled for Node 20. The server worker, started as the extension host starts it, must fall back
// to the WebAssembly driver, say why, and serve the whole seed flow of the real mlflow client.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import type { WorkerMessage } from '../../src/api/server-host-protocol';
import { proxiedStoragePath } from '../../src/client/copy/artifact-trees';
import { MlflowClient } from '../../src/client/mlflow-client';
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore: a plain ES module of the project's scripts, without types
import { nodeRuntime } from '../../scripts/node-runtime.mjs';

const ROOT = join(__dirname, '../..');
const WORKER = join(ROOT, 'dist/server-worker.js');
const HOST = join(__dirname, 'fixtures/server-worker-host.mjs');
const PYTHON = join(ROOT, '.venv/bin/python');
const TOKEN = 'fallback-token';

test('without node:sqlite or a loadable better-sqlite3 the worker serves the seed flow on the WebAssembly driver', { timeout: 300_000 }, async (t) => {
  const node22 = (nodeRuntime as (major: number) => string)(22);
  const storeDir = mkdtempSync(join(tmpdir(), 'runboard-fallback-'));
  const host = spawn(node22, ['--no-experimental-sqlite', HOST, WORKER, JSON.stringify({ storeDir, port: 0, token: TOKEN, sqliteDriver: 'auto' })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => host.once('exit', resolve));
  try {
    const ready = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: host.stdout! }).once('line', resolve))) as WorkerMessage;
    assert.equal(ready.type, 'ready', JSON.stringify(ready));
    if (ready.type !== 'ready') return;
    t.diagnostic(`driver: ${ready.driver}`);
    assert.match(ready.driver, /^wasm; passed over node:sqlite: turned off in this runtime \(Node 22\.\d+\.\d+, --no-experimental-sqlite\); better-sqlite3: its compiled module is for NODE_MODULE_VERSION 115, this runtime needs 127$/);

    // The real client's seed flow: experiments, runs with histories, inputs and artifacts, a sweep, autolog,
    // two registered models with versions, stages, an alias and tags.
    const seeded = spawnSync(PYTHON, [join(ROOT, 'test/stores/seed_store.py')], {
      cwd: storeDir,
      encoding: 'utf8',
      env: { ...process.env, MLFLOW_TRACKING_URI: ready.url, MLFLOW_TRACKING_TOKEN: TOKEN, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
      timeout: 240_000,
    });
    assert.equal(seeded.status, 0, seeded.stderr.slice(-3000));
    const summary = JSON.parse(seeded.stdout.trim().split('\n').pop()!) as { experiments: Record<string, string>; runs: number };

    const client = new MlflowClient({ baseUrl: ready.url, credentials: { kind: 'bearer', token: TOKEN } });
    const ids = Object.values(summary.experiments);
    const runs = await client.searchRuns({ experimentIds: ids, viewType: 'ALL', maxResults: 1000 });
    assert.equal(runs.items.length, summary.runs, 'every run the client started');

    const diverged = runs.items.find((run) => run.info.run_name === 'diverged')!;
    assert.equal(diverged.info.status, 'FAILED');
    const gradNorm = await history(client, diverged.info.run_id, 'grad_norm');
    assert.deepEqual(gradNorm.map((point) => [point.step, point.value]), [[0, 1.5], [0, 1.25], [1, NaN], [2, Infinity]]);
    const loss = await history(client, diverged.info.run_id, 'loss');
    assert.equal(loss.length, 30);

    const artifacts = proxiedStoragePath(diverged.info.artifact_uri)!;
    const weights = await client.downloadProxiedArtifact(`${artifacts}/checkpoints/weights.bin`);
    assert.deepEqual(Buffer.from(weights), Buffer.from(new Uint8Array(Array.from({ length: 256 * 40 }, (_, i) => i % 256))));
    assert.equal(Buffer.from(await client.downloadProxiedArtifact(`${artifacts}/notes/summary.txt`)).toString(), 'notes of diverged\n');

    const model = await client.getRegisteredModel('seed-classifier');
    assert.deepEqual(model.aliases, [{ alias: 'champion', version: '2' }]);
    const versions = await client.searchModelVersions({ filter: "name = 'seed-classifier'" });
    assert.deepEqual(versions.items.map((v) => [v.version, v.current_stage]).sort(), [['1', 'Archived'], ['2', 'Production']]);
  } finally {
    host.kill('SIGTERM');
    await exited;
    rmSync(storeDir, { recursive: true, force: true });
  }
});

async function history(client: MlflowClient, runId: string, key: string) {
  const points = [];
  for await (const page of client.metricHistory(runId, key)) points.push(...page);
  return points;
}
