/**
 * Exponential moving average as TensorBoard smooths scalars: `weight` in [0, 1) is how much of the past
 * each point keeps, and the start is debiased (divided by 1 - weight^n) so the curve does not begin at 0.
 * Non-finite values pass through unchanged and do not disturb the average. Pure: no DOM.
 */
export function ema(values: ArrayLike<number>, weight: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  const w = clampWeight(weight);
  if (w === 0) {
    for (let i = 0; i < n; i++) out[i] = values[i]!;
    return out;
  }
  let last = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value)) {
      out[i] = value;
      continue;
    }
    last = last * w + (1 - w) * value;
    count++;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return out;
}

/** Smoothing weights the UI offers: 0 (off) to 0.99. */
export function clampWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) return 0;
  return Math.min(0.99, weight);
}
