/** A metric value in a few significant digits: 0.9712 → 0.971, 1234.5 → 1235 (lenses and hovers are glanced at). */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}

/** A start time as the user's clock would say it, or nothing when unknown. */
export function formatTime(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function runLabel(name: string | undefined, runId: string): string {
  return name || runId.slice(0, 8);
}

/** Markdown code span that survives backticks in the text. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text}${fence}`;
}
