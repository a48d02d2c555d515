// Small statistics helpers: percentiles over samples, and a bounded measuring loop.

/** The p-th percentile (0..100) of `values`, nearest-rank on the sorted samples. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const median = (values) => percentile(values, 50);

/**
 * Runs `fn` up to `count` times but stops starting new iterations after `maxSeconds` (always at least
 * `minCount` when possible); returns the elapsed milliseconds of each iteration.
 */
export async function timed(fn, { count, maxSeconds, minCount = 1 }) {
  const samples = [];
  const deadline = performance.now() + maxSeconds * 1000;
  for (let i = 0; i < count; i++) {
    if (i >= minCount && performance.now() > deadline) break;
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** p50/p95 summary of latency samples (ms). */
export function latency(samples) {
  return { p50Ms: percentile(samples, 50), p95Ms: percentile(samples, 95), n: samples.length };
}
