/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013): keeps the first and last point and, from
 * each of `threshold - 2` equal buckets in between, the point that makes the largest triangle with the point
 * kept before and the average of the next bucket. The line keeps its peaks and troughs at a fraction of the
 * points. Works on index ranges of column arrays, returns the chosen indices; skips non-finite y values.
 * Pure: no DOM.
 */
export function lttb(xs: ArrayLike<number>, ys: ArrayLike<number>, start: number, end: number, threshold: number): Uint32Array {
  const from = Math.max(0, start);
  const to = Math.min(xs.length, ys.length, end);
  const length = to - from;
  if (length <= 0) return new Uint32Array(0);
  const finite = countFinite(ys, from, to);
  if (finite < length) return lttbSparse(xs, ys, from, to, threshold, finite);
  if (threshold >= length || threshold < 3) {
    if (threshold >= length) return range(from, to);
    // 1 or 2 points asked for: the ends.
    return threshold <= 1 ? Uint32Array.of(from) : Uint32Array.of(from, to - 1);
  }
  const out = new Uint32Array(threshold);
  const bucketSize = (length - 2) / (threshold - 2);
  let kept = from;
  out[0] = from;
  let o = 1;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    // Average of the next bucket (the last point for the final bucket).
    const nextStart = from + Math.floor((bucket + 1) * bucketSize) + 1;
    const nextEnd = Math.min(to, from + Math.floor((bucket + 2) * bucketSize) + 1);
    let avgX = 0;
    let avgY = 0;
    const nextCount = nextEnd - nextStart;
    if (nextCount > 0) {
      for (let i = nextStart; i < nextEnd; i++) {
        avgX += xs[i]!;
        avgY += ys[i]!;
      }
      avgX /= nextCount;
      avgY /= nextCount;
    } else {
      avgX = xs[to - 1]!;
      avgY = ys[to - 1]!;
    }
    const rangeStart = from + Math.floor(bucket * bucketSize) + 1;
    const rangeEnd = Math.min(to - 1, from + Math.floor((bucket + 1) * bucketSize) + 1);
    const ax = xs[kept]!;
    const ay = ys[kept]!;
    let maxArea = -1;
    let chosen = rangeStart;
    for (let i = rangeStart; i < rangeEnd; i++) {
      const area = Math.abs((ax - avgX) * (ys[i]! - ay) - (ax - xs[i]!) * (avgY - ay));
      if (area > maxArea) {
        maxArea = area;
        chosen = i;
      }
    }
    out[o++] = chosen;
    kept = chosen;
  }
  out[o++] = to - 1;
  return o === threshold ? out : out.slice(0, o);
}

function countFinite(ys: ArrayLike<number>, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (Number.isFinite(ys[i]!)) n++;
  return n;
}

function range(from: number, to: number): Uint32Array {
  const out = new Uint32Array(to - from);
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}

/** Series with NaN or infinite values: downsample the finite points only (the gaps stay gaps). */
function lttbSparse(xs: ArrayLike<number>, ys: ArrayLike<number>, from: number, to: number, threshold: number, finite: number): Uint32Array {
  const indices = new Uint32Array(finite);
  const fx = new Float64Array(finite);
  const fy = new Float64Array(finite);
  let k = 0;
  for (let i = from; i < to; i++) {
    const y = ys[i]!;
    if (!Number.isFinite(y)) continue;
    indices[k] = i;
    fx[k] = xs[i]!;
    fy[k] = y;
    k++;
  }
  const chosen = lttb(fx, fy, 0, finite, threshold);
  const out = new Uint32Array(chosen.length);
  for (let i = 0; i < chosen.length; i++) out[i] = indices[chosen[i]!]!;
  return out;
}

/**
 * The first index whose x is >= `x` in an ascending array (binary search); `xs.length` when none is.
 */
export function lowerBound(xs: ArrayLike<number>, x: number, from = 0, to = xs.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose x is > `x` in an ascending array. */
export function upperBound(xs: ArrayLike<number>, x: number, from = 0, to = xs.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function isAscending(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[i - 1]!) return false;
  return true;
}

/**
 * Index range [start, end) of the points to draw for the visible x range [min, max] of an ascending x
 * column, with one point more on each side so the line runs to the chart's edges.
 */
export function visibleRange(xs: ArrayLike<number>, min: number, max: number): { start: number; end: number } {
  const start = Math.max(0, lowerBound(xs, min) - 1);
  const end = Math.min(xs.length, upperBound(xs, max) + 1);
  return { start, end: Math.max(start, end) };
}
