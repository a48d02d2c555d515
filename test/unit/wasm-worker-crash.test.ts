// The WebAssembly driver as the extension host runs it (the server worker thread), killed with SIGKILL in the
// middle of writes, three times: every write the server answered is there after each restart, and the file
// passes SQLite's integrity check. The driver's lock folder, left by each kill, must not keep the store shut.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import type { WorkerMessage } from '../../src/api/server-host-protocol';
import { openWasmSqlite } from '../../src/store/drivers/wasm-sqlite';

const WORKER = join(__dirname, '../../dist/server-worker.js');
const HOST = join(__dirname, 'fixtures/server-worker-host.mjs');
const TOKEN = 'crash-token';
const WRITERS = 4;
const POINTS_PER_BATCH = 200;
const KILLS = 3;

interface Host {
  process: ChildProcess;
  exited: Promise<unknown>;
  url: string;
  port: number;
  driver: string;
}

async function startHost(storeDir: string, port: number): Promise<Host> {
  const child = spawn(process.execPath, [HOST, WORKER, JSON.stringify({ storeDir, port, token: TOKEN, sqliteDriver: 'wasm' })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the host exited before the worker was ready (${code})`)));
  });
  const message = JSON.parse(line) as WorkerMessage;
  if (message.type !== 'ready') throw new Error(`the worker did not start: ${line}`);
  return { process: child, exited, url: message.url, port: message.port, driver: message.driver };
}

async function call(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Logs batches until the server goes away; returns the steps of every batch the server answered. */
async function writeUntilKilled(url: string, runId: string, key: string, firstStep: number): Promise<number[]> {
  const acknowledged: number[] = [];
  for (let step = firstStep; ; step += POINTS_PER_BATCH) {
    const metrics = Array.from({ length: POINTS_PER_BATCH }, (_, i) => ({ key, value: (step + i) / 7, timestamp: 1_700_000_000_000 + step + i, step: step + i }));
    try {
      await call(url, 'runs/log-batch', { run_id: runId, metrics, params: [{ key: `p${step}`, value: String(step) }] });
    } catch {
      return acknowledged; // killed: this batch was never answered
    }
    for (let i = 0; i < POINTS_PER_BATCH; i++) acknowledged.push(step + i);
  }
}

test('the WebAssembly driver in the server worker keeps every answered write through kill -9 and restarts', { timeout: 120_000 }, async (t) => {
  const storeDir = mkdtempSync(join(tmpdir(), 'runboard-wasm-crash-'));
  let host: Host | undefined;
  try {
    host = await startHost(storeDir, 0);
    assert.match(host.driver, /^wasm \(forced\)/);
    const { experiment_id } = await call(host.url, 'experiments/create', { name: 'crash' });
    const runIds: string[] = [];
    for (let w = 0; w < WRITERS; w++) {
      const { run } = (await call(host.url, 'runs/create', { experiment_id, start_time: Date.now() })) as { run: { info: { run_id: string } } };
      runIds.push(run.info.run_id);
    }
    const acknowledged = runIds.map(() => new Set<number>());
    const nextStep = runIds.map(() => 0);

    for (let round = 0; round < KILLS; round++) {
      const writing = runIds.map((runId, w) => writeUntilKilled(host!.url, runId, `w${w}`, nextStep[w]!));
      await new Promise((resolve) => setTimeout(resolve, 400 + Math.random() * 600));
      host.process.kill('SIGKILL');
      const steps = await Promise.all(writing);
      steps.forEach((list, w) => {
        assert.ok(list.length > 0, `writer ${w} got answers in round ${round}`);
        for (const step of list) acknowledged[w]!.add(step);
        nextStep[w] = Math.max(...list) + 1 + POINTS_PER_BATCH; // past the batch that may have been cut off
      });
      const port: number = host.port;
      await host.exited;
      // Restart at once, on the same port, on the store the killed process held.
      host = await startHost(storeDir, port);
      assert.equal(host.port, port, 'the restarted server gets its port back');
    }

    for (const [w, runId] of runIds.entries()) {
      const stored = new Set<number>();
      let pageToken: string | undefined;
      do {
        const query = new URLSearchParams({ run_id: runId, metric_key: `w${w}`, max_results: '25000', ...(pageToken ? { page_token: pageToken } : {}) });
        const response = await fetch(`${host.url}/api/2.0/mlflow/metrics/get-history?${query}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
        assert.equal(response.status, 200);
        const page = (await response.json()) as {
          metrics?: { step: number; value: number }[];
          next_page_token?: string;
        };
        for (const point of page.metrics ?? []) {
          assert.equal(point.value, point.step / 7);
          stored.add(point.step);
        }
        pageToken = page.next_page_token;
      } while (pageToken);
      const missing = [...acknowledged[w]!].filter((step) => !stored.has(step));
      t.diagnostic(`writer ${w}: ${acknowledged[w]!.size} points answered over ${KILLS} kills, ${stored.size} stored, ${missing.length} missing`);
      assert.equal(missing.length, 0, `writer ${w}: ${missing.length} of ${acknowledged[w]!.size} answered points missing`);
    }

    host.process.kill('SIGTERM');
    await host.exited;
    host = undefined;
    const db = openWasmSqlite(join(storeDir, 'runboard.db'));
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    } finally {
      db.close();
    }
  } finally {
    host?.process.kill('SIGKILL');
    rmSync(storeDir, { recursive: true, force: true });
  }
});
