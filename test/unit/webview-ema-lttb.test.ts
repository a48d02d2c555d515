import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clampWeight, ema } from '../../src/webview/lib/ema';
import { isAscending, lowerBound, lttb, upperBound, visibleRange } from '../../src/webview/lib/lttb';

describe('EMA smoothing', () => {
  test('weight 0 is the identity', () => {
    assert.deepEqual([...ema([1, 5, 2], 0)], [1, 5, 2]);
  });

  test('debiased: the first point is kept, later points move toward the average', () => {
    const out = ema([10, 0, 0], 0.5);
    assert.equal(out[0], 10);
    // (10*0.5*0.5 + 0) / (1 - 0.25) ... TensorBoard's formula
    assert.ok(Math.abs(out[1]! - 10 / 3) < 1e-12);
    assert.ok(out[2]! < out[1]!);
  });

  test('a constant series stays constant for any weight', () => {
    for (const w of [0.1, 0.6, 0.9, 0.99]) for (const v of ema([3, 3, 3, 3, 3], w)) assert.ok(Math.abs(v - 3) < 1e-9);
  });

  test('non-finite values pass through and do not poison the average', () => {
    const out = ema([1, NaN, 1, Infinity, 1], 0.9);
    assert.ok(Number.isNaN(out[1]!));
    assert.equal(out[3], Infinity);
    assert.ok(Math.abs(out[4]! - 1) < 1e-12);
  });

  test('weights are clamped to [0, 0.99]', () => {
    assert.equal(clampWeight(-1), 0);
    assert.equal(clampWeight(NaN), 0);
    assert.equal(clampWeight(1), 0.99);
    assert.equal(clampWeight(0.6), 0.6);
  });
});

describe('LTTB', () => {
  const xs = Array.from({ length: 1000 }, (_, i) => i);
  const ys = xs.map((x) => Math.sin(x / 20));

  test('keeps everything when the threshold is not lower than the length', () => {
    assert.deepEqual([...lttb(xs, ys, 0, 10, 20)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('returns `threshold` ascending indices with both ends', () => {
    const idx = lttb(xs, ys, 0, 1000, 100);
    assert.equal(idx.length, 100);
    assert.equal(idx[0], 0);
    assert.equal(idx[99], 999);
    for (let i = 1; i < idx.length; i++) assert.ok(idx[i]! > idx[i - 1]!);
  });

  test('keeps a spike that a stride would miss', () => {
    const flat = xs.map(() => 0);
    flat[503] = 100;
    const idx = [...lttb(xs, flat, 0, 1000, 50)];
    assert.ok(idx.includes(503));
  });

  test('works on an index range', () => {
    const idx = lttb(xs, ys, 200, 400, 20);
    assert.equal(idx[0], 200);
    assert.equal(idx[idx.length - 1], 399);
    assert.ok([...idx].every((i) => i >= 200 && i < 400));
  });

  test('skips non-finite values', () => {
    const holes = ys.map((y, i) => (i % 10 === 0 ? NaN : y));
    const idx = lttb(xs, holes, 0, 1000, 60);
    assert.ok([...idx].every((i) => Number.isFinite(holes[i]!)));
    assert.ok(idx.length <= 60);
  });

  test('a million points downsample in well under a second', () => {
    const n = 1_000_000;
    const bx = new Float64Array(n);
    const by = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      bx[i] = i;
      by[i] = Math.sin(i / 1000) + (i % 7) / 10;
    }
    const started = performance.now();
    const idx = lttb(bx, by, 0, n, 2000);
    const elapsed = performance.now() - started;
    assert.equal(idx.length, 2000);
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  });

  test('binary searches and the visible range with one point of margin', () => {
    const sorted = [0, 10, 20, 30, 40];
    assert.equal(lowerBound(sorted, 15), 2);
    assert.equal(upperBound(sorted, 20), 3);
    assert.deepEqual(visibleRange(sorted, 12, 28), { start: 1, end: 4 });
    assert.deepEqual(visibleRange(sorted, 0, 40), { start: 0, end: 5 });
    assert.ok(isAscending(sorted));
    assert.ok(!isAscending([1, 0]));
  });
});
