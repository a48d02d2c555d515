import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { takeSnapshot } from '../../src/client/change-probe';
import { MlflowApiError, MlflowClient, type RequestOutcome } from '../../src/client/mlflow-client';
import { startServer, type RunningServer } from '../../src/server/server';
import { TrackingStore } from '../../src/store/tracking-store';

const TOKEN = 'test-token-123';
let dir: string;
let store: TrackingStore;
let server: RunningServer;
let client: MlflowClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runboard-client-'));
  store = TrackingStore.open(dir);
  server = await startServer({ store, artifactRoot: join(dir, 'artifacts'), port: 0, token: TOKEN });
  client = new MlflowClient({ baseUrl: server.url, credentials: { kind: 'bearer', token: TOKEN } });
});
after(async () => {
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('MlflowClient against runboard serve', () => {
  test('experiments and runs round-trip, non-finite metrics decode to numbers', async () => {
    const id = await client.createExperiment('client-test', [{ key: 'team', value: 'a' }]);
    assert.equal((await client.getExperimentByName('client-test'))?.experiment_id, id);
    assert.equal(await client.getExperimentByName('no-such-experiment'), undefined);
    const run = store.createRun({ experiment_id: id, run_name: 'r1' });
    store.logBatch(run.info.run_id, {
      metrics: [
        { key: 'loss', value: NaN, timestamp: 1, step: 0 },
        { key: 'gain', value: -Infinity, timestamp: 1, step: 0 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
    });
    const page = await client.searchRuns({ experimentIds: [id], filter: "params.lr = '0.1'" });
    assert.equal(page.items.length, 1);
    const metrics = Object.fromEntries(page.items[0]!.data.metrics.map((m) => [m.key, m.value]));
    assert.ok(Number.isNaN(metrics.loss));
    assert.equal(metrics.gain, -Infinity);
    await client.updateRun(run.info.run_id, { runName: 'renamed' });
    assert.equal((await client.getRun(run.info.run_id)).info.run_name, 'renamed');
  });

  test('metric history pages are followed to the end', async () => {
    const run = store.createRun({});
    store.logBatch(run.info.run_id, { metrics: Array.from({ length: 25 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i })) });
    const pages: number[][] = [];
    for await (const page of client.metricHistory(run.info.run_id, 'm', 10)) pages.push(page.map((m) => m.step));
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
    assert.deepEqual(pages.flat(), Array.from({ length: 25 }, (_, i) => i));
  });

  test('errors carry MLflow codes and say what to do', async () => {
    await assert.rejects(client.getRun('0'.repeat(32)), (e: unknown) => e instanceof MlflowApiError && e.code === 'RESOURCE_DOES_NOT_EXIST' && e.status === 404);
    await assert.rejects(client.searchRuns({ experimentIds: ['0'], filter: 'metrics.x > ' }), (e: unknown) => e instanceof MlflowApiError && e.code === 'INVALID_PARAMETER_VALUE');
    const wrong = new MlflowClient({ baseUrl: server.url, credentials: { kind: 'bearer', token: 'nope' } });
    await assert.rejects(wrong.searchExperiments(), (e: unknown) => e instanceof MlflowApiError && e.code === 'UNAUTHENTICATED' && /credentials/.test(e.message));
    const nowhere = new MlflowClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 2000 });
    await assert.rejects(nowhere.searchExperiments(), (e: unknown) => e instanceof MlflowApiError && e.code === 'UNREACHABLE' && /Cannot reach/.test(e.message));
  });
});

describe('MlflowClient against peers that answer badly', () => {
  /** A loopback HTTP server whose every answer is `answer`; closed after `work`. */
  async function withPeer(answer: (response: ServerResponse) => void, work: (client: MlflowClient) => Promise<void>, onOutcome?: (outcome: RequestOutcome) => void): Promise<void> {
    const peer = createServer((_request, response) => answer(response));
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const { port } = peer.address() as AddressInfo;
    try {
      await work(new MlflowClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000, onOutcome }));
    } finally {
      peer.closeAllConnections();
      await new Promise((resolve) => peer.close(resolve));
    }
  }

  test('a server that dies half way through an answer is unreachable, not a failed request', async () => {
    const outcomes: string[] = [];
    await withPeer(
      (response) => {
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
        response.write('{"experiments": [');
        setTimeout(() => response.socket?.destroy(), 20);
      },
      async (client) => {
        await assert.rejects(client.searchExperiments(), (e: unknown) => e instanceof MlflowApiError && e.code === 'UNREACHABLE' && /stopped answering half way/.test(e.message));
      },
      (outcome) => outcomes.push(outcome.error?.code ?? 'ok'),
    );
    assert.deepEqual(outcomes, ['UNREACHABLE'], 'the backend hears of it, so the views go stale');
  });

  test('an answer that is not JSON says the server is not an MLflow server', async () => {
    await withPeer(
      (response) => {
        response.writeHead(200, { 'Content-Type': 'text/html' });
        response.end('<html>Sign in to the proxy</html>');
      },
      async (client) => {
        await assert.rejects(client.searchExperiments(), (e: unknown) => e instanceof MlflowApiError && e.code === 'INVALID_RESPONSE' && /not JSON.*Check the URL/.test(e.message));
      },
    );
  });
});

describe('the change probe of a server whose registry fails', () => {
  /** A proxy in front of the test's runboard server that answers registry searches with `status`. */
  async function withFailingRegistry(status: number, work: (client: MlflowClient) => Promise<void>): Promise<void> {
    const target = new URL(server.url);
    const proxy = createServer((incoming, response) => {
      if (/registered-models\/search/.test(incoming.url ?? '')) {
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ error_code: status === 503 ? 'TEMPORARILY_UNAVAILABLE' : 'INTERNAL_ERROR', message: 'the registry store failed' }));
        return;
      }
      const upstream = request({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: target.host } }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      incoming.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    try {
      await work(new MlflowClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000, credentials: { kind: 'bearer', token: TOKEN } }));
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }

  test('a registry that fails with a 500 does not stop runs from refreshing: the snapshot has them, models unknown', async () => {
    const experiment = await client.createExperiment('probe-with-broken-registry');
    const run = await client.createRun({ experimentId: experiment, runName: 'still-live' });
    await withFailingRegistry(500, async (proxied) => {
      const snapshot = await takeSnapshot(proxied);
      assert.ok(snapshot.experiments.has(experiment));
      assert.ok(snapshot.runs.has(run.run_id));
      assert.ok(snapshot.running.has(run.run_id));
      assert.equal(snapshot.models, undefined);
    });
  });

  test('a 503 (the server behind a gate or proxy is down) still fails the snapshot: the views go stale', async () => {
    await withFailingRegistry(503, async (proxied) => {
      await assert.rejects(takeSnapshot(proxied), (e: unknown) => e instanceof MlflowApiError && e.status === 503);
    });
  });
});
