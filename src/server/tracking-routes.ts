import { LAUNCH_TAG } from '../api/launch';
import { ROUTES } from '../api/routes';
import type { ArtifactStore } from '../store/artifacts';
import { RUN_STATUSES, type DatasetInput, type KeyValue, type LoggedMetric, type Metric, type RunStatus, type ViewType } from '../store/entities';
import { invalidParameter } from '../store/errors';
import type { TrackingStore } from '../store/tracking-store';
import { Fields } from './fields';
import { once } from 'node:events';
import { sendJson, toJson } from './http';
import { jsonRoutes } from './json-routes';
import type { RequestContext, Router } from './router';

const VIEW_TYPES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];
const VIEW_TYPE_NUMBERS: Record<number, ViewType> = { 1: 'ACTIVE_ONLY', 2: 'DELETED_ONLY', 3: 'ALL' };
const RUN_STATUS_NUMBERS: Record<number, RunStatus> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };
/** Page size used when a history request sets no max_results: the reply streams page by page. */
const HISTORY_STREAM_PAGE = 10000;

/** Called after every successful write, so the host can tell its views what changed. */
export type ChangeListener = (change: { kind: 'experiment' | 'run' | 'model'; id: string }) => void;

/** The tracking service: experiments, runs, logging, search and metric history. */
export function addTrackingRoutes(router: Router, store: TrackingStore, artifacts: ArtifactStore, onChange: ChangeListener = () => {}): void {
  const on = jsonRoutes(router);
  const changed = (kind: 'experiment' | 'run', id: string) => onChange({ kind, id });
  const runId = (f: Fields) => f.oneOf(['run_id', 'run_uuid']);
  const experimentId = (f: Fields) => f.string('experiment_id', { required: true });

  // ------------------------------------------------------------ experiments
  const E = ROUTES.experiments;
  on('POST', E.create, (f) => {
    const id = store.createExperiment(f.string('name', { required: true }), f.string('artifact_location'), readKeyValues(f, 'tags'));
    changed('experiment', id);
    return { experiment_id: id };
  });
  on('GET', E.get, (f) => ({ experiment: store.getExperiment(experimentId(f)) }));
  on('GET', E.getByName, (f) => ({ experiment: store.getExperimentByName(f.string('experiment_name', { required: true })) }));
  const searchExperiments = (f: Fields) => {
    const page = store.searchExperiments({
      viewType: f.enumValue('view_type', VIEW_TYPES, VIEW_TYPE_NUMBERS),
      filter: f.string('filter'),
      orderBy: f.strings('order_by'),
      maxResults: f.integer('max_results'),
      pageToken: f.string('page_token'),
    });
    return withToken({ experiments: page.items }, page.next_page_token);
  };
  on('POST', E.search, searchExperiments);
  on('GET', E.search, searchExperiments);
  on('POST', E.delete, (f) => {
    store.deleteExperiment(experimentId(f));
    changed('experiment', experimentId(f));
    return {};
  });
  on('POST', E.restore, (f) => {
    store.restoreExperiment(experimentId(f));
    changed('experiment', experimentId(f));
    return {};
  });
  on('POST', E.update, (f) => {
    const newName = f.string('new_name');
    if (newName !== undefined) store.renameExperiment(experimentId(f), newName);
    changed('experiment', experimentId(f));
    return {};
  });
  on('POST', E.setTag, (f) => {
    store.setExperimentTag(experimentId(f), { key: f.string('key', { required: true }), value: f.string('value') ?? '' });
    changed('experiment', experimentId(f));
    return {};
  });
  on('POST', E.deleteTag, (f) => {
    store.deleteExperimentTag(experimentId(f), f.string('key', { required: true }));
    changed('experiment', experimentId(f));
    return {};
  });

  // ------------------------------------------------------------ runs
  const R = ROUTES.runs;
  on('POST', R.create, (f, ctx) => {
    const tags = readKeyValues(f, 'tags');
    if (ctx.launchId !== undefined && !tags.some((tag) => tag.key === LAUNCH_TAG)) tags.push({ key: LAUNCH_TAG, value: ctx.launchId });
    const run = store.createRun({
      experiment_id: f.string('experiment_id'),
      user_id: f.string('user_id'),
      run_name: f.string('run_name'),
      start_time: f.integer('start_time'),
      tags,
    });
    changed('run', run.info.run_id);
    return { run };
  });
  on('GET', R.get, (f) => ({ run: store.getRun(runId(f)) }));
  on('POST', R.update, (f) => {
    const id = runId(f);
    const runInfo = store.updateRun(id, {
      status: f.enumValue('status', RUN_STATUSES, RUN_STATUS_NUMBERS),
      end_time: f.integer('end_time'),
      run_name: f.string('run_name'),
    });
    changed('run', id);
    return { run_info: runInfo };
  });
  on('POST', R.delete, (f) => {
    store.deleteRun(runId(f));
    changed('run', runId(f));
    return {};
  });
  on('POST', R.restore, (f) => {
    store.restoreRun(runId(f));
    changed('run', runId(f));
    return {};
  });
  on('POST', R.search, (f) => {
    const page = store.searchRuns({
      experimentIds: f.strings('experiment_ids'),
      filter: f.string('filter'),
      viewType: f.enumValue('run_view_type', VIEW_TYPES, VIEW_TYPE_NUMBERS),
      maxResults: f.integer('max_results'),
      orderBy: f.strings('order_by'),
      pageToken: f.string('page_token'),
    });
    return withToken({ runs: page.items }, page.next_page_token);
  });
  on('POST', R.logMetric, (f) => {
    const id = runId(f);
    store.logMetric(id, readMetric(f));
    changed('run', id);
    return {};
  });
  on('POST', R.logParam, (f) => {
    const id = runId(f);
    store.logParam(id, { key: f.string('key', { required: true }), value: f.string('value') ?? '' });
    changed('run', id);
    return {};
  });
  on('POST', R.setTag, (f) => {
    const id = runId(f);
    store.setTag(id, { key: f.string('key', { required: true }), value: f.string('value') ?? '' });
    changed('run', id);
    return {};
  });
  on('POST', R.deleteTag, (f) => {
    const id = runId(f);
    store.deleteTag(id, f.string('key', { required: true }));
    changed('run', id);
    return {};
  });
  on('POST', R.logBatch, (f) => {
    const id = runId(f);
    store.logBatch(id, {
      metrics: f.messages('metrics').map(readMetric),
      params: readKeyValues(f, 'params'),
      tags: readKeyValues(f, 'tags'),
    });
    changed('run', id);
    return {};
  });
  on('POST', R.logInputs, (f) => {
    const id = runId(f);
    const datasets: DatasetInput[] = f.messages('datasets').map((input) => {
      const d = input.message('dataset');
      const dataset: DatasetInput['dataset'] = {
        name: d.string('name', { required: true }),
        digest: d.string('digest', { required: true }),
        source_type: d.string('source_type', { required: true }),
        source: d.string('source') ?? '',
      };
      const schema = d.string('schema');
      const profile = d.string('profile');
      if (schema !== undefined) dataset.schema = schema;
      if (profile !== undefined) dataset.profile = profile;
      return { tags: readKeyValues(input, 'tags'), dataset };
    });
    const models = f.messages('models').map((m) => ({ model_id: m.string('model_id', { required: true }) }));
    store.logInputs(id, datasets, models);
    changed('run', id);
    return {};
  });
  on('POST', R.logOutputs, (f) => {
    const id = runId(f);
    const models = f.messages('models').map((m) => ({ model_id: m.string('model_id', { required: true }), step: m.integer('step') ?? 0 }));
    store.logOutputs(id, models);
    changed('run', id);
    return {};
  });

  // ------------------------------------------------------------ metric history
  const M = ROUTES.metrics;
  on('GET', M.history, async (f, ctx) => {
    const id = runId(f);
    const key = f.string('metric_key', { required: true });
    const maxResults = f.integer('max_results');
    if (maxResults !== undefined && maxResults < 0) throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied.`);
    if (maxResults) {
      const page = store.history.page(id, key, maxResults, f.string('page_token'));
      return withToken({ metrics: page.points }, page.next_page_token);
    }
    await streamWholeHistory(ctx, (token) => store.history.page(id, key, HISTORY_STREAM_PAGE, token), f.string('page_token'));
    return undefined;
  });
  on('GET', M.historyBulkInterval, (f) => {
    const start = f.integer('start_step');
    const end = f.integer('end_step');
    if ((start === undefined) !== (end === undefined)) {
      throw invalidParameter('If either start step or end step are specified, both must be specified.');
    }
    const range = start !== undefined && end !== undefined ? { start, end } : undefined;
    return { metrics: store.history.sampled(f.strings('run_ids'), f.string('metric_key', { required: true }), f.integer('max_results'), range) };
  });

  // ------------------------------------------------------------ run artifacts as the UI lists them
  on('GET', ROUTES.artifacts.listRun, async (f) => {
    const run = store.getRun(runId(f));
    const root = run.info.artifact_uri;
    const path = f.string('path') ?? '';
    const storagePath = proxiedStoragePath(root);
    if (storagePath === undefined) return { root_uri: root, files: [] };
    const prefix = path ? `${path.replace(/\/+$/, '')}/` : '';
    const files = await artifacts.list(storagePath + (path ? `/${path}` : ''));
    return { root_uri: root, files: files.map((file) => ({ ...file, path: prefix + file.path })) };
  });
}

/** `mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`; undefined for roots the server does not hold. */
export function proxiedStoragePath(uri: string): string | undefined {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(uri);
  return match ? match[1]!.replace(/\/+$/, '') : undefined;
}

function readMetric(f: Fields): LoggedMetric {
  const key = f.string('key', { required: true });
  const value = f.double('value', { required: true });
  const timestamp = f.integer('timestamp', { required: true });
  if (timestamp < 0) {
    throw invalidParameter(`Invalid value ${timestamp} for parameter 'timestamp' supplied: metric '${key}'. Timestamp must be a nonnegative long (64-bit integer).`);
  }
  const metric: LoggedMetric = { key, value, timestamp, step: f.integer('step') ?? 0 };
  const modelId = f.string('model_id');
  if (modelId) {
    metric.model_id = modelId;
    const datasetName = f.string('dataset_name');
    const datasetDigest = f.string('dataset_digest');
    if (datasetName) metric.dataset_name = datasetName;
    if (datasetDigest) metric.dataset_digest = datasetDigest;
  }
  return metric;
}

export function readKeyValues(f: Fields, name: string): KeyValue[] {
  return f.messages(name).map((item) => ({ key: item.string('key', { required: true }), value: item.string('value') ?? '' }));
}

export function withToken<T extends object>(body: T, token: string | undefined): T & { next_page_token?: string } {
  return token ? { ...body, next_page_token: token } : body;
}

/**
 * Writes `{"metrics":[...]}` page by page, waiting for the socket to drain between pages, so a history
 * of millions of points never sits in memory.
 */
async function streamWholeHistory(
  ctx: RequestContext,
  readPage: (token?: string) => { points: Metric[]; next_page_token?: string },
  firstToken?: string,
): Promise<void> {
  // Read the first page before writing anything, so a bad token still gets a clean 400.
  let page = readPage(firstToken);
  const { res } = ctx;
  if (!page.next_page_token) {
    sendJson(res, 200, { metrics: page.points });
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write('{"metrics":[');
  for (let first = true; ; first = false) {
    const chunk = toJson(page.points).slice(1, -1);
    if (!res.write(first || chunk === '' ? chunk : `,${chunk}`)) await once(res, 'drain');
    if (!page.next_page_token) break;
    page = readPage(page.next_page_token);
  }
  res.end(']}');
}
