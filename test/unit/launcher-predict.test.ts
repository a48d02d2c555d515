// Issue 6, "Predict with model...": `mlflow models predict` in the real interpreter, through a real Runboard
// server, on the examples' iris CSV, gives what the Python client's own pyfunc predict gives.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { predictionsHtml } from '../../src/extension/launcher/predictions-html';
import { modelVersionUri } from '../../src/extension/trees/format';
import type { MlflowClient } from '../../src/client/mlflow-client';
import { curlExample, readCsvTable, inputFormatOf, parsePredictions, PredictError, predictionsPath, runPredict, servingInputExample } from '../../src/extension/launcher/model-cli';
import { FIXTURES, PYTHON, useLauncherServer } from './launcher-server';
import { dataframeSplit, invoke, withServedModel } from './served-model';


const SAMPLE = resolve('examples/data/iris_sample.csv');
let dir: string;
let env: Record<string, string>;
let client: MlflowClient;
let fixture: { version: string; predictions: number[] };

useLauncherServer('predict', async (server) => {
  ({ dir, env, client } = server);
  const { stdout } = await promisify(execFile)(PYTHON, [join(FIXTURES, 'register_iris.py'), 'iris-classifier', SAMPLE], { env: { ...process.env, ...env }, timeout: 120_000 });
  fixture = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof fixture;
});

describe('predict with a registered model version', () => {
  test('predictions on the examples CSV match pyfunc predict and are saved beside the input', async () => {
    const input = join(dir, 'iris_sample.csv');
    copyFileSync(SAMPLE, input);
    assert.equal(inputFormatOf(input), 'csv');
    const output = predictionsPath(input);
    const predictions = await runPredict({ python: PYTHON, modelUri: modelVersionUri('iris-classifier', fixture.version), input, format: 'csv', output, trackingEnv: env, cwd: dir });
    assert.ok(existsSync(output), 'saved beside the input');
    assert.deepEqual(predictions.columns, ['prediction']);
    assert.deepEqual(predictions.rows.map((row) => row[0]), fixture.predictions);
    assert.equal(fixture.predictions.length, 12);
  });

  test('a version that does not exist: the error says what mlflow said', async () => {
    const input = join(dir, 'iris_sample.csv');
    await assert.rejects(
      runPredict({ python: PYTHON, modelUri: modelVersionUri('iris-classifier', '99'), input, format: 'csv', output: join(dir, 'none.json'), trackingEnv: env, cwd: dir }),
      (error: unknown) => error instanceof PredictError && !error.mlflowMissing && /exit code 1.*(99|not found|RESOURCE_DOES_NOT_EXIST)/i.test(error.message),
    );
  });

  test('an interpreter without mlflow: said so, with the fix', async () => {
    const bare = join(dir, 'bare-venv');
    await promisify(execFile)(PYTHON, ['-m', 'venv', '--without-pip', bare]);
    await assert.rejects(
      runPredict({ python: join(bare, 'bin', 'python'), modelUri: 'models:/x/1', input: SAMPLE, format: 'csv', output: join(dir, 'none.json'), trackingEnv: env, cwd: dir }),
      (error: unknown) => error instanceof PredictError && error.mlflowMissing && /pip install mlflow/.test(error.message),
    );
  });

  test('Serve Model: `mlflow models serve` answers /invocations with the same predictions; its own example works', async () => {
    await withServedModel(PYTHON, modelVersionUri('iris-classifier', fixture.version), env, async (url, port) => {
      assert.deepEqual(await invoke(url, dataframeSplit(SAMPLE)), fixture.predictions);
      const example = await servingInputExample(client, 'iris-classifier', fixture.version);
      assert.ok(example, 'the model was logged with an input example');
      assert.equal((await invoke(url, example)).length, 2);
      assert.match(curlExample(port, example), /dataframe_split/);
    });
  });

  test('prediction shapes become tables; curl examples carry the model’s serving input example', () => {
    assert.deepEqual(parsePredictions('{"predictions": [[0.1, 0.9], [0.8, 0.2]]}'), { columns: ['prediction[0]', 'prediction[1]'], rows: [[0.1, 0.9], [0.8, 0.2]] });
    assert.deepEqual(parsePredictions('{"predictions": [{"a": 1, "b": "x"}]}'), { columns: ['a', 'b'], rows: [[1, 'x']] });
    assert.deepEqual(parsePredictions('{"predictions": {"a": [1, 2]}}'), { columns: ['a'], rows: [[1], [2]] });
    assert.deepEqual(readCsvTable('a,b\n1,x\n2,y\n3,z\n', 2), { columns: ['a', 'b'], rows: [[1, 'x'], [2, 'y']] });
    assert.equal(readCsvTable('a,b\n"1,5",x\n', 2), undefined, 'quoted CSV is not guessed at');
    const example = '{\n  "dataframe_split": {"columns": ["a"], "data": [[1]]}\n}';
    assert.equal(curlExample(5001, example), `curl -X POST http://127.0.0.1:5001/invocations -H 'Content-Type: application/json' -d '{"dataframe_split":{"columns":["a"],"data":[[1]]}}'`);
    assert.match(curlExample(5001), /"inputs":\[\[0\]\]/);
  });

  test('the predictions page: no script, input beside predictions, everything escaped', () => {
    const html = predictionsHtml({
      title: '<model> v1',
      predictions: { columns: ['prediction'], rows: [['<b>1</b>'], [2]] },
      input: { columns: ['x<y'], rows: [[1], [2]] },
      savedTo: '/tmp/a.csv.predictions.json',
    });
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'nonce-/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<b>1<\/b>|<model>/);
    assert.match(html, /<th class="input">x&lt;y<\/th><th class="prediction">prediction<\/th>/);
    assert.match(html, /<td class="input">2<\/td><td class="prediction">2<\/td>/);
    // An input with another number of rows is not shown beside the predictions.
    assert.doesNotMatch(predictionsHtml({ title: 't', predictions: { columns: ['p'], rows: [[1]] }, input: { columns: ['x'], rows: [[1], [2]] }, savedTo: 'f' }), /class="input"/);
  });
});
