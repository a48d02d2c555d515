/**
 * Pure helpers of the sidebar trees: number and time formatting, filter composition, URI building and
 * validation. No `vscode` import here, so unit tests load this module under plain Node.
 */

/** Metrics as the trees read them (the client's decoded Metric fits). */
export interface MetricLike {
  key: string;
  value: number;
}

export interface KeyValueLike {
  key: string;
  value: string;
}

export type RunStatusName = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/** A number in about 3-4 significant digits: `0.1235`, `12.35`, `1235`, `1.23e-5`, `NaN`. */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return exponential(value);
  if (Number.isInteger(value)) return String(value);
  if (magnitude >= 1000) return String(Math.round(value));
  if (magnitude >= 1e-3) return String(Number.parseFloat(value.toPrecision(4)));
  return exponential(value);
}

function exponential(value: number): string {
  // 1.23e+6 → 1.23e6; 1.00e-7 → 1e-7
  const [mantissa = '', exponent = ''] = value.toExponential(2).split('e');
  const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  return `${trimmed}e${exponent.replace(/^\+/, '')}`;
}

/** MLflow's system metrics (`system/cpu_utilization_percentage`) are noise in a one-line summary. */
function isSystemMetric(key: string): boolean {
  return key.startsWith('system/');
}

/** Up to `max` latest metrics on one line, model metrics before system metrics: `loss 0.123 · accuracy 0.97`. */
export function summarizeMetrics(metrics: readonly MetricLike[], max = 3): string {
  const ordered = [...metrics.filter((m) => !isSystemMetric(m.key)), ...metrics.filter((m) => isSystemMetric(m.key))];
  return ordered
    .slice(0, max)
    .map((m) => `${m.key} ${formatMetricValue(m.value)}`)
    .join(' · ');
}

// ------------------------------------------------------------ filters

/** A string literal of MLflow's search grammar (which has no escapes: pick the quote the text lacks). */
export function quoteFilterString(text: string): string {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `'${text}'`;
}

/** MLflow filters only know AND, so composing is joining the non-empty parts. */
export function composeFilter(...parts: (string | undefined)[]): string {
  return parts
    .map((part) => part?.trim() ?? '')
    .filter((part) => part !== '')
    .join(' AND ');
}

export const TOP_LEVEL_RUNS_FILTER = 'tags.mlflow.parentRunId IS NULL';

export function topLevelRunsFilter(userFilter?: string): string {
  return composeFilter(TOP_LEVEL_RUNS_FILTER, userFilter);
}

export function childRunsFilter(parentRunId: string): string {
  return `tags.mlflow.parentRunId = ${quoteFilterString(parentRunId)}`;
}

export const RUNS_ORDER_BY = ['attributes.start_time DESC'];

// ------------------------------------------------------------ URIs

/** `runs:/<id>` or `runs:/<id>/<path>` as MLflow resolves them. */
export function runsUri(runId: string, artifactPath?: string): string {
  const path = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
  return path ? `runs:/${runId}/${path}` : `runs:/${runId}`;
}

export function modelVersionUri(name: string, version: string): string {
  return `models:/${name}/${version}`;
}

export function modelAliasUri(name: string, alias: string): string {
  return `models:/${name}@${alias}`;
}

export function modelStageUri(name: string, stage: string): string {
  return `models:/${name}/${stage}`;
}

/** Why `alias` is not a valid MLflow model alias, or undefined when it is. */
export function validateAlias(alias: string): string | undefined {
  if (alias === '') return 'Enter an alias, e.g. champion.';
  if (alias.length > 255) return 'An alias has at most 255 characters.';
  if (!/^[A-Za-z0-9_-]+$/.test(alias)) return 'Use letters, digits, _ and - only.';
  if (alias.toLowerCase() === 'latest') return "'latest' is reserved: models:/NAME/latest already means the newest version.";
  if (/^v\d+$/i.test(alias)) return `'${alias}' is reserved: it reads as a version number.`;
  return undefined;
}

/** Why `key` cannot be a run tag key, or undefined when it may be (the server has the last word). */
export function validateTagKey(key: string): string | undefined {
  if (key.trim() === '') return 'Enter a tag key.';
  if (key.length > 250) return 'A tag key has at most 250 characters.';
  return undefined;
}

// ------------------------------------------------------------ runs

/** The label of a run row: its name, or the start of its id when it has none. */
export function runLabel(runName: string | undefined, runId: string): string {
  return runName && runName.trim() !== '' ? runName : runId.slice(0, 12);
}

export interface RunLike {
  info: { run_name?: string; status: string; lifecycle_stage: string; start_time?: number; end_time?: number; user_id?: string };
  data: { metrics: readonly (MetricLike & { step: number; timestamp: number })[]; params: readonly KeyValueLike[]; tags: readonly KeyValueLike[] };
}

/** Everything a run row and its groups show: equal fingerprints need no repaint. */
export function runFingerprint(run: RunLike): string {
  const { info, data } = run;
  return JSON.stringify([
    info.run_name ?? '',
    info.status,
    info.lifecycle_stage,
    info.start_time ?? null,
    info.end_time ?? null,
    info.user_id ?? '',
    data.metrics.map((m) => [m.key, String(m.value), m.step, m.timestamp]),
    data.params.map((p) => [p.key, p.value]),
    data.tags.map((t) => [t.key, t.value]),
  ]);
}

/** Kind and state of a run row for `viewItem` menus: `run`, `run.running`, `run.deleted`. */
export function runContextValue(status: string, lifecycleStage: string): string {
  if (lifecycleStage === 'deleted') return 'run.deleted';
  if (status === 'RUNNING' || status === 'SCHEDULED') return 'run.running';
  return 'run';
}

/** `experiment`, `experiment.default` (cannot be deleted), `experiment.deleted`. */
export function experimentContextValue(experimentId: string, lifecycleStage: string): string {
  if (lifecycleStage === 'deleted') return 'experiment.deleted';
  return experimentId === '0' ? 'experiment.default' : 'experiment';
}

/** Codicon id and theme colour id of a run's status; deleted runs show a dimmed trash can. */
export function runStatusIcon(status: string, lifecycleStage: string): { id: string; color?: string } {
  if (lifecycleStage === 'deleted') return { id: 'trash', color: 'disabledForeground' };
  switch (status) {
    case 'RUNNING':
      return { id: 'sync~spin' };
    case 'FINISHED':
      return { id: 'pass', color: 'charts.green' };
    case 'FAILED':
      return { id: 'error', color: 'charts.red' };
    case 'KILLED':
      return { id: 'circle-slash' };
    case 'SCHEDULED':
      return { id: 'clock' };
    default:
      return { id: 'circle-outline' };
  }
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

export function isSystemTag(key: string): boolean {
  return key.startsWith('mlflow.');
}

/** User tags first, then MLflow's own `mlflow.*` tags; each part by key. */
export function sortTags<T extends KeyValueLike>(tags: readonly T[]): T[] {
  const byKey = (a: T, b: T) => a.key.localeCompare(b.key);
  return [...tags.filter((t) => !isSystemTag(t.key)).sort(byKey), ...tags.filter((t) => isSystemTag(t.key)).sort(byKey)];
}

export function sortByKey<T extends { key: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Artifact paths of the models a run logged the MLflow 2 way (`mlflow.log-model.history`, a JSON list of
 * `{artifact_path, flavors, ...}`); [] when the tag is absent or unreadable.
 */
export function loggedModelArtifactPaths(history: string | undefined): string[] {
  if (!history) return [];
  try {
    const parsed: unknown = JSON.parse(history);
    if (!Array.isArray(parsed)) return [];
    const paths = parsed
      .map((entry: unknown) => (entry && typeof entry === 'object' && 'artifact_path' in entry ? (entry as { artifact_path: unknown }).artifact_path : undefined))
      .filter((path): path is string => typeof path === 'string' && path !== '');
    return [...new Set(paths)];
  } catch {
    return [];
  }
}

// ------------------------------------------------------------ models

/** `Production · @champion @prod`; `` for a version with stage None and no aliases. */
export function versionDescription(stage: string | undefined, aliases: readonly string[]): string {
  const parts: string[] = [];
  if (stage && stage !== 'None') parts.push(stage);
  if (aliases.length > 0) parts.push(aliases.map((alias) => `@${alias}`).join(' '));
  return parts.join(' · ');
}

/** Newest version first (versions are decimal strings: "10" after "9"). */
export function compareVersionsDescending(a: string, b: string): number {
  const diff = Number(b) - Number(a);
  return Number.isNaN(diff) ? b.localeCompare(a) : diff;
}

/** The highest version number among some, or undefined. */
export function latestVersion(versions: readonly string[]): string | undefined {
  return [...versions].sort(compareVersionsDescending)[0];
}

/** `modelVersion` or `modelVersion.aliased` (the Remove Alias menu needs an alias to remove). */
export function modelVersionContextValue(aliases: readonly string[]): string {
  return aliases.length > 0 ? 'modelVersion.aliased' : 'modelVersion';
}

/** Aliases of one version, from the version itself and from its model's alias table, deduplicated. */
export function aliasesOfVersion(version: string, ownAliases: readonly string[] | undefined, modelAliases: readonly { alias: string; version: string }[] | undefined): string[] {
  const fromModel = (modelAliases ?? []).filter((entry) => entry.version === version).map((entry) => entry.alias);
  return [...new Set([...(ownAliases ?? []), ...fromModel])].sort();
}

// ------------------------------------------------------------ text

/** Escapes Markdown so user text (run names, sources) renders literally in a tooltip. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (ch) => `\\${ch}`);
}

export function firstLine(text: string): string {
  const index = text.search(/\r?\n/);
  return index === -1 ? text : text.slice(0, index);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** How a file size arrives on the wire (int64 may come as a string) → bytes, or undefined. */
export function fileSizeOf(size: number | string | undefined): number | undefined {
  if (size === undefined) return undefined;
  const bytes = typeof size === 'number' ? size : Number(size);
  return Number.isFinite(bytes) ? bytes : undefined;
}

export function formatBytes(bytes: number): string {
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

/** The last segment of a slash path. */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
