/**
 * What the panels read from the tracking server, shaped for the webview: runs as records, experiment
 * names, children of a sweep, metric histories (sampled, ranged or whole), artifact listings and image
 * previews. Only the typed client is used; everything is async.
 */
import type { FileInfo } from '../../api/wire';
import { MlflowApiError, type Metric, type MlflowClient, type Run } from '../../client/mlflow-client';
import {
  encodeMetricValue,
  MAX_SAMPLED_POINTS,
  type ArtifactEntry,
  type ArtifactsListing,
  type MetricValue,
  type RunRecord,
  type RunStatusName,
  type RunSummary,
  type SeriesPayload,
  type StepRange,
} from '../../webview/protocol';
import { proxiedFilePath } from '../artifact-paths';

export const NOTE_TAG = 'mlflow.note.content';
export const PARENT_TAG = 'mlflow.parentRunId';
/** The server takes at most this many run ids per sampled-history request. */
const RUNS_PER_REQUEST = 100;
/** "Every point" (CSV export) stops here: beyond, the user gets an error, not a frozen window. */
export const MAX_FULL_POINTS = 5_000_000;
const MAX_ARTIFACT_ENTRIES = 400;
const MAX_ARTIFACT_DEPTH = 4;
const MAX_PREVIEW_BYTES = 8 * 1024 * 1024;

export const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
};

export function tagOf(run: Run, key: string): string | undefined {
  return run.data.tags.find((tag) => tag.key === key)?.value;
}

export function imageType(path: string): string | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return extension ? IMAGE_TYPES[extension] : undefined;
}

export function runSummary(run: Run, experimentName: string): RunSummary {
  const { info } = run;
  const summary: RunSummary = {
    runId: info.run_id,
    name: info.run_name || tagOf(run, 'mlflow.runName') || '',
    experimentId: info.experiment_id,
    experimentName,
    status: info.status as RunStatusName,
    lifecycleStage: info.lifecycle_stage,
  };
  if (info.start_time) summary.startTime = Number(info.start_time);
  if (info.end_time) summary.endTime = Number(info.end_time);
  if (info.user_id) summary.userId = info.user_id;
  const parent = tagOf(run, PARENT_TAG);
  if (parent) summary.parentRunId = parent;
  return summary;
}

export function runRecord(run: Run, experimentName: string): RunRecord {
  const metrics: Record<string, MetricValue> = {};
  for (const metric of run.data.metrics) metrics[metric.key] = encodeMetricValue(metric.value);
  const params: Record<string, string> = {};
  for (const param of run.data.params) params[param.key] = param.value;
  const tags: Record<string, string> = {};
  for (const tag of run.data.tags) if (!tag.key.startsWith('mlflow.')) tags[tag.key] = tag.value;
  return { ...runSummary(run, experimentName), params, metrics, tags };
}

/** Metric keys of runs: model metrics by name, then MLflow's system metrics. */
export function metricKeysOf(runs: readonly Run[]): string[] {
  const keys = new Set<string>();
  for (const run of runs) for (const metric of run.data.metrics) keys.add(metric.key);
  const sorted = [...keys].sort((a, b) => a.localeCompare(b));
  return [...sorted.filter((k) => !k.startsWith('system/')), ...sorted.filter((k) => k.startsWith('system/'))];
}

/** Runs by id, in the order asked; ids that fail to load are reported apart. */
export async function getRuns(client: MlflowClient, runIds: readonly string[]): Promise<{ runs: Run[]; missing: string[] }> {
  const results = await mapLimit(runIds, 8, async (runId) => {
    try {
      return await client.getRun(runId);
    } catch {
      return undefined;
    }
  });
  const runs: Run[] = [];
  const missing: string[] = [];
  results.forEach((run, i) => (run ? runs.push(run) : missing.push(runIds[i]!)));
  if (runs.length === 0 && runIds.length > 0) {
    // Nothing loaded: let the caller report the real reason (server down, auth...).
    await client.getRun(runIds[0]!);
  }
  return { runs, missing };
}

/** Children of a run (a sweep's trials), up to `max`. */
export async function childRuns(client: MlflowClient, parent: Run, max = 5000): Promise<{ runs: Run[]; truncated: boolean }> {
  const runs: Run[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.searchRuns({
      experimentIds: [parent.info.experiment_id],
      filter: `tags.mlflow.parentRunId = '${parent.info.run_id}'`,
      orderBy: ['attributes.start_time ASC'],
      viewType: 'ACTIVE_ONLY',
      maxResults: Math.min(1000, max - runs.length),
      pageToken,
    });
    runs.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken && runs.length < max);
  return { runs, truncated: pageToken !== undefined };
}

/** Experiment names, asked once per id (cleared when the client changes). */
export class ExperimentNames {
  private readonly names = new Map<string, Promise<string>>();

  async of(client: MlflowClient, experimentId: string): Promise<string> {
    let name = this.names.get(experimentId);
    if (!name) {
      name = client.getExperiment(experimentId).then(
        (experiment) => experiment.name,
        () => {
          this.names.delete(experimentId);
          return experimentId;
        },
      );
      this.names.set(experimentId, name);
    }
    return name;
  }

  clear(): void {
    this.names.clear();
  }
}

// ------------------------------------------------------------ metric histories

/** Columns as Float64Arrays: VS Code sends typed arrays to the webview as binary, NaN and ±Infinity included. */
export function toPayload(runId: string, points: readonly Metric[], sampled: boolean): SeriesPayload {
  const steps = new Float64Array(points.length);
  const timestamps = new Float64Array(points.length);
  const values = new Float64Array(points.length);
  points.forEach((point, i) => {
    steps[i] = point.step;
    timestamps[i] = point.timestamp;
    values[i] = point.value;
  });
  return { runId, steps, timestamps, values, sampled };
}

/**
 * Up to MAX_SAMPLED_POINTS points per run, sampled by the server over the whole history or a step range.
 * A run whose answer is full may have been sampled.
 */
export async function sampledSeries(client: MlflowClient, runIds: readonly string[], key: string, range?: StepRange): Promise<SeriesPayload[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < runIds.length; i += RUNS_PER_REQUEST) chunks.push(runIds.slice(i, i + RUNS_PER_REQUEST));
  let answers: Metric[][];
  try {
    answers = await Promise.all(
      chunks.map((chunk) =>
        client.sampledMetricHistory(chunk, key, { maxResults: MAX_SAMPLED_POINTS, ...(range ? { startStep: range.start, endStep: range.end } : {}) }),
      ),
    );
  } catch (error) {
    if (!isMissingEndpoint(error)) throw error;
    return strideSeries(client, runIds, key, range);
  }
  const byRun = new Map<string, Metric[]>();
  for (const runId of runIds) byRun.set(runId, []);
  for (const answer of answers) for (const point of answer) if (point.run_id !== undefined) byRun.get(point.run_id)?.push(point);
  return [...byRun].map(([runId, points]) => toPayload(runId, points, points.length >= MAX_SAMPLED_POINTS));
}

/** An MLflow server older than get-history-bulk-interval: read whole histories, keep every n-th point. */
async function strideSeries(client: MlflowClient, runIds: readonly string[], key: string, range?: StepRange): Promise<SeriesPayload[]> {
  const out: SeriesPayload[] = [];
  for (const runId of runIds) {
    let points: Metric[] = [];
    for await (const page of client.metricHistory(runId, key)) points.push(...(range ? page.filter((p) => p.step >= range.start && p.step <= range.end) : page));
    points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    const sampled = points.length > MAX_SAMPLED_POINTS;
    if (sampled) {
      const every = points.length / MAX_SAMPLED_POINTS;
      const kept = Array.from({ length: MAX_SAMPLED_POINTS - 1 }, (_, i) => points[Math.floor(i * every)]!);
      kept.push(points[points.length - 1]!);
      points = kept;
    }
    out.push(toPayload(runId, points, sampled));
  }
  return out;
}

function isMissingEndpoint(error: unknown): boolean {
  return error instanceof MlflowApiError && (error.code === 'ENDPOINT_NOT_FOUND' || (error.status === 404 && error.code !== 'RESOURCE_DOES_NOT_EXIST'));
}

/** Every point of each run's history (CSV export), page by page, up to MAX_FULL_POINTS in all. */
export async function fullSeries(client: MlflowClient, runIds: readonly string[], key: string): Promise<SeriesPayload[]> {
  let total = 0;
  const out: SeriesPayload[] = [];
  for (const runId of runIds) {
    const points: Metric[] = [];
    for await (const page of client.metricHistory(runId, key)) {
      points.push(...page);
      total += page.length;
      if (total > MAX_FULL_POINTS) throw new Error(`${key} has more than ${MAX_FULL_POINTS.toLocaleString()} points over these runs; export fewer runs at a time.`);
    }
    points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    out.push(toPayload(runId, points, false));
  }
  return out;
}

// ------------------------------------------------------------ artifacts

/**
 * The run's artifacts breadth-first (folders before files, by name), up to a few hundred entries and a few
 * levels: enough for the details panel; the Experiments view browses the rest.
 */
export async function listArtifactsTree(client: MlflowClient, runId: string, modelFolders: ReadonlySet<string>): Promise<ArtifactsListing> {
  const entries: ArtifactEntry[] = [];
  let truncated = false;
  const children = new Map<string, ArtifactEntry[]>();
  let level: string[] = [''];
  for (let depth = 0; depth < MAX_ARTIFACT_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    const listings = await mapLimit(level, 6, async (path) => ({ path, files: await client.listArtifacts(runId, path === '' ? undefined : path) }));
    for (const { path, files } of listings) {
      const sorted = [...files]
        .map((file: FileInfo) => ({ ...file, path: file.path.replace(/^\/+|\/+$/g, '') }))
        .sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
      const list: ArtifactEntry[] = [];
      for (const file of sorted) {
        if (entries.length + list.length >= MAX_ARTIFACT_ENTRIES) {
          truncated = true;
          break;
        }
        const size = file.file_size === undefined ? undefined : Number(file.file_size);
        const isModel = file.is_dir && (modelFolders.has(file.path) || false);
        const entry: ArtifactEntry = { path: file.path, kind: file.is_dir ? (isModel ? 'model' : 'dir') : imageType(file.path) ? 'image' : 'file', depth };
        if (size !== undefined && Number.isFinite(size)) entry.size = size;
        list.push(entry);
        if (file.is_dir) next.push(file.path);
      }
      children.set(path, list);
      entries.push(...list);
      // A folder holding an MLmodel file is a model.
      if (path !== '' && sorted.some((f) => !f.is_dir && /(^|\/)MLmodel$/.test(f.path))) {
        const folder = entries.find((e) => e.path === path);
        if (folder) folder.kind = 'model';
      }
    }
    if (depth === MAX_ARTIFACT_DEPTH - 1 && next.length > 0) truncated = true;
    level = next;
  }
  // Depth-first order for display: each folder followed by its contents.
  const ordered: ArtifactEntry[] = [];
  const walk = (path: string) => {
    for (const entry of children.get(path) ?? []) {
      ordered.push(entry);
      if (entry.kind === 'dir' || entry.kind === 'model') walk(entry.path);
    }
  };
  walk('');
  return { entries: ordered, truncated };
}

/** An image artifact as a data: URL (the webview's CSP allows data: images, nothing remote). */
export async function artifactDataUrl(client: MlflowClient, artifactUri: string, path: string, size?: number): Promise<string> {
  const mime = imageType(path);
  if (!mime) throw new Error('Only images are previewed.');
  if (size !== undefined && size > MAX_PREVIEW_BYTES) throw new Error(`Too large to preview (${Math.round(size / 1024 / 1024)} MB); open it instead.`);
  const storagePath = proxiedFilePath(artifactUri, path);
  if (storagePath === undefined) throw new Error('This run keeps its artifacts outside the tracking server; open them with that storage’s tools.');
  const bytes = await client.downloadProxiedArtifact(storagePath);
  if (bytes.byteLength > MAX_PREVIEW_BYTES) throw new Error('Too large to preview; open it instead.');
  return `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
}

// ------------------------------------------------------------ small helpers

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** About `count` values spread over a series (a sparkline): the average of equal buckets. */
export function sparkline(values: readonly number[], count = 100): MetricValue[] {
  if (values.length <= count) return values.map(encodeMetricValue);
  const out: MetricValue[] = [];
  const size = values.length / count;
  for (let b = 0; b < count; b++) {
    const from = Math.floor(b * size);
    const to = Math.max(from + 1, Math.floor((b + 1) * size));
    let sum = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      const v = values[i]!;
      if (Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    out.push(n === 0 ? 'NaN' : sum / n);
  }
  return out;
}
