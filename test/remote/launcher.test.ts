// Issues 6 and 8: the launcher and predict against a real remote `mlflow server` (basic auth, proxied
// artifacts): the script gets the remote URI and credentials, the launch's run is found by its launch tag and
// gets its log, exit status and tags; predict and serve load a registered version through that server.
//
//   npm run test:remote
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { MlflowClient, type Run } from '../../src/client/mlflow-client';
import { proxiedFilePath } from '../../src/extension/artifact-paths';
import { startLaunch } from '../../src/extension/launcher/launch';
import { COMMAND_LINE_TAG, EXIT_CODE_TAG, LAUNCH_TAG, LOG_ARTIFACT } from '../../src/extension/launcher/launch-spec';
import { predictionsPath, runPredict, servingInputExample } from '../../src/extension/launcher/model-cli';
import { modelVersionUri } from '../../src/extension/trees/format';
import type { RemoteServer } from './servers.mjs' with { 'resolution-mode': 'import' };
import { dataframeSplit, invoke, withServedModel } from '../unit/served-model';

const FIXTURES = path.resolve(__dirname, '..', 'unit', 'fixtures', 'launcher');
const SAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'data', 'iris_sample.csv');
let server: RemoteServer;
let client: MlflowClient;
let python: string;
let env: Record<string, string>;
let dir: string;
/** The version the predict test registers, which the serve test then serves. */
let registered: { version: string; predictions: number[] } | undefined;

before(async () => {
  const remote = await import('./servers.mjs');
  python = remote.PYTHON;
  dir = mkdtempSync(path.join(tmpdir(), 'runboard-remote-launcher-'));
  server = await remote.startMlflowServer({ name: 'mlflow-launcher', backendStoreUri: `sqlite:///${path.join(dir, 'mlflow.db')}`, basicAuth: remote.ADMIN });
  client = new MlflowClient({ baseUrl: server.url, credentials: server.credentials });
  env = { ...remote.PYTHON_ENV, ...server.env };
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tagsOf = (run: Run) => Object.fromEntries(run.data.tags.map((tag) => [tag.key, tag.value]));

function launch(script: string, onOutput: (text: string, stop: () => void) => void = () => {}) {
  let stop = () => {};
  const started = startLaunch(
    client,
    { python, script: path.join(FIXTURES, script), args: [], cwd: FIXTURES, userEnv: {}, trackingEnv: env, experimentName: 'remote-launches' },
    { logDir: path.join(dir, 'logs'), onOutput: (text) => onOutput(text, stop), graceMs: 3000 },
  );
  stop = started.stop;
  return started;
}

describe('launcher against a remote mlflow server with basic auth', () => {
  it('a script that makes one run: found by its launch tag, with log, exit status, source, git commit and command line', async () => {
    const started = launch('one_run.py');
    const result = await started.done;
    assert.ok(result.recorded, `recorded (error: ${result.recordError})`);
    assert.equal(result.recorded.status, 'FINISHED');
    assert.equal(result.recorded.runIds.length, 1);
    const run = await client.getRun(result.recorded.runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.info.experiment_id, (await client.getExperimentByName('remote-launches'))?.experiment_id);
    const tags = tagsOf(run);
    assert.equal(tags[LAUNCH_TAG], started.launchId);
    assert.equal(tags[EXIT_CODE_TAG], '0');
    assert.equal(tags['mlflow.source.name'], path.join(FIXTURES, 'one_run.py'));
    assert.equal(tags['mlflow.user'], 'admin', 'the script logged in with the remote credentials');
    assert.equal(tags['mlflow.source.git.commit'], execFileSync('git', ['rev-parse', 'HEAD'], { cwd: FIXTURES, encoding: 'utf8' }).trim());
    assert.match(tags[COMMAND_LINE_TAG] ?? '', /one_run\.py$/);
    const log = Buffer.from(await client.downloadProxiedArtifact(proxiedFilePath(run.info.artifact_uri!, LOG_ARTIFACT)!)).toString('utf8');
    assert.match(log, /training one run/);
  });

  it('a stopped script: KILLED on the remote server too', async () => {
    const result = await launch('slow.py', (text, stop) => text.includes('ready') && stop()).done;
    assert.ok(result.recorded, `recorded (error: ${result.recordError})`);
    assert.equal((await client.getRun(result.recorded.runId)).info.status, 'KILLED');
  });

  it('predict loads a registered version through the remote server', async () => {
    const { stdout } = await promisify(execFile)(python, [path.join(FIXTURES, 'register_iris.py'), 'remote-iris', SAMPLE], { env: { ...process.env, ...env }, timeout: 120_000 });
    const expected = JSON.parse(stdout.trim().split('\n').at(-1)!) as { version: string; predictions: number[] };
    registered = expected;
    const output = path.join(dir, 'iris.json');
    const predictions = await runPredict({ python, modelUri: modelVersionUri('remote-iris', expected.version), input: SAMPLE, format: 'csv', output, trackingEnv: env, cwd: dir });
    assert.deepEqual(predictions.rows.map((row) => row[0]), expected.predictions);
    assert.equal(predictionsPath(SAMPLE), `${SAMPLE}.predictions.json`);
  });

  it('serve loads the same version through the remote server and answers /invocations', async () => {
    assert.ok(registered, 'the predict test registered the model');
    const { version, predictions } = registered;
    await withServedModel(python, modelVersionUri('remote-iris', version), env, async (url) => {
      assert.deepEqual(await invoke(url, dataframeSplit(SAMPLE)), predictions);
      const example = await servingInputExample(client, 'remote-iris', version);
      assert.ok(example, 'the input example read back through the remote server');
      assert.equal((await invoke(url, example)).length, 2);
    });
  });
});
