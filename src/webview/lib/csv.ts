/** CSV (RFC 4180) of metric histories and tables. Pure: no DOM. */
import { formatExact } from './format';

/** A field quoted when it holds a comma, quote, CR or LF; a leading =, +, - or @ is defused for spreadsheets. */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return formatExact(value);
  let text = value;
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(fields: readonly (string | number | undefined)[]): string {
  return fields.map(csvField).join(',');
}

export function toCsv(header: readonly string[], rows: Iterable<readonly (string | number | undefined)[]>): string {
  const lines = [csvRow(header)];
  for (const row of rows) lines.push(csvRow(row));
  return `${lines.join('\r\n')}\r\n`;
}

export interface CsvSeries {
  runId: string;
  runName: string;
  key: string;
  steps: ArrayLike<number>;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
  /** The EMA curve as charted, when smoothing is on. */
  smoothed?: ArrayLike<number>;
}

/** Long format: one line per point, `run_id,run_name,metric,step,timestamp,value[,smoothed]`. */
export function seriesToCsv(series: readonly CsvSeries[]): string {
  const smoothed = series.some((s) => s.smoothed !== undefined);
  const header = ['run_id', 'run_name', 'metric', 'step', 'timestamp', 'value', ...(smoothed ? ['smoothed'] : [])];
  function* rows(): Generator<(string | number | undefined)[]> {
    for (const s of series) {
      for (let i = 0; i < s.steps.length; i++) {
        const row: (string | number | undefined)[] = [s.runId, s.runName, s.key, s.steps[i], s.timestamps[i], s.values[i]];
        if (smoothed) row.push(s.smoothed ? s.smoothed[i] : undefined);
        yield row;
      }
    }
  }
  return toCsv(header, rows());
}
