// The copy engine's pure parts (src/client/copy): run order, metric points to send, where a version's files
// are in its run, and the storage path of a proxied artifact URI. The copy itself is tested against real
// servers in test/remote/copy.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proxiedStoragePath } from '../../src/client/copy/artifact-trees';
import { missingPoints, parentsFirst, pathInRun } from '../../src/client/copy/copy-engine';
import { copiedNothing, emptySummary, formatSummary } from '../../src/client/copy/copy-summary';
import type { Metric, Run } from '../../src/client/mlflow-client';

function run(id: string, parent?: string): Run {
  const tags = parent ? [{ key: 'mlflow.parentRunId', value: parent }] : [];
  return { info: { run_id: id, experiment_id: '1', status: 'FINISHED', lifecycle_stage: 'active' }, data: { metrics: [], params: [], tags }, inputs: {}, outputs: {} };
}

const point = (step: number, timestamp: number, value: number): Metric => ({ key: 'loss', step, timestamp, value });

describe('copy engine', () => {
  it('orders parents before their nested runs, keeping the order otherwise', () => {
    const ordered = parentsFirst([run('grandchild', 'child'), run('child', 'parent'), run('other'), run('parent'), run('orphan', 'not-copied')]);
    assert.deepStrictEqual(ordered.map((r) => r.info.run_id), ['other', 'parent', 'orphan', 'child', 'grandchild']);
  });

  it('survives a parent cycle', () => {
    assert.equal(parentsFirst([run('a', 'b'), run('b', 'a')]).length, 2);
  });

  it('sends only the metric points the destination lacks, each once, NaN and infinities included', () => {
    const source = [point(0, 1, 1), point(0, 1, 1), point(1, 2, NaN), point(2, 3, Infinity), point(3, 4, 0.5)];
    assert.deepStrictEqual(missingPoints(source, []), [point(0, 1, 1), point(1, 2, NaN), point(2, 3, Infinity), point(3, 4, 0.5)]);
    assert.deepStrictEqual(missingPoints(source, [point(0, 1, 1), point(1, 2, NaN)]), [point(2, 3, Infinity), point(3, 4, 0.5)]);
    assert.deepStrictEqual(missingPoints(source, source), []);
  });

  it('finds a version source inside its run: runs:/ URIs, local paths, file:// URIs, mlflow-artifacts', () => {
    assert.equal(pathInRun('runs:/abc/model', 'abc', undefined), 'model');
    assert.equal(pathInRun('/data/mlruns/4/abc/artifacts/model', 'abc', '/data/mlruns/4/abc/artifacts'), 'model');
    assert.equal(pathInRun('file:///data/mlruns/4/abc/artifacts/sub/model', 'abc', 'file:///data/mlruns/4/abc/artifacts'), 'sub/model');
    assert.equal(pathInRun('mlflow-artifacts:/1/abc/artifacts/model', 'abc', 'mlflow-artifacts:/1/abc/artifacts'), 'model');
    assert.equal(pathInRun('s3://bucket/elsewhere/model', 'abc', '/data/mlruns/4/abc/artifacts'), undefined);
    assert.equal(pathInRun('runs:/other/model', 'abc', undefined), undefined);
  });

  it('reads the storage path of mlflow-artifacts URIs, with or without a host', () => {
    assert.equal(proxiedStoragePath('mlflow-artifacts:/1/abc/artifacts'), '1/abc/artifacts');
    assert.equal(proxiedStoragePath('mlflow-artifacts://127.0.0.1:5000/1/abc/artifacts/'), '1/abc/artifacts');
    assert.equal(proxiedStoragePath('/data/mlruns/1/abc/artifacts'), undefined);
    assert.equal(proxiedStoragePath(undefined), undefined);
  });

  it('summarizes: nothing copied is said so', () => {
    const summary = emptySummary();
    assert.ok(copiedNothing(summary));
    summary.artifacts.files = 2;
    summary.artifacts.bytes = 2048;
    summary.notes.push('Model m version 1 was left out.');
    assert.ok(!copiedNothing(summary));
    const lines = formatSummary(summary);
    assert.ok(lines.includes('artifacts: 2 files (2.0 KB) copied, 0 already there'), lines.join('\n'));
    assert.equal(lines.at(-1), 'note: Model m version 1 was left out.');
  });
});
