import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { addArtifactRoutes, contentDisposition, guessContentType } from '../../src/server/artifact-routes';
import { sendError, sendJson } from '../../src/server/http';
import { Router } from '../../src/server/router';
import { ArtifactStore } from '../../src/store/artifacts';

const HOSTILE_PATHS = [
  '../x',
  'a/../../x',
  '%2e%2e/x',
  '%252e%252e/x',
  '..%2fx',
  '/etc/passwd',
  '%2fetc%2fpasswd',
  'a\\..\\b',
  'C:/x',
  'a/%00b',
  'a#b',
  'file:///etc/passwd',
  '.runboard-upload.123',
];

const invalidPath = { code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' };

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'runboard-artifacts-'));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A source that yields `data` in 64 KiB chunks, like a request body arriving from the network. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += 65536) yield data.subarray(i, i + 65536);
    })(),
  );
}

/** A source that delivers some bytes and then fails, like a client that disconnects mid-upload. */
function failingSource(): Readable {
  return new Readable({
    read() {
      this.push(Buffer.alloc(1024, 1));
      this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    },
  });
}

/** Polls `condition` every 10 ms for up to 3 s. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met in time');
}

/** Every file name under `dir`, recursively, relative to it. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

describe('ArtifactStore', () => {
  let root: string;
  let outside: string;
  let store: ArtifactStore;

  before(async () => {
    const base = await tempDir();
    root = path.join(base, 'artifacts');
    outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'secret');
    store = new ArtifactStore(root);
  });

  after(async () => {
    await rm(path.dirname(root), { recursive: true, force: true });
  });

  it('round-trips a multi-megabyte file to its mlflow-artifacts storage path', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    await store.write('3/abc/artifacts/model/model.pkl', chunked(data));
    assert.deepEqual(await readFile(path.join(root, '3', 'abc', 'artifacts', 'model', 'model.pkl')), data);
    const { stream, size } = await store.openRead('3/abc/artifacts/model/model.pkl');
    assert.equal(size, data.length);
    assert.deepEqual(await readAll(stream), data);
  });

  it('replaces an existing file whole', async () => {
    await store.write('replace/f.txt', Readable.from([Buffer.from('first version')]));
    await store.write('replace/f.txt', Readable.from([Buffer.from('2nd')]));
    assert.equal(await readFile(path.join(root, 'replace', 'f.txt'), 'utf8'), '2nd');
  });

  it('lists one level: basenames sorted, directories without size', async () => {
    await store.write('listing/a.txt', Readable.from([Buffer.from('0')]));
    await store.write('listing/dir/b.txt', Readable.from([Buffer.from('1')]));
    assert.deepEqual(await store.list('listing'), [
      { path: 'a.txt', is_dir: false, file_size: 1 },
      { path: 'dir', is_dir: true },
    ]);
    assert.deepEqual(await store.list('listing/dir'), [{ path: 'b.txt', is_dir: false, file_size: 1 }]);
    assert.deepEqual(await store.list('listing%2Fdir'), [{ path: 'b.txt', is_dir: false, file_size: 1 }]);
  });

  it('lists a missing directory, a path under a file, and a file as []', async () => {
    assert.deepEqual(await store.list('no/such/dir'), []);
    assert.deepEqual(await store.list('listing/a.txt/below'), []);
    assert.deepEqual(await store.list('listing/a.txt'), []);
  });

  it('lists the root of a store whose directory does not exist yet', async () => {
    const fresh = new ArtifactStore(path.join(await tempDir(), 'not-yet'));
    assert.deepEqual(await fresh.list(''), []);
  });

  it('reports missing files as RESOURCE_DOES_NOT_EXIST and directories as not files', async () => {
    await assert.rejects(store.openRead('listing/nope.txt'), { code: 'RESOURCE_DOES_NOT_EXIST' });
    await assert.rejects(store.openRead('listing/a.txt/x'), { code: 'RESOURCE_DOES_NOT_EXIST' });
    await assert.rejects(store.openRead('listing/dir'), {
      code: 'INVALID_PARAMETER_VALUE',
      message: "Artifact path refers to a directory, not a file: 'listing/dir'",
    });
  });

  it('deletes files and directory trees; missing is RESOURCE_DOES_NOT_EXIST; never the root', async () => {
    await store.write('del/one.txt', Readable.from([Buffer.from('1')]));
    await store.write('del/tree/sub/two.txt', Readable.from([Buffer.from('2')]));
    await store.delete('del/one.txt');
    await store.delete('del/tree');
    assert.deepEqual(await store.list('del'), []);
    await assert.rejects(store.delete('del/one.txt'), { code: 'RESOURCE_DOES_NOT_EXIST' });
    await assert.rejects(store.delete(''), invalidPath);
    await assert.rejects(store.delete('.'), invalidPath);
  });

  it('refuses to write over a directory or below a file', async () => {
    await assert.rejects(store.write('listing/dir', Readable.from([Buffer.from('x')])), {
      code: 'INVALID_PARAMETER_VALUE',
    });
    await assert.rejects(store.write('listing/a.txt/x', Readable.from([Buffer.from('x')])), {
      code: 'INVALID_PARAMETER_VALUE',
    });
  });

  it('leaves nothing behind when the upload fails, and keeps the previous file', async () => {
    await store.write('aborted/keep.bin', Readable.from([Buffer.from('old')]));
    await assert.rejects(store.write('aborted/keep.bin', failingSource()), { code: 'ECONNRESET' });
    await assert.rejects(store.write('aborted/new.bin', failingSource()), { code: 'ECONNRESET' });
    assert.deepEqual(await allFiles(path.join(root, 'aborted')), ['keep.bin']);
    assert.equal(await readFile(path.join(root, 'aborted', 'keep.bin'), 'utf8'), 'old');
  });

  it('hides staging files from listings', async () => {
    await writeFile(path.join(root, 'aborted', '.runboard-upload.leftover'), 'x');
    assert.deepEqual(await store.list('aborted'), [{ path: 'keep.bin', is_dir: false, file_size: 3 }]);
  });

  it('handles concurrent uploads into the same new directory', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    await Promise.all(names.map((n) => store.write(`concurrent/new/${n}`, Readable.from([Buffer.from(n)]))));
    assert.deepEqual(
      (await store.list('concurrent/new')).map((f) => f.path),
      names,
    );
  });

  it('decodes names: %20 and a literal % that starts no escape', async () => {
    await store.write('names/a%20b.txt', Readable.from([Buffer.from('x')]));
    await store.write('names/100%.txt', Readable.from([Buffer.from('y')]));
    assert.deepEqual(
      (await store.list('names')).map((f) => f.path),
      ['100%.txt', 'a b.txt'],
    );
  });

  for (const hostile of HOSTILE_PATHS) {
    it(`rejects the hostile path ${JSON.stringify(hostile)} in every operation`, async () => {
      assert.throws(() => store.resolve(hostile), invalidPath);
      await assert.rejects(store.list(hostile), invalidPath);
      await assert.rejects(store.openRead(hostile), invalidPath);
      await assert.rejects(store.write(hostile, Readable.from([Buffer.from('x')])), invalidPath);
      await assert.rejects(store.delete(hostile), invalidPath);
    });
  }

  it('rejects paths whose decoding never settles', () => {
    // `..` percent-encoded twelve times over: more rounds than any honest client needs.
    let encoded = '..';
    for (let i = 0; i < 12; i++) encoded = encodeURIComponent(encoded).replace(/\./g, '%2E');
    assert.throws(() => store.resolve(`${encoded}/x`), invalidPath);
  });

  it('refuses symlinks that lead outside the root, for every operation', async () => {
    await symlink(outside, path.join(root, 'escape'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'secret-link.txt'));
    const write = (p: string) => store.write(p, Readable.from([Buffer.from('pwned')]));

    await assert.rejects(store.openRead('escape/secret.txt'), invalidPath);
    await assert.rejects(store.openRead('secret-link.txt'), invalidPath);
    await assert.rejects(store.list('escape'), invalidPath);
    await assert.rejects(write('escape/new.txt'), invalidPath);
    await assert.rejects(write('escape/deeper/new.txt'), invalidPath);
    await assert.rejects(store.delete('escape/secret.txt'), invalidPath);
    await assert.rejects(store.delete('escape'), invalidPath);
    await assert.rejects(store.delete('secret-link.txt'), invalidPath);

    assert.deepEqual(await allFiles(outside), ['secret.txt']);
    assert.equal(await readFile(path.join(outside, 'secret.txt'), 'utf8'), 'secret');
    // Listing the root does not reveal the links (nor the outside file's size).
    const names = (await store.list('')).map((f) => f.path);
    assert.ok(!names.includes('escape') && !names.includes('secret-link.txt'), names.join(','));
  });

  it('refuses dangling symlinks, which mkdir or open could follow outside', async () => {
    await symlink(path.join(outside, 'not-yet'), path.join(root, 'dangling'));
    await assert.rejects(store.write('dangling/x/y.txt', Readable.from([Buffer.from('x')])), invalidPath);
    await assert.rejects(store.write('dangling', Readable.from([Buffer.from('x')])), invalidPath);
    assert.equal(existsSync(path.join(outside, 'not-yet')), false);
  });

  it('serves symlinks that stay inside the root', async () => {
    await store.write('real/inside.txt', Readable.from([Buffer.from('inside')]));
    await symlink(path.join(root, 'real'), path.join(root, 'alias'));
    assert.deepEqual(await readAll((await store.openRead('alias/inside.txt')).stream), Buffer.from('inside'));
    assert.deepEqual(await store.list('alias'), [{ path: 'inside.txt', is_dir: false, file_size: 6 }]);
  });
});

describe('download headers', () => {
  it('guesses content types as MLflow does, never text/html', () => {
    const cases: Array<[string, string]> = [
      ['a.txt', 'text/plain'],
      ['MLmodel', 'text/plain'],
      ['mlproject', 'text/plain'],
      ['conda.yaml', 'text/plain'],
      ['metrics.json', 'text/plain'],
      ['table.csv', 'text/plain'],
      ['b.pkl', 'application/octet-stream'],
      ['c.png', 'image/png'],
      ['d.pdf', 'application/pdf'],
      ['e.JPG', 'image/jpeg'],
      ['page.html', 'text/plain'],
      ['plot.svg', 'image/svg+xml'],
      ['.bashrc', 'application/octet-stream'],
      ['noext', 'application/octet-stream'],
    ];
    for (const [name, type] of cases) assert.equal(guessContentType(name), type, name);
  });

  it('writes Content-Disposition as a token, a quoted string, or with an RFC 5987 name', () => {
    assert.equal(contentDisposition('dog+step+20.png'), 'attachment; filename=dog+step+20.png');
    assert.equal(contentDisposition('a b"c\\d.txt'), 'attachment; filename="a b\\"c\\\\d.txt"');
    assert.equal(
      contentDisposition('résumé.txt'),
      "attachment; filename=resume.txt; filename*=UTF-8''r%C3%A9sum%C3%A9.txt",
    );
    assert.equal(contentDisposition('日本'), "attachment; filename=download; filename*=UTF-8''%E6%97%A5%E6%9C%AC");
  });
});

describe('mlflow-artifacts routes over HTTP', () => {
  let base: string;
  let root: string;
  let server: http.Server;

  before(async () => {
    root = path.join(await tempDir(), 'artifacts');
    const router = new Router();
    addArtifactRoutes(router, new ArtifactStore(root));
    server = http.createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const match = router.match(req.method ?? 'GET', url.pathname);
      if (!('handler' in match)) {
        sendJson(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'No route' });
        return;
      }
      try {
        const result = await match.handler({ req, res, url, tail: match.tail, params: match.params });
        if (result !== undefined) sendJson(res, 200, result);
      } catch (error) {
        if (res.headersSent) res.destroy();
        else sendError(res, error);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(path.dirname(root), { recursive: true, force: true });
  });

  const artifactsUrl = (p: string, prefix = '/api/2.0') => `${base}${prefix}/mlflow-artifacts/artifacts/${p}`;

  /** A request with its path sent byte for byte (fetch would normalize dot segments itself). */
  function rawRequest(method: string, rawPath: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}/`, { method, path: rawPath }, (res) => {
        readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body: body.toString('utf8') }), reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('uploads, then downloads identical bytes with safe headers', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const put = await fetch(artifactsUrl('0/run1/artifacts/model/model.pkl'), {
      method: 'PUT',
      body: data,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(await put.json(), {});
    assert.ok(existsSync(path.join(root, '0', 'run1', 'artifacts', 'model', 'model.pkl')));

    const get = await fetch(artifactsUrl('0/run1/artifacts/model/model.pkl'), { headers: { Accept: 'text/html' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), 'application/octet-stream');
    assert.equal(get.headers.get('content-disposition'), 'attachment; filename=model.pkl');
    assert.equal(get.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(get.headers.get('content-length'), String(data.length));
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), data);
  });

  it('serves text artifacts as text/plain with an escaped file name, also under /ajax-api', async () => {
    await fetch(artifactsUrl('0/run1/artifacts/my%20%22notes%22.html'), { method: 'PUT', body: '<script>' });
    const get = await fetch(artifactsUrl('0/run1/artifacts/my%20%22notes%22.html', '/ajax-api/2.0'));
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), 'text/plain');
    assert.equal(get.headers.get('content-disposition'), 'attachment; filename="my \\"notes\\".html"');
    assert.equal(await get.text(), '<script>');
  });

  it('lists as MLflow: basenames, {} for an empty or missing directory', async () => {
    await fetch(artifactsUrl('list/a.txt'), { method: 'PUT', body: '0' });
    await fetch(artifactsUrl('list/dir/b.txt'), { method: 'PUT', body: '1' });
    const listed = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts?path=list`);
    assert.equal(listed.status, 200);
    assert.equal(
      await listed.text(),
      '{"files":[{"path":"a.txt","is_dir":false,"file_size":1},{"path":"dir","is_dir":true}]}',
    );
    const nested = await fetch(`${base}/ajax-api/2.0/mlflow-artifacts/artifacts?path=list%2Fdir`);
    assert.deepEqual(await nested.json(), { files: [{ path: 'b.txt', is_dir: false, file_size: 1 }] });
    const missing = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts?path=list/none`);
    assert.equal(missing.status, 200);
    assert.deepEqual(await missing.json(), {});
    const rootListing = (await (await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts`)).json()) as {
      files: Array<{ path: string }>;
    };
    assert.deepEqual(
      rootListing.files.map((f) => f.path),
      ['0', 'list'],
    );
  });

  it('deletes (idempotently, as MLflow), after which a download is 404', async () => {
    await fetch(artifactsUrl('gone/x.txt'), { method: 'PUT', body: 'x' });
    const deleted = await fetch(artifactsUrl('gone/x.txt'), { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.deepEqual(await deleted.json(), {});
    const get = await fetch(artifactsUrl('gone/x.txt'));
    assert.equal(get.status, 404);
    assert.equal(((await get.json()) as { error_code: string }).error_code, 'RESOURCE_DOES_NOT_EXIST');
    const again = await fetch(artifactsUrl('gone/x.txt'), { method: 'DELETE' });
    assert.equal(again.status, 200);
  });

  it('answers 501 for multipart uploads so the client falls back to PUT', async () => {
    for (const step of ['create', 'complete', 'abort']) {
      const res = await fetch(`${base}/api/2.0/mlflow-artifacts/mpu/${step}/0/run1/artifacts/big.bin`, {
        method: 'POST',
        body: JSON.stringify({ path: '/tmp/big.bin', num_parts: 3 }),
      });
      assert.equal(res.status, 501);
      assert.deepEqual(await res.json(), {
        error_code: 'NOT_IMPLEMENTED',
        message: 'Multipart upload is not supported for the current artifact repository',
      });
    }
    const hostile = await rawRequest('POST', '/api/2.0/mlflow-artifacts/mpu/create/..%2fx');
    assert.equal(hostile.status, 400);
  });

  it('answers 400 Invalid path to encoded traversal on every route', async () => {
    const hostile = ['..%2fx', '%252e%252e/x', '%2fetc%2fpasswd', 'a%5c..%5cb', 'C:/x', 'a/%00b', 'x%23y'];
    const expected = '{"error_code":"INVALID_PARAMETER_VALUE","message":"Invalid path"}';
    for (const p of hostile) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await rawRequest(method, `/api/2.0/mlflow-artifacts/artifacts/${p}`);
        assert.deepEqual([res.status, res.body], [400, expected], `${method} ${p}`);
      }
      const listed = await rawRequest('GET', `/api/2.0/mlflow-artifacts/artifacts?path=${p}`);
      assert.deepEqual([listed.status, listed.body], [400, expected], `list ${p}`);
    }
    // Plain `..` segments never reach a handler: URL parsing resolves them, leaving no artifact route.
    const plain = await rawRequest('GET', '/api/2.0/mlflow-artifacts/artifacts/../../../../etc/passwd');
    assert.equal(plain.status, 404);
  });

  it('removes a partial upload when the client disconnects', async () => {
    const dir = path.join(root, 'partial');
    const filesIn = async (d: string) => (existsSync(d) ? allFiles(d) : []);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(artifactsUrl('partial/big.bin'), {
        method: 'PUT',
        headers: { 'Content-Length': String(10 * 1024 * 1024) },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(256 * 1024), (error) => {
        if (error) reject(error);
        // Hang up once the server is streaming into its staging file (proof that it does not buffer).
        waitFor(async () => (await filesIn(dir)).some((f) => f.startsWith('.runboard-upload.'))).then(
          () => req.destroy(),
          reject,
        );
      });
    });
    await waitFor(async () => (await filesIn(dir)).length === 0);
    assert.deepEqual(await filesIn(dir), []);
  });
});
