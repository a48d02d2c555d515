/**
 * One run's history of one metric as the webview holds it (Float64Array columns in step order), and the
 * pure merges the live and zoomed views need: decode from the wire, append new points, splice a finer step
 * range in, and remember which step ranges are known at full resolution. No DOM.
 */
import type { NumberColumn, SeriesPayload, StepRange } from '../protocol';
import { lowerBound, upperBound } from './lttb';

export interface Series {
  runId: string;
  steps: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
  /** Some points of the history may be missing (a server sample). */
  sampled: boolean;
  /** Step ranges loaded at full resolution (sorted, disjoint). */
  fullRanges: StepRange[];
  /** Bumped on every change: caches of derived columns compare it. */
  revision: number;
}

function column(values: NumberColumn, length: number): Float64Array {
  if (values instanceof Float64Array) return values.length === length ? values : values.subarray(0, length);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = values[i]!;
  return out;
}

export function decodeSeries(payload: SeriesPayload, range?: StepRange): Series {
  const n = Math.min(payload.steps.length, payload.timestamps.length, payload.values.length);
  const series: Series = {
    runId: payload.runId,
    steps: column(payload.steps, n),
    timestamps: column(payload.timestamps, n),
    values: column(payload.values, n),
    sampled: payload.sampled,
    fullRanges: [],
    revision: 0,
  };
  sortByStep(series);
  if (!payload.sampled) series.fullRanges = [range ?? { start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER }];
  return series;
}

/** Orders points by step, then time (servers return step order; this only guards against one that does not). */
function sortByStep(series: Series): void {
  const { steps, timestamps, values } = series;
  let sorted = true;
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]! < steps[i - 1]! || (steps[i] === steps[i - 1] && timestamps[i]! < timestamps[i - 1]!)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  const order = Array.from(steps, (_, i) => i).sort((a, b) => steps[a]! - steps[b]! || timestamps[a]! - timestamps[b]!);
  series.steps = Float64Array.from(order, (i) => steps[i]!);
  series.timestamps = Float64Array.from(order, (i) => timestamps[i]!);
  series.values = Float64Array.from(order, (i) => values[i]!);
}

function concat(...parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Adds points logged after the last one held: points at an earlier step, or at the same step and no later
 * time, are already there and are skipped. Returns how many points were added.
 */
export function appendPoints(series: Series, incoming: Series): number {
  const n = series.steps.length;
  const lastStep = n > 0 ? series.steps[n - 1]! : -Infinity;
  const lastTime = n > 0 ? series.timestamps[n - 1]! : -Infinity;
  let first = 0;
  while (first < incoming.steps.length && (incoming.steps[first]! < lastStep || (incoming.steps[first] === lastStep && incoming.timestamps[first]! <= lastTime))) first++;
  const added = incoming.steps.length - first;
  if (added <= 0) return 0;
  series.steps = concat(series.steps, incoming.steps.subarray(first));
  series.timestamps = concat(series.timestamps, incoming.timestamps.subarray(first));
  series.values = concat(series.values, incoming.values.subarray(first));
  series.revision++;
  // A tail the server sent whole (fewer points than it may send) is complete.
  if (!incoming.sampled) addFullRange(series, { start: incoming.steps[first]!, end: Number.MAX_SAFE_INTEGER });
  else series.sampled = true;
  return added;
}

/** Replaces the points in `range` with those of a finer answer for that range. */
export function spliceRange(series: Series, range: StepRange, incoming: Series): void {
  const before = lowerBound(series.steps, range.start);
  const after = upperBound(series.steps, range.end);
  const from = lowerBound(incoming.steps, range.start);
  const to = upperBound(incoming.steps, range.end);
  const pick = (held: Float64Array, fresh: Float64Array) => concat(held.subarray(0, before), fresh.subarray(from, to), held.subarray(after));
  series.steps = pick(series.steps, incoming.steps);
  series.timestamps = pick(series.timestamps, incoming.timestamps);
  series.values = pick(series.values, incoming.values);
  series.revision++;
  if (!incoming.sampled) addFullRange(series, range);
}

/** Records a step range as known at full resolution (merging overlapping and adjacent ranges). */
export function addFullRange(series: Series, range: StepRange): void {
  const ranges = [...series.fullRanges, { ...range }].sort((a, b) => a.start - b.start);
  const merged: StepRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  series.fullRanges = merged;
}

/** True when every point of `range` is already held (no need to ask the server again). */
export function coversRange(series: Series, range: StepRange): boolean {
  if (!series.sampled) return true;
  return series.fullRanges.some((r) => r.start <= range.start && r.end >= range.end);
}

/** The step range spanning the points whose x (in `xs`, parallel to steps) lies in [min, max], widened by one point each side. */
export function stepRangeOf(series: Series, xs: ArrayLike<number>, min: number, max: number): StepRange | undefined {
  let first = -1;
  let last = -1;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (x >= min && x <= max) {
      if (first === -1) first = i;
      last = i;
    }
  }
  if (first === -1) return undefined;
  const start = series.steps[Math.max(0, first - 1)]!;
  const end = series.steps[Math.min(series.steps.length - 1, last + 1)]!;
  return { start: Math.floor(start), end: Math.ceil(end) };
}
