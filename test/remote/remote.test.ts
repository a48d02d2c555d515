// Issue "Team scale: any MLflow tracking server as Runboard's backend": Runboard's client path (src/client, what
// every view and command reads through) against real remote servers: the pinned `mlflow server` on PostgreSQL
// with proxied artifacts, the same with MLflow's basic-auth app, and `runboard serve`. The real Python client
// logs into each; the tests then read, register, transition, compare and fail the way the extension does.
//
//   npm run test:remote          (setup + build + this file; RUNBOARD_KEEP_TMP=1 keeps the servers' dirs and logs)
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ROUTES } from '../../src/api/routes';
import type { RunInfo } from '../../src/api/wire';
import { compareSnapshots, hasChanges, takeSnapshot } from '../../src/client/change-probe';
import { MlflowApiError, MlflowClient, type RequestOutcome } from '../../src/client/mlflow-client';
import { proxiedFilePath } from '../../src/extension/artifact-paths';
import { StoreAnswers } from '../../src/extension/python/store-answers';
import type { RemoteServer, ServerName } from './servers.mjs' with { 'resolution-mode': 'import' };

const LOG_RUNS = path.join(__dirname, 'fixtures', 'log_runs.py');
const EXPERIMENT = 'team-remote';
const SERVERS: ServerName[] = ['mlflow-postgres', 'mlflow-basic-auth', 'runboard-serve'];

interface Logged {
  experiment_id: string;
  run_ids: [string, string];
  model_run_id: string;
  model_id: string;
}

// servers.mjs is an ES module (the e2e tests use it too); this file is CommonJS like the unit tests.
let remote: typeof import('./servers.mjs', { with: { 'resolution-mode': 'import' } });
let stopAll: (() => Promise<void>) | undefined;
const servers = new Map<ServerName, RemoteServer>();
const logged = new Map<ServerName, Logged>();

before(async () => {
  remote = await import('./servers.mjs');
  const { lastJsonLine, runPython, startRemoteServers } = remote;
  const t0 = Date.now();
  const started = await startRemoteServers({ only: SERVERS });
  stopAll = started.stop;
  for (const server of started.servers) servers.set(server.name as ServerName, server);
  const t1 = Date.now();
  // What a teammate's training script does, against every server at once.
  await Promise.all(
    SERVERS.map(async (name) => {
      const server = servers.get(name)!;
      logged.set(name, lastJsonLine(await runPython(LOG_RUNS, [EXPERIMENT], { env: server.env })) as Logged);
    }),
  );
  console.log(`[remote] servers up in ${t1 - t0} ms (${started.servers.map((s) => `${s.name} ${s.startedInMs} ms`).join(', ')}); the Python client logged into all three in ${Date.now() - t1} ms`);
});

after(async () => {
  await stopAll?.();
});

function clientOf(name: ServerName, onOutcome?: (outcome: RequestOutcome) => void): MlflowClient {
  const server = servers.get(name);
  assert.ok(server, `${name} started`);
  return new MlflowClient({ baseUrl: server.url, credentials: server.credentials, timeoutMs: 20_000, ...(onOutcome ? { onOutcome } : {}) });
}

function isApiError(code: string, message?: RegExp, status?: number) {
  return (error: unknown) => {
    assert.ok(error instanceof MlflowApiError, `an MlflowApiError, not ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (status !== undefined) assert.equal(error.status, status);
    if (message) assert.match(error.message, message);
    return true;
  };
}

for (const name of SERVERS) {
  describe(name, () => {
    it('shows the experiment and the runs the Python client logged, with params, metrics, tags and history', async () => {
      const client = clientOf(name);
      const { experiment_id, run_ids } = logged.get(name)!;
      const experiment = await client.getExperimentByName(EXPERIMENT);
      assert.equal(experiment?.experiment_id, experiment_id);
      const listed = (await client.searchExperiments()).items.map((e) => e.name);
      assert.ok(listed.includes(EXPERIMENT), `${EXPERIMENT} in ${listed.join(', ')}`);

      const runs = (await client.searchRuns({ experimentIds: [experiment_id], orderBy: ['attributes.start_time DESC'] })).items;
      assert.deepEqual(runs.map((run) => run.info.run_name).sort(), ['model-run', 'run-a', 'run-b']);
      const runA = await client.getRun(run_ids[0]);
      assert.equal(runA.info.status, 'FINISHED');
      assert.deepEqual(Object.fromEntries(runA.data.params.map((p) => [p.key, p.value])), { lr: '0.1', optimizer: 'sgd' });
      assert.equal(runA.data.tags.find((t) => t.key === 'team')?.value, 'vision');
      const loss = runA.data.metrics.find((m) => m.key === 'loss');
      assert.equal(loss?.step, 9);
      assert.ok(Math.abs(loss.value - 1 / (1 + 9 * 0.1 * 10)) < 1e-9);

      const history = [];
      for await (const page of client.metricHistory(run_ids[0], 'loss')) history.push(...page);
      assert.deepEqual(history.map((m) => m.step).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const sampled = await client.sampledMetricHistory(run_ids, 'loss', { maxResults: 5 });
      assert.deepEqual([...new Set(sampled.map((m) => m.run_id))].sort(), [...run_ids].sort());
      assert.ok(sampled.length >= 4 && sampled.length <= 12, `sampled ${sampled.length} points of 20`);
    });

    it('lists and opens artifacts through the server\'s artifact proxy', async () => {
      const client = clientOf(name);
      const runA = await client.getRun(logged.get(name)!.run_ids[0]);
      const top = await client.listArtifacts(runA.info.run_id);
      assert.deepEqual(top.map((f) => [f.path, f.is_dir]), [['notes', true]]);
      const notes = await client.listArtifacts(runA.info.run_id, 'notes');
      assert.deepEqual(notes.map((f) => f.path), ['notes/summary.txt']);
      assert.match(runA.info.artifact_uri ?? '', /^mlflow-artifacts:/, 'artifacts are proxied');
      const storagePath = proxiedFilePath(runA.info.artifact_uri!, 'notes/summary.txt');
      assert.ok(storagePath);
      assert.equal(Buffer.from(await client.downloadProxiedArtifact(storagePath)).toString('utf8'), 'notes of run-a\n');
    });

    it('registers the logged model, transitions stages and sets an alias', async () => {
      const client = clientOf(name);
      const { experiment_id, model_run_id, model_id } = logged.get(name)!;
      const loggedModels = await client.searchLoggedModels([experiment_id], `source_run_id = '${model_run_id}'`);
      assert.deepEqual(loggedModels.map((m) => m.info.model_id), [model_id]);
      const modelName = `team-model-${name}`;
      const v1 = await client.registerModelVersion(modelName, `models:/${model_id}`, model_run_id, model_id);
      const v2 = await client.registerModelVersion(modelName, `models:/${model_id}`, model_run_id, model_id);
      assert.deepEqual([v1.version, v2.version], ['1', '2']);
      assert.equal((await client.transitionStage(modelName, '1', 'Production')).current_stage, 'Production');
      assert.equal((await client.transitionStage(modelName, '2', 'Production', true)).current_stage, 'Production');
      const versions = (await client.searchModelVersions({ filter: `name = '${modelName}'` })).items;
      assert.deepEqual(Object.fromEntries(versions.map((v) => [v.version, v.current_stage])), { '1': 'Archived', '2': 'Production' });
      await client.setAlias(modelName, 'champion', '2');
      const model = await client.getRegisteredModel(modelName);
      assert.deepEqual(model.aliases?.map((a) => [a.alias, a.version]), [['champion', '2']]);
      const models = (await client.searchRegisteredModels()).items.map((m) => m.name);
      assert.ok(models.includes(modelName));
    });

    it("answers the Python language server's questions (hover, completion, lenses) from this server", async () => {
      const { run_ids, model_run_id } = logged.get(name)!;
      const answers = new StoreAnswers(
        () => clientOf(name),
        (uri) => (uri === pathToFileURL(LOG_RUNS).toString() ? { fsPath: LOG_RUNS, folders: [] } : undefined),
      );
      const model = await answers.model(`team-model-${name}`);
      assert.ok(model?.exists);
      assert.deepEqual(
        model.versions.map((v) => [v.version, v.stage, v.aliases, v.runId]),
        [
          ['2', 'Production', ['champion'], model_run_id],
          ['1', 'Archived', [], model_run_id],
        ],
      );
      assert.deepEqual(await answers.model('no-such-model'), { exists: false, name: 'no-such-model' });
      const experiment = await answers.experiment(EXPERIMENT);
      assert.ok(experiment?.exists);
      assert.equal(experiment.runCount, 3);
      assert.equal(experiment.lastRun?.runName, 'model-run');
      const keys = await answers.keys(EXPERIMENT);
      assert.deepEqual([...keys!.metrics].sort(), ['accuracy', 'loss']);
      assert.deepEqual([...keys!.params].sort(), ['lr', 'optimizer']);
      const run = await answers.run(run_ids[0]);
      assert.ok(run && !('missing' in run));
      assert.equal(run.experimentName, EXPERIMENT);
      assert.equal(run.paramCount, 2);
      assert.deepEqual(await answers.run('0'.repeat(32)), { missing: true, runId: '0'.repeat(32) });
      assert.ok((await answers.modelNames())?.includes(`team-model-${name}`));
      // The script's runs, found by the mlflow.source.name the Python client recorded.
      const history = await answers.scriptRuns(pathToFileURL(LOG_RUNS).toString());
      assert.deepEqual(history?.runs.map((r) => r.runName), ['model-run', 'run-b', 'run-a']);
    });

    it('compares runs: searched by id, their params and metrics side by side', async () => {
      const client = clientOf(name);
      const { experiment_id, run_ids } = logged.get(name)!;
      const filter = `attributes.run_id IN (${run_ids.map((id) => `'${id}'`).join(', ')})`;
      const runs = (await client.searchRuns({ experimentIds: [experiment_id], filter, orderBy: ['metrics.accuracy DESC'] })).items;
      assert.deepEqual(runs.map((run) => run.info.run_name), ['run-a', 'run-b']);
      const table = runs.map((run) => ({
        lr: run.data.params.find((p) => p.key === 'lr')?.value,
        accuracy: run.data.metrics.find((m) => m.key === 'accuracy')?.value,
      }));
      assert.deepEqual(table, [
        { lr: '0.1', accuracy: 0.9 },
        { lr: '0.01', accuracy: 0.8 },
      ]);
      const better = (await client.searchRuns({ experimentIds: [experiment_id], filter: 'metrics.accuracy > 0.85 and params.optimizer = \'sgd\'' })).items;
      assert.deepEqual(better.map((run) => run.info.run_id), [run_ids[0]]);
    });

    it('a change probe sees a run training elsewhere, its end, an experiment change and a new model; nothing else', async () => {
      const client = clientOf(name);
      const { experiment_id } = logged.get(name)!;
      const start = await takeSnapshot(client);
      assert.equal(hasChanges(compareSnapshots(start, await takeSnapshot(client))), false, 'two snapshots of an idle server are equal');

      const created = await client.post<{ run: { info: RunInfo } }>(ROUTES.runs.create, { experiment_id, run_name: 'elsewhere', start_time: Date.now() });
      const runId = created.run.info.run_id;
      const started = await takeSnapshot(client);
      assert.deepEqual(compareSnapshots(start, started), { experiments: false, runIds: [runId], models: false });
      assert.ok(started.running.has(runId));

      await client.post(ROUTES.runs.logMetric, { run_id: runId, key: 'loss', value: 0.5, timestamp: Date.now(), step: 1 });
      const logging = await takeSnapshot(client);
      assert.deepEqual(compareSnapshots(started, logging).runIds, [runId], 'a logged point changes the run');

      await client.updateRun(runId, { status: 'FINISHED', endTime: Date.now() });
      const ended = await takeSnapshot(client);
      assert.deepEqual(compareSnapshots(logging, ended).runIds, [runId], 'the end of the run');
      assert.equal(ended.running.size, 0);

      await client.setExperimentTag(experiment_id, 'reviewed', 'yes');
      const tagged = await takeSnapshot(client);
      assert.equal(compareSnapshots(ended, tagged).experiments, true, 'an experiment tag');

      await client.post(ROUTES.registeredModels.create, { name: `probe-model-${name}` });
      const registered = await takeSnapshot(client);
      assert.deepEqual(compareSnapshots(tagged, registered), { experiments: false, runIds: [], models: true });
    });

    it('a call the server does not serve says the server is too old for it', async () => {
      const client = clientOf(name);
      await assert.rejects(client.get('/mlflow/no-such-call/get', { id: '1' }), isApiError('ENDPOINT_NOT_FOUND', /does not serve GET \/api\/2\.0\/mlflow\/no-such-call\/get .*older than this call needs/));
    });
  });
}

describe('credentials and errors', () => {
  it('mlflow basic-auth: a wrong password is refused with a clear message, and so is no password', async () => {
    const server = servers.get('mlflow-basic-auth')!;
    const outcomes: RequestOutcome[] = [];
    const wrong = new MlflowClient({ baseUrl: server.url, credentials: { kind: 'basic', username: remote.ADMIN.username, password: 'not-the-password' }, onOutcome: (o) => outcomes.push(o) });
    await assert.rejects(wrong.searchExperiments(), isApiError('UNAUTHENTICATED', /refused the username or password \(401\)\. Check the credentials and reconnect/, 401));
    assert.equal(outcomes.at(-1)?.error?.code, 'UNAUTHENTICATED', 'the outcome hook hears of it');
    const anonymous = new MlflowClient({ baseUrl: server.url });
    await assert.rejects(anonymous.searchExperiments(), isApiError('UNAUTHENTICATED', /needs a token or a username and password/, 401));
  });

  it('mlflow basic-auth: a user without permission may read but not change the admin\'s experiment (403)', async () => {
    const server = servers.get('mlflow-basic-auth')!;
    const admin = clientOf('mlflow-basic-auth');
    await admin.post('/mlflow/users/create', { username: 'reader', password: 'reader-pw-123' });
    const reader = new MlflowClient({ baseUrl: server.url, credentials: { kind: 'basic', username: 'reader', password: 'reader-pw-123' } });
    const experimentId = logged.get('mlflow-basic-auth')!.experiment_id;
    assert.equal((await reader.getExperiment(experimentId)).name, EXPERIMENT);
    await assert.rejects(reader.renameExperiment(experimentId, 'taken-over'), isApiError('PERMISSION_DENIED', /denied access \(403\).*may not change this/, 403));
  });

  it('runboard serve: a wrong token is refused with a clear message', async () => {
    const server = servers.get('runboard-serve')!;
    const wrong = new MlflowClient({ baseUrl: server.url, credentials: { kind: 'bearer', token: 'not-the-token' } });
    await assert.rejects(wrong.searchExperiments(), isApiError('UNAUTHENTICATED', /refused the token \(401\)/, 401));
  });

  it('a server that goes away midway: reads fail as UNREACHABLE with what to check, and the hook hears it', async () => {
    const server = await remote.startRunboardServe({ name: 'runboard-goes-away' });
    const outcomes: RequestOutcome[] = [];
    const client = new MlflowClient({ baseUrl: server.url, credentials: server.credentials, timeoutMs: 5000, onOutcome: (o) => outcomes.push(o) });
    try {
      assert.ok((await client.searchExperiments()).items.length >= 1);
      assert.equal(outcomes.at(-1)?.error, undefined);
    } finally {
      await server.stop();
    }
    await assert.rejects(client.searchExperiments(), isApiError('UNREACHABLE', /Cannot reach the MLflow server at http:\/\/127\.0\.0\.1:\d+ .*Check that it is running and the URL is right/));
    assert.equal(outcomes.at(-1)?.error?.code, 'UNREACHABLE');
  });
});
