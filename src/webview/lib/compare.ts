/**
 * The comparison table of runs: a row per param and per metric (latest value), cells per run; "only
 * differences" keeps the rows whose values are not all the same; transpose swaps runs and keys. Pure.
 */
import { decodeMetricValue, type RunRecord } from '../protocol';
import { formatNumber } from './format';

export type RowSection = 'attribute' | 'param' | 'metric' | 'tag';

export interface CompareRow {
  section: RowSection;
  key: string;
  /** One per run, undefined where the run has none. */
  cells: (string | undefined)[];
  /** Raw numbers of a metric row (for best-value marks and sorting). */
  numbers?: (number | undefined)[];
  differs: boolean;
}

export interface CompareTable {
  runIds: string[];
  runNames: string[];
  rows: CompareRow[];
}

export interface CompareOptions {
  onlyDifferences: boolean;
  /** Include user tags as rows. */
  tags?: boolean;
}

/** True when not every run has the same value (a missing value differs from any value). */
export function cellsDiffer(cells: readonly (string | undefined)[]): boolean {
  if (cells.length < 2) return false;
  const first = cells[0];
  return cells.some((cell) => cell !== first);
}

export function buildCompareTable(runs: readonly RunRecord[], options: CompareOptions): CompareTable {
  const rows: CompareRow[] = [];
  const add = (section: RowSection, key: string, cells: (string | undefined)[], numbers?: (number | undefined)[]) => {
    const differs = cellsDiffer(cells);
    if (options.onlyDifferences && !differs) return;
    rows.push(numbers ? { section, key, cells, numbers, differs } : { section, key, cells, differs });
  };
  add('attribute', 'Experiment', runs.map((r) => r.experimentName || r.experimentId));
  add('attribute', 'Status', runs.map((r) => r.status));
  for (const key of sortedKeys(runs.map((r) => r.params))) add('param', key, runs.map((r) => r.params[key]));
  for (const key of sortedKeys(runs.map((r) => r.metrics))) {
    const numbers = runs.map((r) => (r.metrics[key] === undefined ? undefined : decodeMetricValue(r.metrics[key])));
    add('metric', key, numbers.map((n) => (n === undefined ? undefined : formatNumber(n))), numbers);
  }
  if (options.tags) for (const key of sortedKeys(runs.map((r) => r.tags))) add('tag', key, runs.map((r) => r.tags[key]));
  return { runIds: runs.map((r) => r.runId), runNames: runs.map((r) => r.name), rows };
}

function sortedKeys(records: readonly Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) keys.add(key);
  return [...keys].sort((a, b) => a.localeCompare(b));
}

/** The table as a matrix of text: header row first. Keys down the side, or runs down the side when transposed. */
export function tableMatrix(table: CompareTable, transpose: boolean): string[][] {
  const label = (row: CompareRow) => (row.section === 'attribute' ? row.key : `${row.section === 'param' ? 'params' : row.section === 'metric' ? 'metrics' : 'tags'}.${row.key}`);
  if (!transpose) {
    return [['', ...table.runNames], ...table.rows.map((row) => [label(row), ...row.cells.map((c) => c ?? '')])];
  }
  return [['', ...table.rows.map(label)], ...table.runNames.map((name, i) => [name, ...table.rows.map((row) => row.cells[i] ?? '')])];
}

/** Index of the lowest and highest value of a metric row (for marks), undefined when fewer than two values differ. */
export function extremes(numbers: readonly (number | undefined)[]): { min: number; max: number } | undefined {
  let min = -1;
  let max = -1;
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i];
    if (n === undefined || !Number.isFinite(n)) continue;
    if (min === -1 || n < numbers[min]!) min = i;
    if (max === -1 || n > numbers[max]!) max = i;
  }
  if (min === -1 || numbers[min] === numbers[max]) return undefined;
  return { min, max };
}
