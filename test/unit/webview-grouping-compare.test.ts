import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCompareTable, cellsDiffer, extremes, tableMatrix } from '../../src/webview/lib/compare';
import { bandOf, groupRuns, groupValue } from '../../src/webview/lib/grouping';
import type { RunRecord } from '../../src/webview/protocol';

function run(id: string, params: Record<string, string>, metrics: RunRecord['metrics'], tags: Record<string, string> = {}): RunRecord {
  return { runId: id, name: `run-${id}`, experimentId: '1', experimentName: 'exp', status: 'FINISHED', lifecycleStage: 'active', params, metrics, tags };
}

describe('grouping', () => {
  const runs = [run('a', { lr: '0.1' }, {}), run('b', { lr: '0.01' }, {}), run('c', { lr: '0.1' }, {}), run('d', {}, {}, { team: 'x' })];

  test('groups by a param, numeric values ascending, missing last', () => {
    const groups = groupRuns(runs, 'param:lr');
    assert.deepEqual(
      groups.map((g) => [g.label, g.runIds]),
      [
        ['lr=0.01', ['b']],
        ['lr=0.1', ['a', 'c']],
        ['(no lr)', ['d']],
      ],
    );
  });

  test('reads tags too', () => {
    assert.equal(groupValue(runs[3]!, 'tag:team'), 'x');
    assert.equal(groupValue(runs[3]!, 'param:team'), undefined);
  });

  test('band: mean, min and max across curves at shared x', () => {
    const band = bandOf(
      [
        { xs: [0, 1, 2], ys: [1, 2, 3] },
        { xs: [0, 1, 2], ys: [3, 4, 5] },
      ],
      3,
    );
    assert.deepEqual(band.x, [0, 1, 2]);
    assert.deepEqual(band.mean, [2, 3, 4]);
    assert.deepEqual(band.min, [1, 2, 3]);
    assert.deepEqual(band.max, [3, 4, 5]);
    assert.deepEqual(band.count, [2, 2, 2]);
  });

  test('band: a curve that ends early stops counting; NaN is ignored', () => {
    const band = bandOf(
      [
        { xs: [0, 1, 2, 3], ys: [1, 1, NaN, 1] },
        { xs: [0, 1], ys: [3, 3] },
      ],
      4,
    );
    assert.deepEqual(band.count, [2, 2, 1]);
    assert.deepEqual(band.mean, [2, 2, 1]);
  });

  test('band within a zoomed x range', () => {
    const band = bandOf([{ xs: [0, 5, 10, 15], ys: [1, 2, 3, 4] }], 2, 5, 10);
    assert.deepEqual(band.x, [5, 10]);
  });
});

describe('compare table', () => {
  const runs = [run('a', { lr: '0.1', depth: '3' }, { acc: 0.9, loss: 'NaN' }), run('b', { lr: '0.1', depth: '5' }, { acc: 0.95 }), run('c', { lr: '0.1' }, { acc: 0.9 })];

  test('every param and metric, each row marked when its values differ', () => {
    const table = buildCompareTable(runs, { onlyDifferences: false });
    const rows = Object.fromEntries(table.rows.map((r) => [`${r.section}:${r.key}`, r]));
    assert.equal(rows['param:lr']!.differs, false);
    assert.equal(rows['param:depth']!.differs, true);
    assert.deepEqual(rows['param:depth']!.cells, ['3', '5', undefined]);
    assert.deepEqual(rows['metric:acc']!.cells, ['0.9', '0.95', '0.9']);
    assert.deepEqual(rows['metric:loss']!.cells, ['NaN', undefined, undefined]);
  });

  test('only differences drops rows that are all the same', () => {
    const table = buildCompareTable(runs, { onlyDifferences: true });
    assert.deepEqual(
      table.rows.map((r) => `${r.section}:${r.key}`),
      ['param:depth', 'metric:acc', 'metric:loss'],
    );
  });

  test('transpose swaps runs and keys', () => {
    const table = buildCompareTable(runs, { onlyDifferences: true });
    const normal = tableMatrix(table, false);
    const transposed = tableMatrix(table, true);
    assert.deepEqual(normal[0], ['', 'run-a', 'run-b', 'run-c']);
    assert.deepEqual(normal[1], ['params.depth', '3', '5', '']);
    assert.deepEqual(transposed[0], ['', 'params.depth', 'metrics.acc', 'metrics.loss']);
    assert.deepEqual(transposed[2], ['run-b', '5', '0.95', '']);
  });

  test('differences and extremes', () => {
    assert.equal(cellsDiffer(['a', 'a']), false);
    assert.equal(cellsDiffer(['a', undefined]), true);
    assert.equal(cellsDiffer(['a']), false);
    assert.deepEqual(extremes([3, undefined, 1, NaN]), { min: 2, max: 0 });
    assert.equal(extremes([1, 1]), undefined);
  });
});
