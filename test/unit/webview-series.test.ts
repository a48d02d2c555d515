import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addFullRange, appendPoints, coversRange, decodeSeries, spliceRange, stepRangeOf } from '../../src/webview/lib/series';
import type { SeriesPayload } from '../../src/webview/protocol';

const payload = (steps: number[], sampled = false, values?: number[]): SeriesPayload => ({
  runId: 'r1',
  steps,
  timestamps: steps.map((s) => 1000 + s),
  values: values ?? steps.map((s) => s * 2),
  sampled,
});

describe('series merges', () => {
  test('keeps non-finite values and sorts by step', () => {
    const s = decodeSeries({ runId: 'r', steps: [2, 1], timestamps: [5, 4], values: [NaN, Infinity], sampled: false });
    assert.deepEqual([...s.steps], [1, 2]);
    assert.equal(s.values[0], Infinity);
    assert.ok(Number.isNaN(s.values[1]!));
    assert.equal(s.fullRanges.length, 1);
  });

  test('append keeps only points after the last one held', () => {
    const s = decodeSeries(payload([0, 1, 2]));
    const added = appendPoints(s, decodeSeries(payload([2, 3, 4])));
    assert.equal(added, 2);
    assert.deepEqual([...s.steps], [0, 1, 2, 3, 4]);
    assert.equal(appendPoints(s, decodeSeries(payload([1, 4]))), 0);
  });

  test('a second value at the same step is kept when logged later', () => {
    const s = decodeSeries(payload([0, 1]));
    const later = decodeSeries({ runId: 'r1', steps: [1], timestamps: [5000], values: [7], sampled: false });
    assert.equal(appendPoints(s, later), 1);
    assert.deepEqual([...s.steps], [0, 1, 1]);
  });

  test('splicing a finer range replaces the points in it and marks it complete', () => {
    const s = decodeSeries(payload([0, 100, 200, 300, 400], true));
    assert.ok(!coversRange(s, { start: 100, end: 200 }));
    spliceRange(s, { start: 100, end: 300 }, decodeSeries(payload([100, 150, 200, 250, 300])));
    assert.deepEqual([...s.steps], [0, 100, 150, 200, 250, 300, 400]);
    assert.ok(coversRange(s, { start: 120, end: 280 }));
    assert.ok(!coversRange(s, { start: 0, end: 280 }));
  });

  test('full ranges merge when they touch', () => {
    const s = decodeSeries(payload([0], true));
    addFullRange(s, { start: 0, end: 10 });
    addFullRange(s, { start: 11, end: 20 });
    addFullRange(s, { start: 40, end: 50 });
    assert.deepEqual(s.fullRanges, [
      { start: 0, end: 20 },
      { start: 40, end: 50 },
    ]);
  });

  test('the step range of a visible x range is widened by a point each side', () => {
    const s = decodeSeries(payload([0, 10, 20, 30, 40]));
    assert.deepEqual(stepRangeOf(s, s.timestamps, 1015, 1025), { start: 10, end: 30 });
    assert.equal(stepRangeOf(s, s.timestamps, 0, 5), undefined);
  });
});
