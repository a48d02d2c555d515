// The token gate that stands in front of MLflow's server on an opened store (src/server/gate.ts): here in front
// of a plain node HTTP server on a Unix socket, to check what passes through byte for byte and what is refused.
// test/remote/mlflow-stores.test.ts runs it in front of the real MLflow server.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGate } from '../../src/server/gate';
import type { RunningServer } from '../../src/server/server';

const TOKEN = 'gate-test-token';
const BIG = randomBytes(8 * 1024 * 1024);
let dir: string;
let socketPath: string;
let behind: Server;
let gate: RunningServer;
/** What the server behind the gate last saw. */
let seen: { host?: string; authorization?: string; url?: string } = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runboard-gate-'));
  socketPath = join(dir, 'behind.sock');
  behind = createServer((req, res) => {
    seen = { host: req.headers.host, authorization: req.headers.authorization, url: req.url };
    if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(BIG); // streamed through in chunks
      return;
    }
    const hash = createHash('sha256');
    req.on('data', (chunk: Buffer) => hash.update(chunk));
    req.on('end', () => {
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Behind': 'yes' });
      res.end(JSON.stringify({ method: req.method, sha256: hash.digest('hex') }));
    });
  });
  await new Promise<void>((resolve) => behind.listen(socketPath, resolve));
  gate = await startGate({ socketPath, token: TOKEN });
});
after(async () => {
  await gate.close();
  behind.closeAllConnections();
  await new Promise((resolve) => behind.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const auth = { Authorization: `Bearer ${TOKEN}` };

describe('the token gate', () => {
  test('passes requests and answers through unchanged: status, headers, an uploaded body, a large download', async () => {
    const upload = await fetch(`${gate.url}/api/2.0/mlflow-artifacts/artifacts/0/a/b.bin?x=1`, { method: 'PUT', headers: auth, body: BIG });
    assert.equal(upload.status, 201);
    assert.equal(upload.headers.get('x-behind'), 'yes');
    assert.deepEqual(await upload.json(), { method: 'PUT', sha256: createHash('sha256').update(BIG).digest('hex') });
    assert.equal(seen.url, '/api/2.0/mlflow-artifacts/artifacts/0/a/b.bin?x=1');
    assert.equal(seen.authorization, undefined, 'the token stays at the gate');
    assert.equal(seen.host, `127.0.0.1:${gate.port}`, 'a loopback Host, which MLflow\'s own host check accepts');
    const download = Buffer.from(await (await fetch(`${gate.url}/big`, { headers: auth })).arrayBuffer());
    assert.ok(download.equals(BIG), 'the 8 MB answer arrives whole');
  });

  test('refuses what Runboard\'s own server refuses: no token, a wrong one, a foreign Host, a cross-origin page', async () => {
    const status = (headers: Record<string, string>) =>
      new Promise<number | undefined>((resolve, reject) => {
        request(`${gate.url}/api/2.0/mlflow/experiments/search`, { headers }, (response) => {
          response.resume();
          resolve(response.statusCode);
        })
          .once('error', reject)
          .end();
      });
    assert.equal(await status({}), 401);
    assert.equal(await status({ Authorization: 'Bearer nope' }), 401);
    assert.equal(await status({ ...auth, Host: 'evil.example' }), 403);
    assert.equal(await status({ ...auth, Origin: 'https://evil.example' }), 403);
    assert.equal(await status(auth), 201);
    const health = await fetch(`${gate.url}/health`);
    assert.equal(health.status, 201, '/health needs no token, as on Runboard\'s server');
  });

  test('answers 503 in MLflow\'s error format while nothing listens behind it, and keeps serving', async () => {
    const other = await startGate({ socketPath: join(dir, 'nobody.sock'), token: TOKEN });
    try {
      const response = await fetch(`${other.url}/api/2.0/mlflow/experiments/search`, { headers: auth });
      assert.equal(response.status, 503);
      const body = (await response.json()) as { error_code: string; message: string };
      assert.equal(body.error_code, 'TEMPORARILY_UNAVAILABLE');
      assert.match(body.message, /does not answer.*Restart it/);
      assert.equal((await fetch(`${other.url}/api/2.0/mlflow/experiments/search`, { headers: auth })).status, 503, 'still up');
    } finally {
      await other.close();
    }
  });
});
