import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MlflowError } from '../../src/store/errors';
import { SCHEMA_VERSION } from '../../src/store/schema';
import { TrackingStore } from '../../src/store/tracking-store';

let dir: string;
let store: TrackingStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runboard-store-'));
  store = TrackingStore.open(dir);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function rejects(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof MlflowError && error.code === code && message.test(error.message));
}

describe('experiments', () => {
  test('the Default experiment 0 exists and new ids follow it', () => {
    assert.equal(store.getExperiment('0').name, 'Default');
    assert.equal(store.getExperiment('0').artifact_location, 'mlflow-artifacts:/0');
    assert.equal(store.createExperiment('a', undefined), '1');
    assert.equal(store.getExperiment('1').artifact_location, 'mlflow-artifacts:/1');
  });

  test('names are unique across active and deleted experiments', () => {
    const id = store.createExperiment('x', undefined);
    store.deleteExperiment(id);
    rejects(() => store.createExperiment('x', undefined), 'RESOURCE_ALREADY_EXISTS', /Experiment\(name=x\) already exists/);
    assert.equal(store.getExperimentByName('x').lifecycle_stage, 'deleted');
  });

  test('deleting an experiment deletes its runs; restoring restores them', () => {
    const id = store.createExperiment('x', undefined);
    const run = store.createRun({ experiment_id: id });
    store.deleteExperiment(id);
    assert.equal(store.getRun(run.info.run_id).info.lifecycle_stage, 'deleted');
    rejects(() => store.createRun({ experiment_id: id }), 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    store.restoreExperiment(id);
    assert.equal(store.getRun(run.info.run_id).info.lifecycle_stage, 'active');
  });

  test('unknown and malformed ids are told apart', () => {
    rejects(() => store.getExperiment('42'), 'RESOURCE_DOES_NOT_EXIST', /No Experiment with id=42 exists/);
    rejects(() => store.getExperiment('abc'), 'INVALID_PARAMETER_VALUE', /must be a valid integer/);
  });
});

describe('runs and logging', () => {
  test('a run gets a 32-hex id, a generated name kept in the mlflow.runName tag, and its artifact URI', () => {
    const run = store.createRun({ experiment_id: '0', start_time: 5 });
    assert.match(run.info.run_id, /^[0-9a-f]{32}$/);
    assert.match(run.info.run_name, /^[a-z]+-[a-z]+-\d+$/);
    assert.deepEqual(run.data.tags, [{ key: 'mlflow.runName', value: run.info.run_name }]);
    assert.equal(run.info.artifact_uri, `mlflow-artifacts:/0/${run.info.run_id}/artifacts`);
    assert.equal(run.info.status, 'RUNNING');
    assert.equal(run.info.end_time, undefined);
  });

  test('params are immutable: same value is fine, another value rejects the whole batch', () => {
    const { info } = store.createRun({});
    store.logParam(info.run_id, { key: 'lr', value: '0.1' });
    store.logParam(info.run_id, { key: 'lr', value: '0.1' });
    rejects(
      () => store.logBatch(info.run_id, { params: [{ key: 'lr', value: '0.2' }], metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }], tags: [{ key: 't', value: 'v' }] }),
      'INVALID_PARAMETER_VALUE',
      /Changing param values is not allowed/,
    );
    const run = store.getRun(info.run_id);
    assert.deepEqual(run.data.params, [{ key: 'lr', value: '0.1' }]);
    assert.deepEqual(run.data.metrics, []);
    assert.equal(run.data.tags.find((t) => t.key === 't'), undefined);
  });

  test('the latest metric is the greatest (step, timestamp, value); NaN and infinities round-trip', () => {
    const { info } = store.createRun({});
    store.logBatch(info.run_id, {
      metrics: [
        { key: 'loss', value: 3, timestamp: 10, step: 2 },
        { key: 'loss', value: 9, timestamp: 99, step: 1 },
        { key: 'nan', value: NaN, timestamp: 1, step: 0 },
        { key: 'inf', value: Infinity, timestamp: 1, step: 0 },
        { key: 'ninf', value: -Infinity, timestamp: 1, step: 0 },
      ],
    });
    store.logMetric(info.run_id, { key: 'loss', value: 1, timestamp: 5, step: 2 });
    const latest = Object.fromEntries(store.getRun(info.run_id).data.metrics.map((m) => [m.key, m]));
    assert.deepEqual(latest.loss, { key: 'loss', value: 3, timestamp: 10, step: 2 });
    assert.ok(Number.isNaN(latest.nan!.value));
    assert.equal(latest.inf!.value, Infinity);
    assert.equal(latest.ninf!.value, -Infinity);
  });

  test('identical points are stored once; history pages follow timestamp, step, value', () => {
    const { info } = store.createRun({});
    const points = Array.from({ length: 10 }, (_, i) => ({ key: 'm', value: i, timestamp: 100 + i, step: i }));
    store.logBatch(info.run_id, { metrics: points });
    store.logBatch(info.run_id, { metrics: points.slice(0, 3) });
    const first = store.history.page(info.run_id, 'm', 4);
    const second = store.history.page(info.run_id, 'm', 4, first.next_page_token);
    const third = store.history.page(info.run_id, 'm', 4, second.next_page_token);
    assert.deepEqual([first, second, third].map((p) => p.points.map((m) => m.step)), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    assert.equal(third.next_page_token, undefined);
    rejects(() => store.history.page(info.run_id, 'm', 4, 'not-a-token'), 'INVALID_PARAMETER_VALUE', /Invalid page token/);
    assert.deepEqual(store.history.page(info.run_id, 'unknown', 4).points, []);
  });

  test('sampled history follows mlflow 3.18: first point of each of max_results buckets per run, and the last point', () => {
    const a = store.createRun({}).info.run_id;
    const b = store.createRun({}).info.run_id;
    store.logBatch(a, { metrics: Array.from({ length: 10 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i })) });
    assert.deepEqual(store.history.sampled([a], 'm', 5).map((m) => m.step), [0, 2, 4, 6, 9]);
    assert.deepEqual(store.history.sampled([a], 'm', 3).map((m) => m.step), [0, 4, 9]);
    assert.deepEqual(store.history.sampled([a], 'm', 1).map((m) => m.step), [9]);
    assert.deepEqual(store.history.sampled([a], 'm', 20).map((m) => m.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(store.history.sampled([a], 'm', 5, { start: 3, end: 6 }).map((m) => m.step), [3, 4, 5, 6]);
    store.logBatch(b, { metrics: Array.from({ length: 20 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i })) });
    const both = store.history.sampled([a, b], 'm', 5);
    assert.deepEqual(both.filter((m) => m.run_id === a).map((m) => m.step), [0, 2, 4, 6, 9]);
    assert.deepEqual(both.filter((m) => m.run_id === b).map((m) => m.step), [0, 4, 8, 12, 19]);
    rejects(() => store.history.sampled([a], 'm', 2501), 'INVALID_PARAMETER_VALUE', /max_results must be between 1 and 2500/);
    rejects(() => store.history.sampled([a], 'm', 5, { start: 5, end: 1 }), 'INVALID_PARAMETER_VALUE', /end_step must be greater/);
  });

  test("sampled history equals mlflow's NTILE sampling on irregular series, re-logged points included", () => {
    const run = store.createRun({}).info.run_id;
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    // Steps out of order and repeated, equal timestamps, NaN values, and a batch logged twice.
    const points = Array.from({ length: 997 }, () => ({ key: 'm', value: next() < 0.05 ? NaN : Math.round(next() * 50), timestamp: Math.floor(next() * 40), step: Math.floor(next() * 300) }));
    for (let i = 0; i < points.length; i += 250) store.logBatch(run, { metrics: points.slice(i, i + 250) });
    store.logBatch(run, { metrics: points.slice(0, 100) });
    const seriesId = store.db.prepare<{ id: number }>("SELECT id FROM latest_metrics WHERE key = 'm'").get()!.id;
    const reference = (buckets: number, low: number, high: number): number[][] => {
      const rows = store.db
        .prepare<{ step: number; timestamp: number; value: number; is_nan: number }>(
          `SELECT step, timestamp, value, is_nan FROM (
             SELECT step, timestamp, value, is_nan, row_number() OVER (PARTITION BY bucket ORDER BY step, timestamp, value, is_nan) AS rn FROM (
               SELECT step, timestamp, value, is_nan, ntile(?) OVER (ORDER BY step, timestamp, value, is_nan) AS bucket
               FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ?))
           WHERE rn = 1 ORDER BY step, timestamp, value, is_nan`,
        )
        .all(buckets, seriesId, low, high);
      const last = store.db
        .prepare<{ step: number; timestamp: number; value: number; is_nan: number }>(
          'SELECT step, timestamp, value, is_nan FROM metrics WHERE series_id = ? AND step BETWEEN ? AND ? ORDER BY step DESC, timestamp DESC, value DESC, is_nan DESC LIMIT 1',
        )
        .get(seriesId, low, high);
      const key = (r: { step: number; timestamp: number; value: number; is_nan: number }) => [r.step, r.timestamp, r.is_nan ? NaN : r.value];
      const sample = rows.map(key);
      if (last && JSON.stringify(sample.at(-1)) !== JSON.stringify(key(last))) {
        if (sample.length >= buckets) sample[sample.length - 1] = key(last);
        else sample.push(key(last));
      }
      return sample;
    };
    for (const buckets of [1, 2, 7, 320, 996, 2500]) {
      for (const range of [undefined, { start: 10, end: 200 }, { start: 150, end: 150 }]) {
        const got = store.history.sampled([run], 'm', buckets, range).map((m) => [m.step, m.timestamp, m.value]);
        assert.deepEqual(got, reference(buckets, range?.start ?? -1e15, range?.end ?? 1e15), `max_results ${buckets}, range ${JSON.stringify(range)}`);
      }
    }
  });

  test('writes to a deleted run are refused, reads still work', () => {
    const { info } = store.createRun({});
    store.deleteRun(info.run_id);
    rejects(() => store.setTag(info.run_id, { key: 'a', value: 'b' }), 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    assert.equal(store.getRun(info.run_id).info.lifecycle_stage, 'deleted');
    store.restoreRun(info.run_id);
    store.setTag(info.run_id, { key: 'a', value: 'b' });
  });

  test('keys MLflow would refuse are refused', () => {
    const { info } = store.createRun({});
    for (const key of ['a//b', '../x', '/abs', 'a/./b', 'bad!char', 'x'.repeat(251)]) {
      assert.throws(() => store.logMetric(info.run_id, { key, value: 1, timestamp: 1, step: 0 }), MlflowError, key);
    }
    store.logMetric(info.run_id, { key: 'ok/key-1.2:a b', value: 1, timestamp: 1, step: 0 });
  });

  test('datasets are stored once per experiment and linked to a run once', () => {
    const { info } = store.createRun({});
    const input = { tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset: { name: 'd', digest: 'abc', source_type: 'code', source: '{}' } };
    store.logInputs(info.run_id, [input]);
    store.logInputs(info.run_id, [{ ...input, tags: [{ key: 'mlflow.data.context', value: 'eval' }] }]);
    assert.deepEqual(store.getRun(info.run_id).inputs.dataset_inputs, [input]);
  });

  test('the store reopens with its data and schema version', () => {
    const { info } = store.createRun({});
    store.close();
    store = TrackingStore.open(dir);
    assert.equal(store.getRun(info.run_id).info.run_id, info.run_id);
    assert.equal(store.db.prepare<{ user_version: number }>('PRAGMA user_version').get()?.user_version, SCHEMA_VERSION);
  });
});
