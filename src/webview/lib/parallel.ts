/**
 * Axes of parallel-coordinates and scatter plots over runs: each dimension (a param or a metric) is numeric
 * when every value reads as a finite number, else categorical; values map to [0, 1] on their axis. Pure.
 */
import { decodeMetricValue, type RunRecord } from '../protocol';

export type Dimension = { kind: 'param' | 'metric'; key: string };

export interface Axis {
  dimension: Dimension;
  label: string;
  type: 'numeric' | 'categorical';
  /** Numeric: the range; categorical: 0 and categories.length - 1. */
  min: number;
  max: number;
  categories: string[];
  /** Position in [0, 1] per run (NaN when the run has no value). */
  positions: number[];
  /** The value per run: a number, a category, or undefined. */
  values: (number | string | undefined)[];
}

export function dimensionId(dimension: Dimension): string {
  return `${dimension.kind}:${dimension.key}`;
}

export function parseDimension(id: string): Dimension | undefined {
  const match = /^(param|metric):(.+)$/.exec(id);
  return match ? { kind: match[1] as Dimension['kind'], key: match[2]! } : undefined;
}

export function rawValue(run: RunRecord, dimension: Dimension): string | number | undefined {
  if (dimension.kind === 'metric') {
    const value = run.metrics[dimension.key];
    return value === undefined ? undefined : decodeMetricValue(value);
  }
  return run.params[dimension.key];
}

function asNumber(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : undefined;
}

export function buildAxis(runs: readonly RunRecord[], dimension: Dimension): Axis {
  const raw = runs.map((run) => rawValue(run, dimension));
  const present = raw.filter((v) => v !== undefined && !(typeof v === 'number' && !Number.isFinite(v)));
  const numeric = present.length > 0 && present.every((v) => asNumber(v) !== undefined);
  const label = dimension.key;
  if (numeric) {
    const numbers = raw.map(asNumber);
    const finite = numbers.filter((n): n is number => n !== undefined);
    const min = Math.min(...finite);
    const max = Math.max(...finite);
    const positions = numbers.map((n) => (n === undefined ? NaN : max > min ? (n - min) / (max - min) : 0.5));
    return { dimension, label, type: 'numeric', min, max, categories: [], positions, values: numbers };
  }
  const categories = [...new Set(present.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const index = new Map(categories.map((c, i) => [c, i]));
  const positions = raw.map((v) => {
    if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return NaN;
    const i = index.get(String(v))!;
    return categories.length > 1 ? i / (categories.length - 1) : 0.5;
  });
  return { dimension, label, type: 'categorical', min: 0, max: Math.max(0, categories.length - 1), categories, positions, values: raw.map((v) => (v === undefined ? undefined : String(v))) };
}

/** The label of a position in [0, 1] on an axis (ticks of parallel coordinates). */
export function axisTick(axis: Axis, position: number): string {
  if (axis.type === 'categorical') {
    if (axis.categories.length === 0) return '';
    const i = axis.categories.length > 1 ? Math.round(position * (axis.categories.length - 1)) : 0;
    return axis.categories[i] ?? '';
  }
  return String(axis.min + position * (axis.max - axis.min));
}

/** Every param and metric the runs have, params first (the choices of the axis pickers). */
export function dimensionsOf(runs: readonly RunRecord[]): Dimension[] {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const run of runs) {
    for (const key of Object.keys(run.params)) params.add(key);
    for (const key of Object.keys(run.metrics)) metrics.add(key);
  }
  const sort = (set: Set<string>) => [...set].sort((a, b) => a.localeCompare(b));
  return [...sort(params).map((key): Dimension => ({ kind: 'param', key })), ...sort(metrics).map((key): Dimension => ({ kind: 'metric', key }))];
}

/** Params whose values differ across the runs (the axes worth drawing), capped at `max`. */
export function varyingParams(runs: readonly RunRecord[], max = 12): string[] {
  const keys = new Set<string>();
  for (const run of runs) for (const key of Object.keys(run.params)) keys.add(key);
  return [...keys]
    .filter((key) => new Set(runs.map((run) => run.params[key])).size > 1)
    .sort((a, b) => a.localeCompare(b))
    .slice(0, max);
}
