import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { LEASE_FILE, LOCK_FILE, type ServerWorkerOptions, type WorkerMessage } from '../../src/api/server-host-protocol';

// The bundle the extension starts (npm test builds before the unit tests run).
const WORKER = join(__dirname, '../../dist/server-worker.js');
/** The driver matrix (RUNBOARD_SQLITE_DRIVER) reaches the worker as the extension's setting would. */
const sqliteDriver = process.env.RUNBOARD_SQLITE_DRIVER || 'auto';

function startWorker(options: ServerWorkerOptions): { worker: Worker; first: Promise<WorkerMessage>; changes: WorkerMessage[] } {
  const worker = new Worker(WORKER, { workerData: options });
  const changes: WorkerMessage[] = [];
  const first = new Promise<WorkerMessage>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'change') changes.push(message);
      else if (message.type === 'ready' || message.type === 'failed') resolve(message);
    });
    worker.once('error', reject);
  });
  return { worker, first, changes };
}

async function stop(worker: Worker): Promise<void> {
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.postMessage({ type: 'stop' });
  await exited;
}

test('the worker serves the store, pushes change events, keeps one writer per store and cleans up', async () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'runboard-worker-'));
  try {
    const token = 'worker-token';
    const one = startWorker({ storeDir, port: 0, token, sqliteDriver });
    const ready = await one.first;
    assert.equal(ready.type, 'ready');
    if (ready.type !== 'ready') return;
    assert.match(ready.driver, sqliteDriver === 'auto' ? /^(node:sqlite|better-sqlite3|wasm)\b/ : new RegExp(`^${sqliteDriver} \\(forced\\)`), 'the worker names its SQLite driver');
    const lease = JSON.parse(readFileSync(join(storeDir, LEASE_FILE), 'utf8')) as { url: string };
    assert.equal(lease.url, ready.url);

    const response = await fetch(`${ready.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'from-test' }),
    });
    assert.equal(response.status, 200);
    const { experiment_id } = (await response.json()) as { experiment_id: string };
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(one.changes, [{ type: 'change', kind: 'experiment', id: experiment_id }]);

    const two = startWorker({ storeDir, port: 0, token, sqliteDriver });
    const refused = await two.first;
    assert.equal(refused.type, 'failed');
    assert.equal(refused.type === 'failed' && refused.code, 'STORE_LOCKED');
    await two.worker.terminate();

    await stop(one.worker);
    assert.equal(existsSync(join(storeDir, LOCK_FILE)), false);
    assert.equal(existsSync(join(storeDir, LEASE_FILE)), false);
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
});

test('a lock left by a dead process is taken over; a taken port falls back to a free one', async () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'runboard-worker-'));
  try {
    writeFileSync(join(storeDir, LOCK_FILE), '999999');
    const first = startWorker({ storeDir: join(storeDir), port: 0, token: 't', sqliteDriver });
    const ready = await first.first;
    assert.equal(ready.type, 'ready');
    if (ready.type !== 'ready') return;
    const other = mkdtempSync(join(tmpdir(), 'runboard-worker-'));
    const second = startWorker({ storeDir: other, port: ready.port, token: 't', sqliteDriver });
    const fallback = await second.first;
    assert.equal(fallback.type, 'ready');
    assert.notEqual(fallback.type === 'ready' && fallback.port, ready.port);
    await stop(second.worker);
    await stop(first.worker);
    rmSync(other, { recursive: true, force: true });
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
});

test('a driver that cannot run here fails the start with the reason and leaves the store unlocked', async () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'runboard-worker-'));
  try {
    const cases: [string, string, RegExp][] = [['no-such-driver', 'NO_SQLITE_DRIVER', /Unknown SQLite driver 'no-such-driver': use one of auto, node:sqlite, better-sqlite3, wasm/]];
    if (process.versions.node.startsWith('20.')) {
      cases.push(['node:sqlite', 'DRIVER_FORCED', /The SQLite driver node:sqlite \(set to be used\) does not work here: not in this runtime \(Node 20\./]);
    }
    for (const [driver, code, reason] of cases) {
      const started = startWorker({ storeDir, port: 0, token: 't', sqliteDriver: driver });
      const failed = await started.first;
      assert.equal(failed.type, 'failed');
      if (failed.type !== 'failed') return;
      assert.equal(failed.code, code);
      assert.match(failed.message, reason);
      assert.equal(existsSync(join(storeDir, LOCK_FILE)), false, 'the lock is released');
      await started.worker.terminate();
    }
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
});
