// Issue 6, "Run with Runboard": the launcher core (spawn, capture, record) with the real Python client
// logging into a real Runboard server, for each shape a launch can take.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MlflowClient, Run } from '../../src/client/mlflow-client';
import { proxiedFilePath } from '../../src/extension/artifact-paths';
import { startLaunch, type LaunchResult } from '../../src/extension/launcher/launch';
import { COMMAND_LINE_TAG, EXIT_CODE_TAG, LAUNCH_TAG, LOG_ARTIFACT, splitArguments, parseEnvLines, launchEnvironment, pathWithInterpreter } from '../../src/extension/launcher/launch-spec';
import { FIXTURES, PYTHON, useLauncherServer } from './launcher-server';

let client: MlflowClient;
let dir: string;
const rb = useLauncherServer('launcher', (server) => void ({ client, dir } = server));

function launch(script: string, options: { args?: string[]; experiment?: string; ownServer?: boolean; onOutput?: (text: string, stop: () => void) => void } = {}) {
  let stop = () => {};
  const started = startLaunch(
    client,
    {
      python: PYTHON,
      script: join(FIXTURES, script),
      args: options.args ?? [],
      cwd: FIXTURES,
      userEnv: {},
      trackingEnv: rb().env,
      ownServer: options.ownServer ?? true,
      experimentName: options.experiment ?? 'launcher-tests',
    },
    { logDir: join(dir, 'logs'), onOutput: (text) => options.onOutput?.(text, stop), graceMs: 3000 },
  );
  stop = started.stop;
  return started;
}

const tagsOf = (run: Run) => Object.fromEntries(run.data.tags.map((tag) => [tag.key, tag.value]));

async function logArtifact(run: Run): Promise<string> {
  const files = await client.listArtifacts(run.info.run_id);
  assert.ok(files.some((file) => file.path === LOG_ARTIFACT), `the run has ${LOG_ARTIFACT} (artifacts: ${files.map((f) => f.path).join(', ')})`);
  return Buffer.from(await client.downloadProxiedArtifact(proxiedFilePath(run.info.artifact_uri!, LOG_ARTIFACT)!)).toString('utf8');
}

function recordedOf(result: LaunchResult) {
  assert.ok(result.recorded, `recorded (error: ${result.recordError})`);
  return result.recorded;
}

describe('launcher core with the real Python client and a Runboard server', () => {
  test('a script that makes one run: that run, with its log, exit status, source, git commit and command line', async () => {
    let output = '';
    const started = launch('one_run.py', { args: ['0.25'], onOutput: (text) => (output += text) });
    const result = await started.done;
    const recorded = recordedOf(result);
    assert.equal(result.outcome.exitCode, 0);
    assert.equal(recorded.status, 'FINISHED');
    assert.equal(recorded.runIds.length, 1);
    assert.match(output, /training one run [0-9a-f]{32}/);
    const run = await client.getRun(recorded.runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.info.run_name, 'one');
    assert.ok(run.info.end_time && run.info.end_time >= run.info.start_time!);
    const experiment = await client.getExperimentByName('launcher-tests');
    assert.equal(run.info.experiment_id, experiment?.experiment_id, 'MLFLOW_EXPERIMENT_NAME chose the experiment');
    const tags = tagsOf(run);
    assert.equal(tags[LAUNCH_TAG], started.launchId);
    assert.equal(tags['mlflow.source.name'], join(FIXTURES, 'one_run.py'));
    assert.equal(tags[EXIT_CODE_TAG], '0');
    assert.equal(tags[COMMAND_LINE_TAG], `${PYTHON} ${join(FIXTURES, 'one_run.py')} 0.25`);
    assert.equal(tags['mlflow.source.git.commit'], execFileSync('git', ['rev-parse', 'HEAD'], { cwd: FIXTURES, encoding: 'utf8' }).trim());
    assert.deepEqual(run.data.params, [{ key: 'lr', value: '0.25' }]);
    assert.match(await logArtifact(run), /training one run/);
  });

  test('a hyperopt sweep: the parent run carries the log and the trials are its children', async () => {
    const result = await launch('sweep.py').done;
    const recorded = recordedOf(result);
    assert.equal(recorded.status, 'FINISHED');
    assert.equal(recorded.runIds.length, 5, 'the parent and four trials');
    const parent = await client.getRun(recorded.runId);
    assert.equal(parent.info.run_name, 'sweep');
    assert.equal(parent.info.status, 'FINISHED');
    assert.match(await logArtifact(parent), /best \{'x':/);
    for (const id of recorded.runIds.filter((id) => id !== recorded.runId)) {
      const trial = await client.getRun(id);
      assert.equal(tagsOf(trial)['mlflow.parentRunId'], parent.info.run_id);
      assert.equal(trial.info.status, 'FINISHED');
    }
  });

  test('runs with no common parent get one made for them', async () => {
    const recorded = recordedOf(await launch('many_top_level.py').done);
    assert.equal(recorded.runIds.length, 3);
    const parent = await client.getRun(recorded.runId);
    assert.equal(parent.info.run_name, 'many_top_level');
    assert.match(await logArtifact(parent), /two runs/);
    const children = (await Promise.all(recorded.runIds.filter((id) => id !== recorded.runId).map((id) => client.getRun(id)))).map((run) => [run.info.run_name, tagsOf(run)['mlflow.parentRunId']]);
    assert.deepEqual(children.sort(), [['first', parent.info.run_id], ['second', parent.info.run_id]]);
  });

  test('a script that makes no run still yields one, with its log and exit status', async () => {
    const recorded = recordedOf(await launch('no_run.py', { experiment: 'launcher-no-run' }).done);
    assert.equal(recorded.runIds.length, 1);
    const run = await client.getRun(recorded.runId);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.info.run_name, 'no_run');
    assert.equal(run.info.experiment_id, (await client.getExperimentByName('launcher-no-run'))?.experiment_id);
    const tags = tagsOf(run);
    assert.equal(tags['mlflow.source.name'], join(FIXTURES, 'no_run.py'));
    assert.equal(tags['mlflow.source.type'], 'LOCAL');
    assert.equal(tags[EXIT_CODE_TAG], '0');
    assert.match(tags['mlflow.source.git.commit'] ?? '', /^[0-9a-f]{40}$/);
    assert.match(await logArtifact(run), /just printing, no mlflow/);
  });

  test('a run made with MlflowClient().create_run is the launch\'s run: Runboard\'s server tags it through the launch\'s URL path', async () => {
    let output = '';
    const started = launch('client_api.py', { experiment: 'launcher-client-api', onOutput: (text) => (output += text) });
    const recorded = recordedOf(await started.done);
    const made = /client run ([0-9a-f]{32})/.exec(output)?.[1];
    assert.ok(made, `the script printed its run id (output: ${output})`);
    assert.deepEqual(recorded.runIds, [made]);
    const run = await client.getRun(made);
    assert.equal(tagsOf(run)[LAUNCH_TAG], started.launchId);
    assert.equal(run.info.status, 'FINISHED');
    assert.match(await logArtifact(run), /client run/);

    // Without the path (what any other MLflow server gets) only the fluent API's runs carry the tag: the
    // launch cannot tell this run is its own and records a run of its own for the log and exit status.
    const untagged = recordedOf(await launch('client_api.py', { experiment: 'launcher-client-api', ownServer: false }).done);
    assert.equal(untagged.runIds.length, 1);
    assert.equal((await client.getRun(untagged.runId)).info.run_name, 'client_api');
  });

  test('a failing script: FAILED, with its traceback in the log artifact', async () => {
    const result = await launch('failing.py').done;
    const recorded = recordedOf(result);
    assert.equal(result.outcome.exitCode, 1);
    assert.equal(recorded.status, 'FAILED');
    const run = await client.getRun(recorded.runId);
    assert.equal(run.info.status, 'FAILED');
    assert.equal(tagsOf(run)[EXIT_CODE_TAG], '1');
    const log = await logArtifact(run);
    assert.match(log, /about to fail/);
    assert.match(log, /Traceback \(most recent call last\):[\s\S]*ValueError: the data loader broke/);
  });

  test('a stopped script: KILLED, even though its `with` block ended the run itself', async () => {
    const started = launch('slow.py', { onOutput: (text, stop) => text.includes('ready') && stop() });
    const result = await started.done;
    const recorded = recordedOf(result);
    assert.equal(result.outcome.stopped, true);
    assert.equal(recorded.status, 'KILLED');
    const run = await client.getRun(recorded.runId);
    assert.equal(run.info.status, 'KILLED');
    assert.equal(run.info.run_name, 'slow');
    assert.match(await logArtifact(run), /ready[\s\S]*KeyboardInterrupt/);
  });

  test('an interpreter that does not exist: a FAILED run saying so', async () => {
    const started = startLaunch(
      client,
      { python: join(dir, 'no-such-python'), script: join(FIXTURES, 'one_run.py'), args: [], cwd: FIXTURES, userEnv: {}, trackingEnv: {}, experimentName: 'launcher-tests' },
      { logDir: join(dir, 'logs'), onOutput: () => {} },
    );
    const result = await started.done;
    assert.match(result.outcome.spawnError ?? '', /Could not start .*no-such-python/);
    const recorded = recordedOf(result);
    assert.equal(recorded.status, 'FAILED');
    assert.match(readFileSync(result.logPath, 'utf8'), /Could not start/);
  });
});

describe('launch arguments and environment', () => {
  test('arguments split like a shell line; env lines parse; the launch tag joins the user’s run context', () => {
    assert.deepEqual(splitArguments(`--name "my run" --lr=0.1 'a b' c\\ d`), ['--name', 'my run', '--lr=0.1', 'a b', 'c d']);
    assert.throws(() => splitArguments('--name "open'), /Unclosed " quote/);
    assert.deepEqual(parseEnvLines('# comment\nA=1\nexport B="two words"\n\n'), { A: '1', B: 'two words' });
    assert.throws(() => parseEnvLines('not a variable'), /Line 1 is not KEY=value/);
    const env = launchEnvironment(
      { python: 'python', script: 's.py', args: [], cwd: '.', userEnv: { MLFLOW_RUN_CONTEXT: '{"team":"a"}', MLFLOW_TRACKING_URI: 'http://wrong' }, trackingEnv: { MLFLOW_TRACKING_URI: 'http://right' }, experimentName: 'e' },
      'abc',
      {},
    );
    assert.deepEqual(JSON.parse(env.MLFLOW_RUN_CONTEXT!), { team: 'a', [LAUNCH_TAG]: 'abc' });
    assert.equal(env.MLFLOW_TRACKING_URI, 'http://right');
    const own = launchEnvironment({ python: 'python', script: 's.py', args: [], cwd: '.', userEnv: {}, trackingEnv: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000/' }, ownServer: true, experimentName: 'e' }, '0123456789abcdef', {});
    assert.equal(own.MLFLOW_TRACKING_URI, 'http://127.0.0.1:5000/launch/0123456789abcdef', 'Runboard\'s own server gets the launch\'s path');
    assert.equal(env.MLFLOW_EXPERIMENT_NAME, 'e');
    assert.equal(env.PYTHONUNBUFFERED, '1');
    // An interpreter given by path has its folder first on PATH, as an activated environment would.
    assert.equal(pathWithInterpreter('/venv/bin/python', '/usr/bin:/venv/bin:/bin'), '/venv/bin:/usr/bin:/bin');
    assert.equal(pathWithInterpreter('python3', '/usr/bin'), '/usr/bin');
  });
});
