// Issue 9, "open existing MLflow data": the core that serves an existing store with MLflow's own server
// (src/extension/stores), run against stores the real client made: an mlflow.db from mlflow 3.18, one from a
// 2.x client (the server refuses its schema until `mlflow db upgrade`), and an mlruns/ file store. Each is read
// back through src/client, the way every Runboard view reads.
//
//   npm run test:remote     (this file needs the fixture maker's venvs: test/stores/make-stores.mjs makes them)
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MlflowClient } from '../../src/client/mlflow-client';
import { findStores, isRoutineRequestLine, storeAt, storeLabel, type MlflowStore } from '../../src/extension/stores/mlflow-store';
import type { FixtureStore, StoreKind as Kind } from '../stores/make-stores.mjs' with { 'resolution-mode': 'import' };
import { checkMlflow, MlflowMissingError, OutdatedSchemaError, schemaOf, startStoreServer, upgradeSchema, type StoreServer } from '../../src/extension/stores/store-server';

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
/** Built by `npm run build`, which test:remote runs first. */
const GATE = path.join(ROOT, 'dist', 'gate-worker.js');
/** The server's own telemetry stays off in tests. */
const QUIET = { MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' };
const KINDS: Kind[] = ['mlflow3-sqlite', 'mlflow2-sqlite', 'mlflow3-filestore'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-stores-'));
const fixtures = new Map<Kind, FixtureStore>();
const started: StoreServer[] = [];

before(async () => {
  // An ES module shared with the e2e tests; this file is CommonJS like the other TypeScript tests.
  const { makeStore } = await import('../stores/make-stores.mjs');
  for (const kind of KINDS) fixtures.set(kind, await makeStore(kind, path.join(tmp, kind)));
});

after(async () => {
  await Promise.all(started.map((server) => server.stop()));
  if (!process.env.RUNBOARD_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
});

function fixture(kind: Kind): FixtureStore {
  const store = fixtures.get(kind);
  assert.ok(store, `fixture ${kind} made`);
  return store;
}

async function serve(store: MlflowStore, output: string[] = []): Promise<StoreServer> {
  const server = await startStoreServer({ python: PYTHON, store, env: QUIET, onOutput: (line) => output.push(line), gateScript: GATE });
  started.push(server);
  return server;
}

/** A client of the server, through its token gate when it has one. */
function clientOf(server: StoreServer): MlflowClient {
  return new MlflowClient({ baseUrl: server.url, timeoutMs: 30_000, credentials: server.token ? { kind: 'bearer', token: server.token } : { kind: 'none' } });
}

/** The Unix socket MLflow's server of `pgid` was told to listen on (from its command line). */
function socketOf(pgid: number): string | undefined {
  for (const line of liveInGroup(pgid)) {
    const match = /--uds '([^']+)'/.exec(line) ?? /--uds (\S+)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** Live (not zombie) processes of the group: an orphaned uvicorn worker would be one. */
function liveInGroup(pgid: number): string[] {
  const lines = execFileSync('ps', ['-eo', 'pgid=,stat=,args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => {
    const [group, stat] = line.trim().split(/\s+/);
    return Number(group) === pgid && !stat?.startsWith('Z');
  });
}

/** What every Runboard view reads of the seed: experiments, runs, artifacts, models with stages and aliases. */
async function assertSeedReadable(server: StoreServer, seed: FixtureStore): Promise<void> {
  const client = clientOf(server);
  const experiments = (await client.searchExperiments({ maxResults: 100 })).items;
  for (const [name, id] of Object.entries(seed.experiments)) {
    const experiment = experiments.find((e) => e.name === name);
    assert.ok(experiment, `experiment ${name} listed (got ${experiments.map((e) => e.name).join(', ')})`);
    assert.equal(experiment.experiment_id, id);
  }
  const manual = experiments.find((e) => e.name === 'seed-manual')!;
  assert.ok(manual.tags?.some((tag) => tag.key === 'team' && tag.value === 'vision'), 'experiment tags kept');

  const runs = (await client.searchRuns({ experimentIds: Object.values(seed.experiments), maxResults: 1000, viewType: 'ALL' })).items;
  assert.equal(runs.length, seed.runs, 'every run the seed logged (the deleted one too)');
  const names = new Set(runs.map((run) => run.info.run_name));
  for (const name of ['sgd-fast', 'adam-slow', 'diverged', 'discarded', 'lr-sweep', 'autolog-logreg', 'classifier-v1', 'classifier-v2', 'regressor']) assert.ok(names.has(name), `run ${name}`);
  const sweepChildren = runs.filter((run) => run.data.tags.some((tag) => tag.key === 'mlflow.parentRunId'));
  assert.equal(sweepChildren.length, 4, 'the sweep\'s nested trials');
  const diverged = runs.find((run) => run.info.run_name === 'diverged')!;
  assert.equal(diverged.info.status, 'FAILED');
  const autolog = runs.find((run) => run.info.run_name === 'autolog-logreg')!;
  assert.ok(autolog.data.params.some((param) => param.key === 'max_iter' && param.value === '300'), 'autolog params');

  // Artifacts the client wrote next to the store are readable through the server.
  const sgd = runs.find((run) => run.info.run_name === 'sgd-fast')!;
  const top = (await client.listArtifacts(sgd.info.run_id)).map((file) => file.path).sort();
  assert.deepEqual(top, ['checkpoints', 'config', 'notes', 'plots', 'summary.json']);
  const summary = JSON.parse(new TextDecoder().decode(await client.downloadRunArtifact(sgd.info.run_id, 'summary.json'))) as { lr: number };
  assert.equal(summary.lr, 0.1, 'a file the client wrote next to the store reads back through the server');

  const versions = (await client.searchModelVersions({ filter: "name = 'seed-classifier'" })).items;
  const stageOf = (version: string) => versions.find((v) => v.version === version)?.current_stage;
  assert.equal(stageOf('1'), 'Archived');
  assert.equal(stageOf('2'), 'Production');
  const registered = await client.getRegisteredModel('seed-classifier');
  assert.deepEqual(registered.aliases, [{ alias: 'champion', version: '2' }]);
  assert.equal((await client.searchModelVersions({ filter: "name = 'seed-regressor'" })).items.length, 1);
}

describe('finding MLflow stores in a workspace', () => {
  it('finds mlflow.db and mlruns/ file stores, and nothing in environments or artifact folders', async () => {
    const workspace = path.join(tmp, 'workspace');
    fs.mkdirSync(path.join(workspace, 'project'), { recursive: true });
    fs.cpSync(path.join(fixture('mlflow3-sqlite').dir, 'mlflow.db'), path.join(workspace, 'mlflow.db'));
    fs.cpSync(path.join(fixture('mlflow3-filestore').dir, 'mlruns'), path.join(workspace, 'project', 'mlruns'), { recursive: true });
    fs.mkdirSync(path.join(workspace, '.venv', 'lib'), { recursive: true });
    fs.cpSync(path.join(workspace, 'mlflow.db'), path.join(workspace, '.venv', 'lib', 'mlflow.db'));
    fs.mkdirSync(path.join(workspace, 'other', 'mlruns', '1', 'abc', 'artifacts'), { recursive: true }); // a sqlite store's artifacts: no meta.yaml
    const found = await findStores(workspace);
    assert.deepEqual(
      found.map((store) => [store.kind, storeLabel(store, workspace)]),
      [
        ['sqlite', 'mlflow.db'],
        ['file', 'project/mlruns'],
      ],
    );
    // The sqlite fixture's own artifact folder mlruns/ is not a store; its mlflow.db is.
    assert.deepEqual((await findStores(fixture('mlflow3-sqlite').dir)).map((store) => store.kind), ['sqlite']);
  });

  it('tells a store from a file or folder that is not one', () => {
    const text = path.join(tmp, 'notes.db');
    fs.writeFileSync(text, 'not sqlite at all, just text');
    assert.equal(storeAt(text), undefined);
    assert.equal(storeAt(path.join(tmp, 'missing.db')), undefined);
    assert.equal(storeAt(tmp), undefined);
    assert.deepEqual(storeAt(path.join(fixture('mlflow3-filestore').dir, 'mlruns')), { kind: 'file', path: path.join(fixture('mlflow3-filestore').dir, 'mlruns') });
  });
});

describe('MLflow\'s server on an existing store', () => {
  it('an mlflow.db from mlflow 3.18: served as it is; stop() leaves no process behind', async () => {
    const seed = fixture('mlflow3-sqlite');
    const output: string[] = [];
    const server = await serve({ kind: 'sqlite', path: path.join(seed.dir, 'mlflow.db') }, output);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback only');
    await assertSeedReadable(server, seed);
    assert.ok(output.some((line) => /Uvicorn running on unix socket/.test(line)), 'the server\'s output reaches the log');
    // Its access log: requests that worked are routine (trace level), one that failed is not.
    await assert.rejects(clientOf(server).getExperiment('424242'), /No Experiment with id=424242 exists/);
    const requests = output.filter((line) => /HTTP\/1\.1"/.test(line));
    assert.ok(requests.some((line) => /experiments\/search/.test(line) && isRoutineRequestLine(line)), `a search that worked is routine: ${requests.join('\n')}`);
    const failed = requests.filter((line) => /experiments\/get/.test(line));
    assert.ok(failed.length > 0 && failed.every((line) => !isRoutineRequestLine(line)), `the failed get stays visible: ${failed.join('\n')}`);
    assert.equal(output.filter((line) => /Uvicorn running|Started server process/.test(line)).some(isRoutineRequestLine), false);
    await server.stop();
    assert.equal((await server.exited).requested, true);
    assert.deepEqual(liveInGroup(server.pid), [], 'the whole process group is gone');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the last lines it printed reach the log
    assert.deepEqual(output.filter((line) => /Fatal Python error|Traceback/.test(line)), [], 'it stops cleanly: no crash in the log');
  });

  it('only who holds the token reaches it: MLflow\'s server is on a socket in a private folder, the gate checks token and Host', async () => {
    const seed = fixture('mlflow3-sqlite');
    const server = await serve({ kind: 'sqlite', path: path.join(seed.dir, 'mlflow.db') });
    assert.ok(server.token, 'a token for the gate');
    const socket = socketOf(server.pid);
    assert.ok(socket, 'MLflow\'s server listens on a Unix socket');
    assert.equal(fs.statSync(path.dirname(socket)).mode & 0o777, 0o700, 'in a folder only this user can enter');
    const search = `${server.url}/api/2.0/mlflow/experiments/search?max_results=1`;
    const anonymous = await fetch(search);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error_code: string }).error_code, 'UNAUTHENTICATED');
    // fetch() sets Host itself: a raw request sends what a rebound browser page would.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      http.get(search, { headers: { Authorization: `Bearer ${server.token}`, Host: 'evil.example' } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).once('error', reject);
    });
    assert.equal(rebound, 403, 'a Host that is not loopback (DNS rebinding) is refused');
    assert.equal((await fetch(search, { headers: { Authorization: `Bearer ${server.token}` } })).status, 200);
    await assert.rejects(new MlflowClient({ baseUrl: server.url, credentials: { kind: 'bearer', token: 'wrong' } }).searchExperiments(), /refused the token \(401\)/);

    // MLflow's server dies: the gate says so with a 503, which every view takes as "stale", not as an error.
    process.kill(-server.pid, 'SIGKILL');
    await server.exited;
    await assert.rejects(clientOf(server).searchExperiments(), (error: unknown) => error instanceof Error && /does not answer/.test(error.message) && (error as { status?: number }).status === 503);
    await server.stop();
    assert.equal(fs.existsSync(path.dirname(socket)), false, 'stop() removes the socket\'s folder');
    await assert.rejects(fetch(`${server.url}/health`), 'the gate is closed');
  });

  it('an mlflow too old to listen on a socket (2.x) is served on a loopback port without a token', async () => {
    const { makeStore } = await import('../stores/make-stores.mjs');
    const seed = await makeStore('mlflow2-sqlite', path.join(tmp, 'mlflow2-own-client'));
    const output: string[] = [];
    const server = await startStoreServer({ python: seed.python, store: { kind: 'sqlite', path: path.join(seed.dir, 'mlflow.db') }, env: QUIET, onOutput: (line) => output.push(line), gateScript: GATE });
    started.push(server);
    assert.equal(server.token, undefined);
    assert.ok(output.some((line) => /no --uvicorn-opts/.test(line)), 'the log says why there is no token');
    await assertSeedReadable(server, seed);
  });

  it('a start cancelled midway (or a window closing meanwhile) leaves no process behind', async () => {
    const store: MlflowStore = { kind: 'sqlite', path: path.join(fixture('mlflow3-sqlite').dir, 'mlflow.db') };
    const abort = new AbortController();
    const output: string[] = [];
    const starting = startStoreServer({ python: PYTHON, store, env: QUIET, signal: abort.signal, onOutput: (line) => output.push(line) });
    for (let waited = 0; output.length === 0; waited += 100) {
      assert.ok(waited < 60_000, 'the server process printed something');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    abort.abort();
    await assert.rejects(starting, /cancelled/);
    const servers = execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(store.path) && !line.trim().startsWith('Z'));
    assert.deepEqual(servers, []);
  });

  it('a server whose extension host dies without deactivating (kill -9) stops by itself', async () => {
    const store: MlflowStore = { kind: 'sqlite', path: path.join(fixture('mlflow3-sqlite').dir, 'mlflow.db') };
    // A stand-in extension host: starts the server, prints its pid, then waits to be killed.
    const host = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { startStoreServer } = require(${JSON.stringify(path.join(ROOT, 'src', 'extension', 'stores', 'store-server.ts'))});
      startStoreServer({ python: ${JSON.stringify(PYTHON)}, store: ${JSON.stringify(store)}, env: ${JSON.stringify(QUIET)} })
        .then((server) => { console.log('PID ' + server.pid); setInterval(() => {}, 1000); });
    `], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      host.stdout.on('data', (chunk) => {
        out += chunk;
        const match = /PID (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      host.once('exit', (code) => reject(new Error(`the stand-in host exited (${code}) before the server answered`)));
    });
    assert.notDeepEqual(liveInGroup(pid), [], 'the server runs');
    host.kill('SIGKILL');
    for (let waited = 0; liveInGroup(pid).length > 0; waited += 250) {
      assert.ok(waited < 30_000, `the server's group is still alive 30 s after its host died: ${liveInGroup(pid).join('; ')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  it('an mlflow.db from a 2.x client: the schema is refused with a clear error; after mlflow db upgrade it is served', async () => {
    const seed = fixture('mlflow2-sqlite');
    assert.match(seed.mlflowVersion, /^2\./);
    const store: MlflowStore = { kind: 'sqlite', path: path.join(seed.dir, 'mlflow.db') };
    await assert.rejects(serve(store), (error: unknown) => {
      assert.ok(error instanceof OutdatedSchemaError, String(error));
      assert.notEqual(error.found, error.expected);
      assert.match(error.message, /older MLflow/);
      return true;
    });
    await upgradeSchema(PYTHON, store);
    const upgraded = await schemaOf(PYTHON, store);
    assert.equal(upgraded.current, upgraded.head, 'migrated to the schema this mlflow needs');
    const server = await serve(store);
    await assertSeedReadable(server, seed);
  });

  it('an mlruns/ file store: served with MLflow 3\'s file-store opt-in', async () => {
    const seed = fixture('mlflow3-filestore');
    const server = await serve({ kind: 'file', path: path.join(seed.dir, 'mlruns') });
    await assertSeedReadable(server, seed);
    // A write through the server lands in the file store.
    const id = await clientOf(server).createExperiment('written-through-runboard');
    assert.ok(fs.existsSync(path.join(seed.dir, 'mlruns', id, 'meta.yaml')));
  });
});

describe('an interpreter without mlflow', () => {
  const bare = path.join(tmp, 'bare-venv');
  before(() => {
    execFileSync('python3', ['-m', 'venv', '--without-pip', bare]);
  });

  it('checkMlflow names the interpreter that lacks mlflow', async () => {
    const python = path.join(bare, 'bin', 'python');
    await assert.rejects(checkMlflow(python), (error: unknown) => {
      assert.ok(error instanceof MlflowMissingError);
      assert.equal(error.reason, 'no-mlflow');
      assert.equal(error.message, `mlflow is not installed in the Python interpreter ${python}.`);
      return true;
    });
    assert.match(await checkMlflow(PYTHON), /^3\.\d+\.\d+/);
  });

  it('starting the server with it fails with the same error, and a missing interpreter says so', async () => {
    const store: MlflowStore = { kind: 'sqlite', path: path.join(fixture('mlflow3-sqlite').dir, 'mlflow.db') };
    await assert.rejects(startStoreServer({ python: path.join(bare, 'bin', 'python'), store }), (error: unknown) => error instanceof MlflowMissingError && error.reason === 'no-mlflow');
    await assert.rejects(checkMlflow(path.join(tmp, 'no-such-python')), (error: unknown) => error instanceof MlflowMissingError && error.reason === 'no-python' && /could not be run \(not found\)/.test(error.message));
  });
});
