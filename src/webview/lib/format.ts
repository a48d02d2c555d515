/** Number, time and duration formatting of the panels. Pure: no DOM. */

/** About 4 significant digits: `0.1235`, `12.35`, `1235`, `1.23e-5`, `NaN`. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '-∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return exponential(value);
  if (Number.isInteger(value)) return String(value);
  if (magnitude >= 1000) return String(Math.round(value));
  return String(Number.parseFloat(value.toPrecision(4)));
}

function exponential(value: number): string {
  const [mantissa = '', exponent = ''] = value.toExponential(2).split('e');
  const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  return `${trimmed}e${exponent.replace(/^\+/, '')}`;
}

/** Full precision for tooltips and CSV (what was logged, not a rounding). */
export function formatExact(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return String(value);
}

/** `850 ms`, `12 s`, `3 min 4 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Decimals that tell apart ticks `step` apart (0.005 → 3), at least `min`, at most 6. */
function decimalsFor(step: number | undefined, min: number): number {
  if (step === undefined || !(step > 0) || step >= 1) return min;
  return Math.min(6, Math.max(min, Math.ceil(-Math.log10(step) - 1e-9)));
}

/**
 * Axis label of relative time in seconds: `45s`, `12:05`, `3:02:10`. `step` (seconds between ticks) adds
 * the decimals sub-second ticks need: points logged within a second would otherwise all read `0s`.
 */
export function formatClock(seconds: number, step?: number): string {
  if (!Number.isFinite(seconds)) return '';
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  if (s < 60) return `${sign}${Number.parseFloat(s.toFixed(decimalsFor(step, s < 10 ? 1 : 0)))}s`;
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${pad(m)}:${pad(sec)}` : `${sign}${m}:${pad(sec)}`;
}

/**
 * Axis label of wall time: the time of day, with the date when the span covers days and milliseconds when
 * ticks are less than a second apart (`stepMs`).
 */
export function formatWallTime(ms: number, spanMs: number, stepMs?: number): string {
  if (!Number.isFinite(ms)) return '';
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const decimals = Math.min(3, decimalsFor(stepMs === undefined ? undefined : stepMs / 1000, 0));
  const fraction = decimals > 0 ? `.${String(date.getMilliseconds()).padStart(3, '0').slice(0, decimals)}` : '';
  const time = spanMs < 120_000 ? `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${fraction}` : `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return spanMs >= 86_400_000 ? `${date.getMonth() + 1}/${date.getDate()} ${time}` : time;
}

export function formatTimestamp(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return '';
  return new Date(ms).toLocaleString();
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : Number.parseFloat(value.toPrecision(3))} ${units[unit]}`;
}

/** A run's label: its name, or the start of its id. */
export function runLabel(name: string | undefined, runId: string): string {
  return name && name.trim() !== '' ? name : runId.slice(0, 8);
}

/** A file name made of user text (metric keys hold slashes). */
export function safeFileName(text: string): string {
  const cleaned = text.replace(/[/\\:*?"<>|\s]+/g, '_').replace(/^[._]+|_+$/g, '');
  return (cleaned || 'export').slice(0, 120);
}
