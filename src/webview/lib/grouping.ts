/**
 * Runs grouped by a param or tag value, and the mean line and min–max band of a group's curves. Curves of
 * different runs rarely share x values, so the x range is cut into bins: each run contributes the average
 * of its points in a bin, and the group's mean, min and max are taken over those per-run averages. Pure.
 */

export interface GroupableRun {
  runId: string;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface RunGroup {
  /** `lr=0.01`, or `(no lr)` for runs without it. */
  label: string;
  value: string | undefined;
  runIds: string[];
}

/** `param:<key>` / `tag:<key>` → the value of that key in a run, or undefined. */
export function groupValue(run: GroupableRun, groupBy: string): string | undefined {
  if (groupBy.startsWith('param:')) return run.params[groupBy.slice(6)];
  if (groupBy.startsWith('tag:')) return run.tags[groupBy.slice(4)];
  return undefined;
}

export function groupKeyName(groupBy: string): string {
  return groupBy.replace(/^(param|tag):/, '');
}

/** Groups in a stable order: numeric values ascending, then text, runs without the key last. */
export function groupRuns<T extends GroupableRun>(runs: readonly T[], groupBy: string): RunGroup[] {
  const name = groupKeyName(groupBy);
  const groups = new Map<string | undefined, string[]>();
  for (const run of runs) {
    const value = groupValue(run, groupBy);
    const list = groups.get(value);
    if (list) list.push(run.runId);
    else groups.set(value, [run.runId]);
  }
  const values = [...groups.keys()];
  values.sort((a, b) => {
    if (a === undefined) return b === undefined ? 0 : 1;
    if (b === undefined) return -1;
    const na = Number(a);
    const nb = Number(b);
    const aNum = a.trim() !== '' && Number.isFinite(na);
    const bNum = b.trim() !== '' && Number.isFinite(nb);
    if (aNum && bNum) return na - nb;
    if (aNum !== bNum) return aNum ? -1 : 1;
    return a.localeCompare(b);
  });
  return values.map((value) => ({ label: value === undefined ? `(no ${name})` : `${name}=${value}`, value, runIds: groups.get(value)! }));
}

export interface Curve {
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

export interface Band {
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
  /** Runs that contributed to each bin. */
  count: number[];
}

/**
 * Mean and min–max of several curves over `bins` equal bins of [xMin, xMax] (the whole x extent of the
 * curves when not given). Bins no curve reaches are left out; non-finite values are ignored. The x of a bin
 * is the average x of the points in it, so curves sharing x values keep them exactly.
 */
export function bandOf(curves: readonly Curve[], bins: number, xMin?: number, xMax?: number): Band {
  let lo = xMin ?? Infinity;
  let hi = xMax ?? -Infinity;
  if (xMin === undefined || xMax === undefined) {
    for (const curve of curves) {
      for (let i = 0; i < curve.xs.length; i++) {
        const x = curve.xs[i]!;
        if (!Number.isFinite(x) || !Number.isFinite(curve.ys[i]!)) continue;
        if (xMin === undefined && x < lo) lo = x;
        if (xMax === undefined && x > hi) hi = x;
      }
    }
  }
  const band: Band = { x: [], mean: [], min: [], max: [], count: [] };
  if (!(hi >= lo) || bins < 1) return band;
  const n = Math.max(1, Math.floor(bins));
  const width = hi > lo ? (hi - lo) / n : 1;
  const binOf = (x: number) => (hi > lo ? Math.min(n - 1, Math.floor((x - lo) / width)) : 0);
  // Per bin: sum of per-run averages, min, max, runs, and the sum of x for the bin's x.
  const sum = new Float64Array(n);
  const min = new Float64Array(n).fill(Infinity);
  const max = new Float64Array(n).fill(-Infinity);
  const runs = new Uint32Array(n);
  const xSum = new Float64Array(n);
  const xCount = new Uint32Array(n);
  const runSum = new Float64Array(n);
  const runCount = new Uint32Array(n);
  for (const curve of curves) {
    runSum.fill(0);
    runCount.fill(0);
    for (let i = 0; i < curve.xs.length; i++) {
      const x = curve.xs[i]!;
      const y = curve.ys[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y) || x < lo || x > hi) continue;
      const b = binOf(x);
      runSum[b]! += y;
      runCount[b]!++;
      xSum[b]! += x;
      xCount[b]!++;
    }
    for (let b = 0; b < n; b++) {
      if (runCount[b] === 0) continue;
      const average = runSum[b]! / runCount[b]!;
      sum[b]! += average;
      runs[b]!++;
      if (average < min[b]!) min[b] = average;
      if (average > max[b]!) max[b] = average;
    }
  }
  for (let b = 0; b < n; b++) {
    if (runs[b] === 0) continue;
    band.x.push(xSum[b]! / xCount[b]!);
    band.mean.push(sum[b]! / runs[b]!);
    band.min.push(min[b]!);
    band.max.push(max[b]!);
    band.count.push(runs[b]!);
  }
  return band;
}
