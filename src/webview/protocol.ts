/**
 * The one contract between the extension host (src/extension/panels) and the webview apps (src/webview):
 * panel kinds and their arguments, the persisted UI state, the data snapshots, every message in both
 * directions, and the guards that check what crosses the boundary. Imported by both sides, so it holds no
 * DOM and no `vscode` import: only types, constants and pure functions.
 */

export const PROTOCOL_VERSION = 1;

// ------------------------------------------------------------ panels

export type PanelKind = 'details' | 'charts' | 'compare' | 'sweep';

/** The `viewType` of each panel (also `onWebviewPanel:<viewType>` activation events in package.json). */
export const VIEW_TYPES: Readonly<Record<PanelKind, string>> = {
  details: 'runboard.runDetails',
  charts: 'runboard.metricCharts',
  compare: 'runboard.compareRuns',
  sweep: 'runboard.sweep',
};

export interface DetailsArgs {
  readonly runId: string;
}

export interface ChartsArgs {
  readonly runIds: string[];
  /** Metrics to chart first; empty: the panel picks. */
  readonly metricKeys: string[];
}

export interface CompareArgs {
  readonly runIds: string[];
}

export interface SweepArgs {
  readonly parentRunId: string;
}

export interface PanelArgsMap {
  details: DetailsArgs;
  charts: ChartsArgs;
  compare: CompareArgs;
  sweep: SweepArgs;
}

/** What a panel shows, as one tagged value (the identity of a panel: one panel per identity). */
export type PanelArgs = { [K in PanelKind]: { kind: K; args: PanelArgsMap[K] } }[PanelKind];

/** Most runs one chart or comparison holds (the server samples at most 100 runs per request). */
export const MAX_PANEL_RUNS = 100;

// ------------------------------------------------------------ UI state (kept by the webview)

export type XAxisMode = 'step' | 'wall' | 'relative';
export type Direction = 'min' | 'max';

export interface ZoomRange {
  min: number;
  max: number;
}

export interface ChartSettings {
  xAxis: XAxisMode;
  /** EMA weight in [0, 0.99]; 0 = off. */
  smoothing: number;
  logScale: boolean;
  /** `param:<key>` or `tag:<key>`: runs grouped, mean line and min–max band; '' = no grouping. */
  groupBy: string;
}

export interface ChartsUi {
  settings: ChartSettings;
  /** Metrics shown, in order. */
  metricKeys: string[];
  /** Zoomed x range per metric key (in the units of settings.xAxis). */
  zoom: Record<string, ZoomRange>;
  /** Filter text of the metric list. */
  filter: string;
  /** Runs hidden from the charts (legend toggles). */
  hidden: string[];
}

export interface DetailsUi {
  /** Sections collapsed by the user. */
  collapsed: string[];
  showSystemTags: boolean;
  paramFilter: string;
}

export interface CompareUi {
  tab: 'table' | 'parallel' | 'scatter' | 'charts';
  onlyDifferences: boolean;
  transpose: boolean;
  parallelMetric: string;
  scatterX: string;
  scatterY: string;
  charts: ChartsUi;
}

export interface SweepUi {
  metric: string;
  direction: Direction | '';
  tab: 'parallel' | 'scatter';
  scatterX: string;
}

export interface PanelUiMap {
  details: DetailsUi;
  charts: ChartsUi;
  compare: CompareUi;
  sweep: SweepUi;
}

/**
 * What the webview keeps with `setState` and what the serializer gets back after a reload: which panel,
 * what it shows, and the user's choices in it. Small by design (no series data).
 */
export type PersistedState = { [K in PanelKind]: { v: typeof PROTOCOL_VERSION; kind: K; args: PanelArgsMap[K]; ui?: Partial<PanelUiMap[K]> } }[PanelKind];

// ------------------------------------------------------------ data

/** A metric value as JSON can carry it: non-finite doubles as MLflow writes them. */
export type MetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

export interface KeyValue {
  key: string;
  value: string;
}

export type RunStatusName = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunSummary {
  runId: string;
  name: string;
  experimentId: string;
  experimentName: string;
  status: RunStatusName;
  lifecycleStage: string;
  startTime?: number;
  endTime?: number;
  userId?: string;
  parentRunId?: string;
}

/** A run as tables, scatter plots and parallel coordinates read it: latest metric values. */
export interface RunRecord extends RunSummary {
  params: Record<string, string>;
  metrics: Record<string, MetricValue>;
  /** User tags (mlflow.* tags left out, except the run note). */
  tags: Record<string, string>;
}

export interface MetricStats {
  key: string;
  last: MetricValue;
  lastStep: number;
  lastTimestamp: number;
  /** Undefined until the history was read. */
  min?: MetricValue;
  max?: MetricValue;
  /** Points logged. */
  count?: number;
  /** False while min/max/count come from a sample of a long history. */
  exact: boolean;
  /** Up to ~100 values for a sparkline, in step order. */
  spark?: MetricValue[];
}

export type ArtifactKind = 'dir' | 'model' | 'image' | 'file';

export interface ArtifactEntry {
  /** Run-relative path. */
  path: string;
  kind: ArtifactKind;
  size?: number;
  depth: number;
}

export interface ArtifactsListing {
  entries: ArtifactEntry[];
  /** More files exist than were listed. */
  truncated: boolean;
  error?: string;
}

export interface DetailsData {
  run: RunSummary;
  artifactUri: string;
  parentName?: string;
  params: KeyValue[];
  tags: KeyValue[];
  note: string;
  metrics: MetricStats[];
  artifacts: ArtifactsListing;
  /** Child runs (a sweep's trials), counted up to a limit. */
  childCount: number;
}

export interface ChartsData {
  runs: RunRecord[];
  metricKeys: string[];
  /** Runs asked for that could not be loaded (deleted for good, another server). */
  missing: string[];
}

export interface CompareData {
  runs: RunRecord[];
  metricKeys: string[];
  missing: string[];
}

export interface SweepData {
  parent: RunRecord;
  children: RunRecord[];
  metricKeys: string[];
  /** More children exist than were loaded. */
  truncated: boolean;
}

export interface PanelDataMap {
  details: DetailsData;
  charts: ChartsData;
  compare: CompareData;
  sweep: SweepData;
}

export type PanelData = { [K in PanelKind]: { kind: K; data: PanelDataMap[K] } }[PanelKind];

/**
 * A column of numbers. The host sends Float64Arrays: VS Code passes typed arrays to webviews as binary
 * buffers (no JSON, no per-number cloning), and NaN and the infinities need no encoding. Plain arrays are
 * accepted too (tests, other hosts).
 */
export type NumberColumn = Float64Array | number[];

/** One run's history of one metric, column by column, in step order. */
export interface SeriesPayload {
  runId: string;
  steps: NumberColumn;
  timestamps: NumberColumn;
  /** Values as logged: NaN and ±Infinity included. */
  values: NumberColumn;
  /** The server may have left points out (it returned as many as it was allowed to). */
  sampled: boolean;
}

export interface StepRange {
  start: number;
  end: number;
}

/** Most points per run and request the server samples to (MLflow's get-history-bulk-interval limit). */
export const MAX_SAMPLED_POINTS = 2500;

export type PanelStatus =
  | { state: 'ok' }
  | { state: 'loading'; message?: string }
  /** No tracking server yet (starting, failed, restarting). */
  | { state: 'offline'; message: string }
  | { state: 'error'; message: string };

/** Inlined into the page with the CSP nonce: the first paint needs no round trip. */
export interface Bootstrap {
  protocol: typeof PROTOCOL_VERSION;
  kind: PanelKind;
  args: PanelArgs['args'];
  /** UI state from the serializer (after a reload); the webview's own getState() wins when present. */
  ui?: unknown;
  data?: { version: number; payload: PanelData };
  status: PanelStatus;
}

// ------------------------------------------------------------ messages

export type HostMessage =
  | { type: 'data'; version: number; payload: PanelData }
  | { type: 'status'; status: PanelStatus }
  /** Answer to requestSeries. */
  | { type: 'series'; requestId: number; key: string; range?: StepRange; full: boolean; series: SeriesPayload[]; error?: string }
  /** New points of a live run, after what the webview was sent. */
  | { type: 'append'; key: string; series: SeriesPayload[] }
  /** Answer to requestArtifact: an image as a data: URL. */
  | { type: 'artifact'; requestId: number; runId: string; path: string; dataUrl?: string; error?: string }
  /** Answer to a request that only succeeds or fails. */
  | { type: 'result'; requestId: number; ok: boolean; error?: string };

export type WebviewMessage =
  | { type: 'ready'; version?: number }
  /** History of `key` for runs: sampled by the server, in a step range when zoomed, or every point (`full`, for CSV). */
  | { type: 'requestSeries'; requestId: number; key: string; runIds: string[]; range?: StepRange; full?: boolean }
  | { type: 'requestArtifact'; requestId: number; runId: string; path: string }
  | { type: 'openArtifact'; runId: string; path: string }
  | { type: 'saveNote'; requestId: number; runId: string; content: string }
  | { type: 'openRun'; runId: string }
  | { type: 'openCharts'; runIds: string[]; metricKeys: string[] }
  | { type: 'compareRuns'; runIds: string[] }
  | { type: 'openSweep'; runId: string }
  | { type: 'registerBestModel'; requestId: number; parentRunId: string; runId: string; metric: string; direction: Direction }
  | { type: 'saveFile'; requestId: number; fileName: string; format: 'png' | 'csv'; content: string }
  | { type: 'copy'; text: string }
  | { type: 'refresh' }
  | { type: 'log'; level: 'error' | 'warn' | 'info'; message: string };

export type WebviewMessageType = WebviewMessage['type'];

// ------------------------------------------------------------ values

export function encodeMetricValue(value: number): MetricValue {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

export function decodeMetricValue(value: MetricValue | undefined): number {
  if (value === undefined) return NaN;
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return NaN;
}

// ------------------------------------------------------------ guards (everything from the other side is untrusted)

type Json = Record<string, unknown>;

const MAX_ID = 64;
const MAX_KEY = 1000;
const MAX_PATH = 4096;
/** PNG data URLs and CSV texts: generous, but bounded. */
export const MAX_FILE_CONTENT = 256 * 1024 * 1024;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

/** MLflow run ids are hex uuids; other servers use other word-like ids. */
export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID && /^[\w-]+$/.test(value);
}

function isRunIds(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= MAX_PANEL_RUNS && value.every(isRunId);
}

function isKeys(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= 10_000 && value.every((key) => isString(key, MAX_KEY));
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isStepRange(value: unknown): value is StepRange {
  return isObject(value) && Number.isSafeInteger(value.start) && Number.isSafeInteger(value.end) && (value.start as number) <= (value.end as number);
}

function isOptional<T>(value: unknown, guard: (v: unknown) => v is T): boolean {
  return value === undefined || guard(value);
}

/** A relative artifact path without `..` segments. */
export function isArtifactPath(value: unknown): value is string {
  return isString(value, MAX_PATH) && value !== '' && !value.split('/').some((segment) => segment === '..') && !value.includes('\\') && !value.startsWith('/');
}

const MESSAGE_GUARDS: { [K in WebviewMessageType]: (m: Json) => boolean } = {
  ready: (m) => m.version === undefined || Number.isSafeInteger(m.version),
  requestSeries: (m) => isRequestId(m.requestId) && isString(m.key, MAX_KEY) && isRunIds(m.runIds) && isOptional(m.range, isStepRange) && (m.full === undefined || typeof m.full === 'boolean'),
  requestArtifact: (m) => isRequestId(m.requestId) && isRunId(m.runId) && isArtifactPath(m.path),
  openArtifact: (m) => isRunId(m.runId) && isArtifactPath(m.path),
  saveNote: (m) => isRequestId(m.requestId) && isRunId(m.runId) && isString(m.content, 5_000_000),
  openRun: (m) => isRunId(m.runId),
  openCharts: (m) => isRunIds(m.runIds) && (m.runIds as string[]).length > 0 && isKeys(m.metricKeys),
  compareRuns: (m) => isRunIds(m.runIds) && (m.runIds as string[]).length > 0,
  openSweep: (m) => isRunId(m.runId),
  registerBestModel: (m) => isRequestId(m.requestId) && isRunId(m.parentRunId) && isRunId(m.runId) && isString(m.metric, MAX_KEY) && (m.direction === 'min' || m.direction === 'max'),
  saveFile: (m) =>
    isRequestId(m.requestId) &&
    isString(m.fileName, 255) &&
    /^[^/\\:*?"<>|]+$/.test(m.fileName as string) &&
    (m.format === 'png' || m.format === 'csv') &&
    isString(m.content, MAX_FILE_CONTENT),
  copy: (m) => isString(m.text, 100_000),
  refresh: () => true,
  log: (m) => (m.level === 'error' || m.level === 'warn' || m.level === 'info') && isString(m.message, 10_000),
};

/** True when `value` is a well-formed message of the webview (the host drops anything else). */
export function isWebviewMessage(value: unknown): value is WebviewMessage {
  if (!isObject(value) || typeof value.type !== 'string' || !Object.hasOwn(MESSAGE_GUARDS, value.type)) return false;
  return MESSAGE_GUARDS[value.type as WebviewMessageType](value);
}

const HOST_TYPES = new Set<HostMessage['type']>(['data', 'status', 'series', 'append', 'artifact', 'result']);

/** A light check of what the host sends (the host is trusted; this keeps stray messages out). */
export function isHostMessage(value: unknown): value is HostMessage {
  return isObject(value) && typeof value.type === 'string' && HOST_TYPES.has(value.type as HostMessage['type']);
}

const PANEL_KINDS = new Set<PanelKind>(['details', 'charts', 'compare', 'sweep']);

export function isPanelKind(value: unknown): value is PanelKind {
  return typeof value === 'string' && PANEL_KINDS.has(value as PanelKind);
}

/** The panel arguments of `kind` when `value` holds valid ones (from the serializer or a command). */
export function parsePanelArgs(kind: PanelKind, value: unknown): PanelArgs | undefined {
  if (!isObject(value)) return undefined;
  switch (kind) {
    case 'details':
      return isRunId(value.runId) ? { kind, args: { runId: value.runId } } : undefined;
    case 'charts':
      if (!isRunIds(value.runIds) || value.runIds.length === 0) return undefined;
      return { kind, args: { runIds: [...new Set(value.runIds)], metricKeys: isKeys(value.metricKeys) ? value.metricKeys : [] } };
    case 'compare':
      return isRunIds(value.runIds) && value.runIds.length > 0 ? { kind, args: { runIds: [...new Set(value.runIds)] } } : undefined;
    case 'sweep':
      return isRunId(value.parentRunId) ? { kind, args: { parentRunId: value.parentRunId } } : undefined;
  }
}

/**
 * The state a serializer receives, checked: the panel kind must match the view type being revived and its
 * arguments must be valid. The UI part is passed on as is (the webview validates its own choices).
 */
export function parsePersistedState(kind: PanelKind, value: unknown): { args: PanelArgs; ui?: unknown } | undefined {
  if (!isObject(value) || value.v !== PROTOCOL_VERSION || value.kind !== kind) return undefined;
  const args = parsePanelArgs(kind, value.args);
  if (!args) return undefined;
  return isObject(value.ui) ? { args, ui: value.ui } : { args };
}

/** A stable identity of what a panel shows: one panel per identity (run order does not matter). */
export function panelIdentity(panel: PanelArgs): string {
  switch (panel.kind) {
    case 'details':
      return `details:${panel.args.runId}`;
    case 'charts':
      return `charts:${[...panel.args.runIds].sort().join(',')}`;
    case 'compare':
      return `compare:${[...panel.args.runIds].sort().join(',')}`;
    case 'sweep':
      return `sweep:${panel.args.parentRunId}`;
  }
}

/** The bootstrap JSON made safe to inline in a `<script type="application/json">` element. */
export function serializeBootstrap(bootstrap: Bootstrap): string {
  return JSON.stringify(bootstrap).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
