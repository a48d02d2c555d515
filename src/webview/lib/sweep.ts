/**
 * A sweep's trials ranked by a metric: the direction guessed from the metric's name (loss goes down,
 * accuracy up), runs without the metric last, ties by start time. Pure.
 */
import { decodeMetricValue, type Direction, type RunRecord } from '../protocol';

const LOWER_IS_BETTER = /(loss|err|error|rmse|mse|mae|mape|perplexity|ppl|wer|cer|distance|latency|time|cost|regret|nll|logloss|entropy|fpr|fnr|bpc|bpd)/i;
const HIGHER_IS_BETTER = /(acc|accuracy|auc|f1|precision|recall|r2|score|iou|dice|map|bleu|rouge|reward|return|ndcg|mrr|hit|top|kappa|corr|sharpe|throughput)/i;

/** `min` for loss-like names, `max` for accuracy-like ones; `min` when the name says nothing. */
export function guessDirection(metric: string): Direction {
  const name = metric.split('/').pop() ?? metric;
  if (HIGHER_IS_BETTER.test(name) && !/(^|_|\b)(loss|err|error)/i.test(name)) return 'max';
  if (LOWER_IS_BETTER.test(name)) return 'min';
  return 'min';
}

/** The metric a sweep is most likely optimising: the one most trials logged, goal-like names first. */
export function guessSweepMetric(children: readonly RunRecord[], metricKeys: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const run of children) for (const key of Object.keys(run.metrics)) counts.set(key, (counts.get(key) ?? 0) + 1);
  const candidates = (metricKeys.length > 0 ? metricKeys : [...counts.keys()]).filter((k) => !k.startsWith('system/') && (counts.get(k) ?? 0) > 0);
  const score = (key: string) => {
    const name = key.toLowerCase();
    let s = (counts.get(key) ?? 0) * 10;
    if (/^(val|valid|validation|test|eval)[_/.-]/.test(name) || /[_/.-](val|valid|test|eval)$/.test(name)) s += 4;
    if (/loss|accuracy|acc|auc|f1|rmse|score/.test(name)) s += 3;
    if (/^(train|training)[_/.-]/.test(name)) s -= 2;
    if (/^best[_/.-]/.test(name)) s -= 1;
    return s;
  };
  return [...candidates].sort((a, b) => score(b) - score(a) || a.localeCompare(b))[0];
}

export interface Ranked<T> {
  run: T;
  value: number | undefined;
  rank: number | undefined;
}

/** Children by `metric`, best first; runs without a finite value keep no rank and come last. */
export function rankRuns<T extends RunRecord>(runs: readonly T[], metric: string, direction: Direction): Ranked<T>[] {
  const valued = runs.map((run) => {
    const raw = run.metrics[metric];
    const value = raw === undefined ? undefined : decodeMetricValue(raw);
    return { run, value: value !== undefined && Number.isFinite(value) ? value : undefined };
  });
  valued.sort((a, b) => {
    if (a.value === undefined) return b.value === undefined ? byStart(a.run, b.run) : 1;
    if (b.value === undefined) return -1;
    const diff = direction === 'min' ? a.value - b.value : b.value - a.value;
    return diff !== 0 ? diff : byStart(a.run, b.run);
  });
  let rank = 0;
  return valued.map((entry) => ({ ...entry, rank: entry.value === undefined ? undefined : ++rank }));
}

function byStart(a: RunRecord, b: RunRecord): number {
  return (a.startTime ?? 0) - (b.startTime ?? 0) || a.runId.localeCompare(b.runId);
}

/** Params that differ between trials (the swept ones), in name order. */
export function sweptParams(runs: readonly RunRecord[]): string[] {
  const values = new Map<string, Set<string>>();
  for (const run of runs) {
    for (const [key, value] of Object.entries(run.params)) {
      let set = values.get(key);
      if (!set) values.set(key, (set = new Set()));
      set.add(value);
    }
  }
  return [...values.entries()]
    .filter(([key, set]) => set.size > 1 || runs.some((run) => run.params[key] === undefined))
    .map(([key]) => key)
    .sort((a, b) => a.localeCompare(b));
}
