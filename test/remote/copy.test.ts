// Issue 9 "Existing MLflow data": stores made by the real mlflow client (test/stores: an mlflow.db of mlflow 3.18,
// one of mlflow 2.22, an mlruns/ file store), each served by the real `mlflow server` of the client that made it,
// copied into fresh Runboard stores by the copy engine (src/client/copy) and by `runboard copy`, then both sides
// read call by call through the REST API (copy-compare.ts says what may differ) and compared: identical. Copying
// again adds nothing; a copy cancelled mid-way, or whose CLI process is killed, resumes to the same result.
//
//   npm run test:remote    (RUNBOARD_KEEP_TMP=1 keeps the tmp dirs and server logs)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROUTES } from '../../src/api/routes';
import { LOCK_FILE } from '../../src/api/server-host-protocol';
import type { ModelVersion } from '../../src/api/wire';
import { CopyCancelledError, copyBetweenServers } from '../../src/client/copy/copy-engine';
import { copiedNothing } from '../../src/client/copy/copy-summary';
import { FILLER_VERSION_TAG, SOURCE_RUN_TAG } from '../../src/client/copy/copy-tags';
import { MlflowClient } from '../../src/client/mlflow-client';
import { startServer } from '../../src/server/server';
import { TrackingStore } from '../../src/store/tracking-store';
import { counts, snapshot } from './copy-compare';
import type { RemoteServer } from './servers.mjs' with { 'resolution-mode': 'import' };
import type { FixtureStore, StoreKind } from '../stores/make-stores.mjs' with { 'resolution-mode': 'import' };

// RUNBOARD_COPY_KINDS=mlflow2-sqlite,... runs only those stores (while working on one).
const KINDS = (process.env.RUNBOARD_COPY_KINDS?.split(',') ?? ['mlflow3-sqlite', 'mlflow2-sqlite', 'mlflow3-filestore']) as StoreKind[];
const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-copy-'));

type Snapshot = Awaited<ReturnType<typeof snapshot>>;
interface Source {
  store: FixtureStore;
  server: RemoteServer;
  client: MlflowClient;
  snap: Snapshot;
}
const sources = new Map<StoreKind, Source>();
const opened: (() => Promise<void>)[] = [];

before(async () => {
  const { startMlflowServer } = await import('./servers.mjs');
  const { makeStore } = await import('../stores/make-stores.mjs');
  const t0 = Date.now();
  await Promise.all(
    KINDS.map(async (kind) => {
      const store = await makeStore(kind, path.join(TMP, `source-${kind}`));
      // Each store is served by the client that wrote it (mlflow 3 would ask for `mlflow db upgrade` first on
      // a 2.x database); mlflow 3 serves a file store only when allowed to.
      const server = await startMlflowServer({
        name: kind,
        backendStoreUri: store.backendStoreUri,
        mlflow: path.join(path.dirname(store.python), 'mlflow'),
        extraEnv: { MLFLOW_ALLOW_FILE_STORE: 'true' },
      });
      const client = new MlflowClient({ baseUrl: server.url, timeoutMs: 60_000 });
      sources.set(kind, { store, server, client, snap: await snapshot(client) });
    }),
  );
  console.log(`[copy] three fixture stores served and read in ${Date.now() - t0} ms`);
});

after(async () => {
  for (const close of opened) await close().catch(() => {});
  await Promise.allSettled([...sources.values()].map((source) => source.server.stop()));
  if (!process.env.RUNBOARD_KEEP_TMP) fs.rmSync(TMP, { recursive: true, force: true });
});

/** A Runboard store folder served in this process, as the CLI and the extension serve one. */
async function openRunboard(dir: string): Promise<{ client: MlflowClient; close(): Promise<void> }> {
  const store = TrackingStore.open(dir);
  const token = randomBytes(16).toString('hex');
  const server = await startServer({ store, artifactRoot: path.join(dir, 'artifacts'), port: 0, token });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
    store.close();
  };
  opened.push(close);
  return { client: new MlflowClient({ baseUrl: server.url, credentials: { kind: 'bearer', token }, timeoutMs: 60_000 }), close };
}

/** `runboard copy`; with `killAt`, sends `signal` (SIGKILL) as soon as a progress line matches. */
function runCli(args: string[], killAt?: RegExp, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'copy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    proc.stdout.resume();
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && killAt && stderr.split('\n').some((line) => killAt.test(line))) {
        sent = true;
        proc.kill(signal);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** deepStrictEqual, leaving both sides as JSON in the tmp dir when they differ (kept with RUNBOARD_KEEP_TMP=1). */
function assertSame(actual: Snapshot, expected: Snapshot, name: string) {
  try {
    assert.deepStrictEqual(actual, expected);
  } catch (error) {
    fs.writeFileSync(path.join(TMP, `${name}.actual.json`), JSON.stringify(actual, null, 1));
    fs.writeFileSync(path.join(TMP, `${name}.expected.json`), JSON.stringify(expected, null, 1));
    throw error;
  }
}

function sourceOf(kind: StoreKind): Source {
  const source = sources.get(kind);
  assert.ok(source, `${kind} served`);
  return source;
}

/** The seed's shape, so an empty or partial read can never pass as "identical". */
function assertSeedShape(kind: StoreKind, snap: Snapshot) {
  const total = counts(snap);
  assert.equal(total.runs, sourceOf(kind).store.runs, 'every run of the seed, the deleted one included');
  assert.equal(total.versions, 3, 'seed-classifier v1, v2 and seed-regressor v1');
  assert.ok(total.points > 200, `full metric histories (${total.points} points)`);
  assert.ok(total.files > 30, `artifact files (${total.files})`);
}

for (const kind of KINDS) {
  describe(`copy from ${kind}`, { timeout: 600_000 }, () => {
    const destination = path.join(TMP, `runboard-${kind}`);

    it('copies into a fresh Runboard store: identical through the REST API, call by call', async () => {
      const source = sourceOf(kind);
      assertSeedShape(kind, source.snap);
      if (kind === 'mlflow2-sqlite') {
        // Once through the CLI, as a user would.
        const result = await runCli(['--from', source.server.url, '--to', destination]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /Copy complete\.\n\s+experiments: 4 copied/);
      } else {
        const dest = await openRunboard(destination);
        const summary = await copyBetweenServers(source.client, dest.client);
        assert.equal(summary.runs.copied, source.store.runs);
        assert.equal(summary.versions.copied, 3);
        await dest.close();
      }
      const dest = await openRunboard(destination);
      assertSame(await snapshot(dest.client), source.snap, `${kind}-first`);
      await dest.close();
    });

    it('copies again: nothing new, nothing twice', async () => {
      const source = sourceOf(kind);
      const dest = await openRunboard(destination);
      const summary = await copyBetweenServers(source.client, dest.client);
      assert.ok(copiedNothing(summary), JSON.stringify(summary));
      assert.equal(summary.runs.skipped, source.store.runs);
      assert.equal(summary.versions.skipped, 3);
      const again = await snapshot(dest.client);
      assert.deepStrictEqual(counts(again), counts(source.snap));
      assertSame(again, source.snap, `${kind}-again`);
      await dest.close();
    });

    it('resumes an interrupted copy to the same result', async () => {
      const source = sourceOf(kind);
      const resumed = path.join(TMP, `resumed-${kind}`);
      if (kind === 'mlflow3-filestore') {
        // The CLI process killed mid-way (no chance to clean up), then the same command again.
        // Killed right after an artifact write once a run is done: in the middle of the next run.
        const killed = await runCli(['--from', source.server.url, '--to', resumed], /^\[[1-9]\d*\/\d+\] Run [^:]+: .+\.\w+$/);
        assert.equal(killed.signal, 'SIGKILL', killed.stderr);
        const partial = await openRunboard(resumed);
        assert.ok(counts(await snapshot(partial.client)).runs < source.store.runs, 'killed before the end');
        await partial.close();
        const result = await runCli(['--from', source.server.url, '--to', resumed]);
        assert.equal(result.code, 0, result.stderr);
        const [, copied, finished, skipped] = /runs: (\d+) copied, (\d+) finished from an earlier copy, (\d+) already there/.exec(result.stderr) ?? [];
        assert.ok(Number(skipped) >= 1 && Number(copied) + Number(finished) + Number(skipped) === source.store.runs, result.stderr);
      } else {
        // Cancelled after some file and metric writes: mid-run, so one run is left unfinished.
        const dest = await openRunboard(resumed);
        const controller = new AbortController();
        let writes = 0;
        await assert.rejects(
          copyBetweenServers(source.client, dest.client, {
            signal: controller.signal,
            onProgress: ({ message }) => {
              if (message.includes(': ') && ++writes === 20) controller.abort();
            },
          }),
          CopyCancelledError,
        );
        assert.ok(counts(await snapshot(dest.client)).runs < source.store.runs, 'cancelled before the end');
        const summary = await copyBetweenServers(source.client, dest.client);
        assert.equal(summary.runs.resumed, 1, JSON.stringify(summary));
        assert.equal(summary.runs.copied + summary.runs.resumed + summary.runs.skipped, source.store.runs);
        await dest.close();
      }
      const dest = await openRunboard(resumed);
      assertSame(await snapshot(dest.client), source.snap, `${kind}-resumed`);
      await dest.close();
    });
  });
}

describe('runboard copy and Ctrl-C', { timeout: 600_000 }, () => {
  it('stops cleanly on SIGINT: exit 130, the summary so far, the store unlocked; the same command resumes', async () => {
    const source = sourceOf(KINDS[0] ?? 'mlflow3-sqlite');
    const dir = path.join(TMP, 'interrupted');
    const args = ['--from', source.server.url, '--to', dir];
    const stopped = await runCli(args, /^\[[1-9]\d*\/\d+\] Run [^:]+: .+\.\w+$/, 'SIGINT');
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /Stopping after the current step[\s\S]*Copy stopped\. So far:\n\s+experiments: [\s\S]*Run the same command again to resume\./);
    assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)), 'the store lock is released');
    const resumed = await runCli(args);
    assert.equal(resumed.code, 0, resumed.stderr);
    const dest = await openRunboard(dir);
    assertSame(await snapshot(dest.client), source.snap, 'interrupted');
    await dest.close();
  });

  it('says what is wrong with bad arguments, and what to do', async () => {
    const missing = await runCli(['--from', path.join(TMP, 'no-such-store'), '--to', path.join(TMP, 'anywhere')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /holds no Runboard store \(no runboard\.db\)\. Pass a store folder such as \.runboard, or a server URL\./);
    const sqlite = await runCli(['--from', 'sqlite:///mlflow.db', '--to', path.join(TMP, 'anywhere')]);
    assert.equal(sqlite.code, 2);
    assert.match(sqlite.stderr, /Serve that store first \(mlflow server --backend-store-uri sqlite:\/\/\/mlflow\.db\)/);
    const unreachable = await runCli(['--from', 'http://127.0.0.1:9', '--to', path.join(TMP, 'anywhere')]);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /Cannot reach the MLflow server at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('copy onward into an mlflow server', { timeout: 600_000 }, () => {
  it('copies a Runboard store (itself a copy) into a fresh mlflow server with proxied artifacts: identical', async () => {
    const kind = KINDS[0] ?? 'mlflow3-sqlite';
    const source = sourceOf(kind);
    const { startMlflowServer } = await import('./servers.mjs');
    const dir = path.join(TMP, 'onward');
    fs.mkdirSync(dir);
    const server = await startMlflowServer({ name: 'copy-onward', backendStoreUri: `sqlite:///${path.join(dir, 'mlflow.db')}` });
    opened.push(() => server.stop());
    const middle = await openRunboard(path.join(TMP, 'middle'));
    await copyBetweenServers(source.client, middle.client);
    const target = new MlflowClient({ baseUrl: server.url, timeoutMs: 60_000 });
    const summary = await copyBetweenServers(middle.client, target);
    assert.equal(summary.runs.copied, source.store.runs);
    assertSame(await snapshot(target), source.snap, 'onward');
    // Back again: the runs carry their origin, so copying the mlflow server's copy into the middle adds nothing.
    assert.ok(copiedNothing(await copyBetweenServers(target, middle.client)));
    await middle.close();
  });
});

describe('copy with --experiment', { timeout: 600_000 }, () => {
  it('copies only the named experiment and the models of its runs', async () => {
    const source = sourceOf(KINDS[0] ?? 'mlflow3-sqlite');
    const dest = await openRunboard(path.join(TMP, 'only-registry'));
    await copyBetweenServers(source.client, dest.client, { experiments: ['seed-registry'] });
    const names = (await dest.client.searchExperiments()).items.map((experiment) => experiment.name).sort();
    assert.deepStrictEqual(names, ['Default', 'seed-registry']);
    assert.deepStrictEqual(await snapshot(dest.client, ['seed-registry']), await snapshot(source.client, ['seed-registry']));
    await assert.rejects(copyBetweenServers(source.client, dest.client, { experiments: ['no-such'] }), /No active experiment named 'no-such' on the source\. It has: /);
    await dest.close();
  });
});

// Last in this file: these change a source store the tests above compare against.
describe('copy after the source changed a finished run', { timeout: 600_000 }, () => {
  it('a note and a tag set after the run ended reach the copy made before; then nothing is new again', async () => {
    const kind = KINDS[0] ?? 'mlflow3-sqlite';
    const source = sourceOf(kind);
    const experimentIds = Object.values(source.store.experiments);
    const [sgd] = (await source.client.searchRuns({ experimentIds, filter: "attributes.run_name = 'sgd-fast'" })).items;
    assert.ok(sgd, 'the seed\'s sgd-fast run');
    assert.equal(sgd.info.status, 'FINISHED');
    await source.client.setTag(sgd.info.run_id, 'mlflow.note.content', 'Diverges after epoch 30; see adam-slow.');
    await source.client.setTag(sgd.info.run_id, 'reviewed', 'yes');

    const dest = await openRunboard(path.join(TMP, `runboard-${kind}`)); // the complete copy made above
    const summary = await copyBetweenServers(source.client, dest.client);
    assert.equal(summary.tags, 2, JSON.stringify(summary));
    assert.equal(summary.runs.skipped, source.store.runs, 'no run copied or resumed: only its tags followed');
    const [copy] = (await dest.client.searchRuns({ experimentIds: (await dest.client.searchExperiments()).items.map((e) => e.experiment_id), filter: `tags.\`${SOURCE_RUN_TAG}\` = '${sgd.info.run_id}'` })).items;
    assert.ok(copy, 'the copy of sgd-fast');
    const tags = Object.fromEntries(copy.data.tags.map((tag) => [tag.key, tag.value]));
    assert.equal(tags['mlflow.note.content'], 'Diverges after epoch 30; see adam-slow.');
    assert.equal(tags.reviewed, 'yes');
    assert.ok(copiedNothing(await copyBetweenServers(source.client, dest.client)), 'and a further copy finds nothing new');
    await dest.close();
  });
});

describe('copy keeps model version numbers', { timeout: 600_000 }, () => {
  it('a version the source deleted leaves its number unused: version 4 stays 4, on Runboard and on an mlflow server', async () => {
    const kind = KINDS[0] ?? 'mlflow3-sqlite';
    const source = sourceOf(kind);
    const name = 'seed-classifier';
    const v2 = (await source.client.get<{ model_version: ModelVersion }>(ROUTES.modelVersions.get, { name, version: '2' })).model_version;
    const create = async () => (await source.client.post<{ model_version: ModelVersion }>(ROUTES.modelVersions.create, { name, source: v2.source, run_id: v2.run_id, model_id: v2.model_id || /^models:\/(m-[^/]+)$/.exec(v2.source ?? '')?.[1] })).model_version.version;
    assert.equal(await create(), '3');
    await source.client.deleteModelVersion(name, '3');
    assert.equal(await create(), '4');
    await source.client.setAlias(name, 'candidate', '4');

    const numbersOf = async (client: MlflowClient) => {
      const versions = (await client.searchModelVersions({ filter: `name = '${name}'`, maxResults: 100 })).items;
      assert.ok(versions.every((version) => !version.tags?.some((tag) => tag.key === FILLER_VERSION_TAG)), 'no filler left');
      return versions.map((version) => version.version).sort();
    };
    const dest = await openRunboard(path.join(TMP, `runboard-${kind}`)); // the complete copy made above
    const summary = await copyBetweenServers(source.client, dest.client);
    assert.equal(summary.versions.copied, 1, JSON.stringify(summary));
    assert.deepEqual(summary.notes, []);
    assert.deepEqual(await numbersOf(dest.client), ['1', '2', '4']);
    assert.deepEqual((await dest.client.getRegisteredModel(name)).aliases?.find((alias) => alias.alias === 'candidate'), { alias: 'candidate', version: '4' });
    await assert.rejects(dest.client.get(ROUTES.modelVersions.get, { name, version: '3' }), /RESOURCE_DOES_NOT_EXIST|not found|does not exist/i);

    // Onward into a fresh mlflow server: its registry numbers versions the same way, so 1, 2, 4 again.
    const { startMlflowServer } = await import('./servers.mjs');
    const dir = path.join(TMP, 'numbered');
    fs.mkdirSync(dir);
    const server = await startMlflowServer({ name: 'copy-numbered', backendStoreUri: `sqlite:///${path.join(dir, 'mlflow.db')}` });
    opened.push(() => server.stop());
    const target = new MlflowClient({ baseUrl: server.url, timeoutMs: 60_000 });
    const onward = await copyBetweenServers(dest.client, target);
    assert.deepEqual(onward.notes, []);
    assert.deepEqual(await numbersOf(target), ['1', '2', '4']);
    assert.ok(copiedNothing(await copyBetweenServers(dest.client, target)), 'copying again adds no version');
    await dest.close();
  });
});
