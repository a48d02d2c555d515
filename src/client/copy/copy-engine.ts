import { ROUTES } from '../../api/routes';
import type { Experiment, KeyValue, ModelVersion, RegisteredModel, RunInfo, Stage, WireDouble } from '../../api/wire';
import { MlflowApiError, type Metric, type MlflowClient, type Page, type Run } from '../mlflow-client';
import { destinationWriter, listTree, loggedModelArtifactReader, runArtifactReader, type ArtifactReader } from './artifact-trees';
import { COMPLETE_TAG, FILLER_VERSION_TAG, PARENT_RUN_TAG, SOURCE_MODEL_TAG, SOURCE_RUN_TAG, SOURCE_VERSION_TAG, isCopyTag, tagValue } from './copy-tags';
import { emptySummary, type CopySummary } from './copy-summary';

/**
 * Copies experiments, runs, logged models and the model registry from one MLflow server to another through
 * their REST APIs (src/client only: Runboard's server, `mlflow server` on any store, a team's server).
 *
 * Idempotent and resumable: the destination's copies carry the source ids (copy-tags.ts), a run is marked
 * complete last, and an unfinished run is completed by comparing what is there (params and tags by key, metric
 * points as a multiset, dataset inputs, artifact files by path and size), so nothing arrives twice. A complete
 * run's tags are compared again on every copy: a note or a tag set after the run ended follows.
 *
 * What is kept: names, tags, descriptions; runs' start and end times, status, user, name, params, full metric
 * histories, dataset inputs, artifacts, parent links (`mlflow.parentRunId` remapped); logged models (MLflow 3)
 * with params, tags, metrics and artifacts, linked as the run's outputs; registered models with tags, descriptions,
 * versions in order (their source pointed at the copied run's artifacts or logged model), stages, version tags
 * and aliases. Deleted runs arrive deleted. Deleted experiments are not copied (they are in MLflow's trash).
 * Ids, artifact locations and timestamps the server sets itself (creation and update times) differ.
 */
export interface CopyOptions {
  /** Experiment names to copy (all active experiments when absent); models then only from their runs. */
  readonly experiments?: readonly string[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: CopyProgress) => void;
}

export interface CopyProgress {
  /** Runs and model versions handled so far, of `total` (known once the source is listed). */
  readonly done: number;
  readonly total: number;
  readonly message: string;
  readonly summary: Readonly<CopySummary>;
}

/** The copy stopped at the signal; what arrived so far is in `summary`, and the same copy again resumes it. */
export class CopyCancelledError extends Error {
  constructor(readonly summary: CopySummary) {
    super('The copy was cancelled. What was copied stays; running the same copy again resumes it.');
    this.name = 'CopyCancelledError';
  }
}

/** A metric of a logged model as the REST API has it (the value as on the wire: NaN and infinities as strings). */
interface LoggedModelMetric {
  key: string;
  value: WireDouble;
  timestamp: number;
  step?: number;
  run_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

interface LoggedModel {
  info: { model_id: string; experiment_id: string; name: string; artifact_uri?: string; status?: string; model_type?: string; source_run_id?: string; tags?: KeyValue[]; params?: KeyValue[] };
  data?: { params?: KeyValue[]; metrics?: LoggedModelMetric[] };
}

const BATCH = { metrics: 1000, params: 100, tags: 100 };
/** At most this many numbers are skipped to keep one version's number (a source with thousands deleted). */
const MAX_FILLER_VERSIONS = 1000;
const RUN_PAGE = 1000;

export async function copyBetweenServers(from: MlflowClient, to: MlflowClient, options: CopyOptions = {}): Promise<CopySummary> {
  const copier = new Copier(from, to, options);
  try {
    return await copier.copy();
  } catch (error) {
    if (options.signal?.aborted) throw new CopyCancelledError(copier.summary);
    throw error;
  }
}

async function collect<T>(page: (token?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const next = await page(token);
    items.push(...next.items);
    token = next.nextPageToken;
  } while (token);
  return items;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A filter literal for MLflow's search grammar. */
function quoted(value: string): string {
  return value.includes("'") && !value.includes('"') ? `"${value}"` : `'${value.replace(/'/g, "\\'")}'`;
}

/** Parents before their nested runs, so each copy can name its parent's copy. */
export function parentsFirst(runs: readonly Run[]): Run[] {
  const byId = new Map(runs.map((run) => [run.info.run_id, run]));
  const depth = (run: Run, seen = new Set<string>()): number => {
    const parent = tagValue(run.data.tags, PARENT_RUN_TAG);
    if (!parent || !byId.has(parent) || seen.has(parent)) return 0;
    seen.add(parent);
    return 1 + depth(byId.get(parent)!, seen);
  };
  return runs.map((run, index) => ({ run, index, depth: depth(run) })).sort((a, b) => a.depth - b.depth || a.index - b.index).map((entry) => entry.run);
}

const pointKey = (metric: Metric) => `${metric.step}|${metric.timestamp}|${metric.value}`;

/**
 * The points of `source` that `destination` lacks. A point is its (step, timestamp, value): MLflow's SQL stores
 * key metric rows so, and keep one of exact repeats (which a file store can hold), so repeats are sent once.
 */
export function missingPoints(source: readonly Metric[], destination: readonly Metric[]): Metric[] {
  const seen = new Set(destination.map(pointKey));
  return source.filter((point) => {
    if (seen.has(pointKey(point))) return false;
    seen.add(pointKey(point));
    return true;
  });
}

/** Where a version's files are relative to its run's artifact root, when they are inside it. */
export function pathInRun(source: string, runId: string, artifactUri: string | undefined): string | undefined {
  const runsPrefix = `runs:/${runId}/`;
  if (source.startsWith(runsPrefix)) return source.slice(runsPrefix.length).replace(/\/+$/, '');
  if (!artifactUri) return undefined;
  const plain = (uri: string) => uri.replace(/^file:\/\//, '').replace(/\/+$/, '');
  const root = `${plain(artifactUri)}/`;
  return plain(source).startsWith(root) ? plain(source).slice(root.length) : undefined;
}

const datasetKey = (input: NonNullable<Run['inputs']['dataset_inputs']>[number]) =>
  JSON.stringify([input.dataset.name, input.dataset.digest, [...(input.tags ?? [])].sort((a, b) => a.key.localeCompare(b.key))]);

class Copier {
  readonly summary = emptySummary();
  private done = 0;
  private total = 0;
  /** Source run id → its copy. */
  private readonly runs = new Map<string, RunInfo>();
  /** Source run id → the source run's artifact URI (to place a version's source inside the copy). */
  private readonly sourceArtifactUris = new Map<string, string | undefined>();
  /** Source logged model id → its copy's id. */
  private readonly loggedModels = new Map<string, string>();

  constructor(
    private readonly from: MlflowClient,
    private readonly to: MlflowClient,
    private readonly options: CopyOptions,
  ) {}

  private check(): void {
    this.options.signal?.throwIfAborted();
  }

  private tick(message: string, advance = false): void {
    if (advance) this.done += 1;
    this.options.onProgress?.({ done: this.done, total: this.total, message, summary: this.summary });
    this.check();
  }

  async copy(): Promise<CopySummary> {
    this.tick('Listing the source...');
    const experiments = await this.sourceExperiments();
    const plans: { experiment: Experiment; runs: Run[]; models: LoggedModel[] }[] = [];
    for (const experiment of experiments) {
      this.check();
      const runs = await collect((token) => this.from.searchRuns({ experimentIds: [experiment.experiment_id], viewType: 'ALL', maxResults: RUN_PAGE, pageToken: token }));
      plans.push({ experiment, runs: parentsFirst(runs), models: await this.searchLoggedModels(this.from, experiment.experiment_id) });
      this.total += runs.length;
    }
    const registry = await this.sourceRegistry();
    this.total += registry.reduce((sum, entry) => sum + entry.versions.length, 0);
    for (const plan of plans) await this.copyExperiment(plan.experiment, plan.runs, plan.models);
    for (const entry of registry) await this.copyRegisteredModel(entry.model, entry.versions);
    this.tick('Done.');
    return this.summary;
  }

  // ---------------------------------------------------------------- experiments

  private async sourceExperiments(): Promise<Experiment[]> {
    const all = await collect((token) => this.from.searchExperiments({ viewType: 'ACTIVE_ONLY', pageToken: token }));
    const wanted = this.options.experiments;
    if (!wanted || wanted.length === 0) return all;
    const missing = wanted.filter((name) => !all.some((experiment) => experiment.name === name));
    if (missing.length > 0) {
      const names = all.map((experiment) => experiment.name).join(', ') || 'none';
      throw new Error(`No active experiment named ${missing.map((name) => `'${name}'`).join(', ')} on the source. It has: ${names}.`);
    }
    return all.filter((experiment) => wanted.includes(experiment.name));
  }

  private async copyExperiment(source: Experiment, runs: Run[], models: LoggedModel[]): Promise<void> {
    this.tick(`Experiment ${source.name}`);
    const tags = (source.tags ?? []).filter((tag) => !isCopyTag(tag.key));
    let destination = await this.to.getExperimentByName(source.name);
    if (destination?.lifecycle_stage === 'deleted') {
      this.summary.notes.push(`Experiment '${source.name}' is deleted on the destination: restore it there (or rename it) and copy again. Its ${runs.length} runs were left out.`);
      this.done += runs.length;
      return;
    }
    if (!destination) {
      const id = await this.to.createExperiment(source.name, tags);
      destination = await this.to.getExperiment(id);
      this.summary.experiments.copied += 1;
    } else {
      this.summary.experiments.skipped += 1;
      for (const tag of tags) {
        if (tagValue(destination.tags, tag.key) !== tag.value) await this.to.setExperimentTag(destination.experiment_id, tag.key, tag.value);
      }
    }
    const experimentId = destination.experiment_id;
    const existingRuns = await collect((token) => this.to.searchRuns({ experimentIds: [experimentId], viewType: 'ALL', maxResults: RUN_PAGE, pageToken: token }));
    const byOrigin = new Map<string, Run>();
    for (const run of existingRuns) {
      byOrigin.set(run.info.run_id, run);
      const origin = tagValue(run.data.tags, SOURCE_RUN_TAG);
      if (origin) byOrigin.set(origin, run);
    }
    const existingModels = new Map<string, LoggedModel>();
    for (const model of await this.searchLoggedModels(this.to, experimentId)) {
      existingModels.set(model.info.model_id, model);
      const origin = tagValue(model.info.tags, SOURCE_MODEL_TAG);
      if (origin) existingModels.set(origin, model);
    }
    const modelsOfRun = new Map<string, LoggedModel[]>();
    for (const model of models) {
      const runId = model.info.source_run_id ?? '';
      modelsOfRun.set(runId, [...(modelsOfRun.get(runId) ?? []), model]);
    }
    for (const run of runs) {
      await this.copyRun(run, experimentId, byOrigin, modelsOfRun.get(run.info.run_id) ?? [], existingModels);
      modelsOfRun.delete(run.info.run_id);
    }
    // Logged models of no run of this experiment (logged without a run, or by a run elsewhere).
    for (const orphans of modelsOfRun.values()) for (const model of orphans) await this.copyLoggedModel(model, experimentId, undefined, existingModels);
  }

  // ---------------------------------------------------------------- runs

  private async copyRun(source: Run, experimentId: string, byOrigin: Map<string, Run>, models: LoggedModel[], existingModels: Map<string, LoggedModel>): Promise<void> {
    const { info } = source;
    const label = `Run ${info.run_name ?? info.run_id}`;
    const origin = tagValue(source.data.tags, SOURCE_RUN_TAG) ?? info.run_id;
    this.sourceArtifactUris.set(info.run_id, info.artifact_uri);
    let destination = byOrigin.get(origin) ?? byOrigin.get(info.run_id);
    const finished = info.status !== 'RUNNING' && info.status !== 'SCHEDULED';

    if (destination && tagValue(destination.data.tags, COMPLETE_TAG) === 'true') {
      this.runs.set(info.run_id, destination.info);
      for (const model of models) {
        const copy = existingModels.get(tagValue(model.info.tags, SOURCE_MODEL_TAG) ?? model.info.model_id) ?? existingModels.get(model.info.model_id);
        if (copy) this.loggedModels.set(model.info.model_id, copy.info.model_id);
      }
      this.summary.runs.skipped += 1;
      // Tags (a note, a renamed run) may change after a run ends: those follow; nothing else of it can change.
      await this.syncTags(source, destination);
      await this.syncLifecycle(source, destination.info);
      this.tick(label, true);
      return;
    }
    const fresh = !destination;
    if (!destination) {
      const created = await this.to.createRun({ experimentId, runName: info.run_name, userId: info.user_id, startTime: info.start_time, tags: [{ key: SOURCE_RUN_TAG, value: origin }] });
      destination = { info: created, data: { metrics: [], params: [], tags: [{ key: SOURCE_RUN_TAG, value: origin }] }, inputs: {}, outputs: {} };
      byOrigin.set(origin, destination);
      this.summary.runs.copied += 1;
    } else {
      this.summary.runs.resumed += 1;
    }
    const runId = destination.info.run_id;
    this.runs.set(info.run_id, destination.info);
    this.tick(label);

    // Params and tags by key: a param is written once, a tag is set to the source's value.
    const haveParams = new Set(destination.data.params.map((param) => param.key));
    const params = source.data.params.filter((param) => !haveParams.has(param.key));
    for (const batch of chunks(params, BATCH.params)) await this.to.logBatch(runId, { params: batch });
    this.summary.params += params.length;
    await this.syncTags(source, destination);

    // Full metric histories; on a resumed run only the points not there yet.
    const keys = [...new Set(source.data.metrics.map((metric) => metric.key))];
    for (const key of keys) {
      this.check();
      const history = await this.history(this.from, info.run_id, key);
      const missing = missingPoints(history, fresh ? [] : await this.history(this.to, runId, key));
      for (const batch of chunks(missing, BATCH.metrics)) {
        await this.to.logBatch(runId, { metrics: batch });
        this.summary.metricPoints += batch.length;
        this.tick(`${label}: metric ${key}`);
      }
    }

    const haveInputs = new Set((destination.inputs.dataset_inputs ?? []).map(datasetKey));
    const inputs = (source.inputs.dataset_inputs ?? []).filter((input) => !haveInputs.has(datasetKey(input)));
    if (inputs.length > 0) await this.to.logInputs(runId, inputs);
    this.summary.datasets += inputs.length;

    await this.copyTree(runArtifactReader(this.from, info.run_id, info.artifact_uri), destination.info.artifact_uri, `run ${runId}`, !fresh, label);

    for (const model of models) await this.copyLoggedModel(model, experimentId, runId, existingModels);
    const outputs = (source.outputs.model_outputs ?? [])
      .filter((output) => this.loggedModels.has(output.model_id))
      .map((output) => ({ model_id: this.loggedModels.get(output.model_id)!, step: output.step ?? 0 }))
      .filter((output) => !(destination.outputs.model_outputs ?? []).some((have) => have.model_id === output.model_id));
    if (outputs.length > 0) await this.to.post(ROUTES.runs.logOutputs, { run_id: runId, models: outputs });

    if (info.status !== destination.info.status || (info.end_time !== undefined && info.end_time !== destination.info.end_time)) {
      await this.to.updateRun(runId, { status: info.status, endTime: info.end_time });
    }
    // A run still training on the source is copied as far as it got, and completed by a later copy.
    if (finished) await this.to.setTag(runId, COMPLETE_TAG, 'true');
    await this.syncLifecycle(source, destination.info);
    this.tick(label, true);
  }

  /** Sets the source run's tags the destination lacks or holds another value of (the parent link remapped). */
  private async syncTags(source: Run, destination: Run): Promise<void> {
    const tags = source.data.tags
      .filter((tag) => !isCopyTag(tag.key))
      .map((tag) => (tag.key === PARENT_RUN_TAG && this.runs.has(tag.value) ? { key: tag.key, value: this.runs.get(tag.value)!.run_id } : tag))
      .filter((tag) => tagValue(destination.data.tags, tag.key) !== tag.value);
    for (const batch of chunks(tags, BATCH.tags)) await this.to.logBatch(destination.info.run_id, { tags: batch });
    this.summary.tags += tags.length;
  }

  private async syncLifecycle(source: Run, destination: RunInfo): Promise<void> {
    if (source.info.lifecycle_stage === 'deleted' && destination.lifecycle_stage !== 'deleted') await this.to.deleteRun(destination.run_id);
  }

  private async history(client: MlflowClient, runId: string, key: string): Promise<Metric[]> {
    const points: Metric[] = [];
    for await (const page of client.metricHistory(runId, key)) points.push(...page);
    return points;
  }

  /** Copies the files of a tree not on the destination yet (same path and size); `resume` lists what is there. */
  private async copyTree(source: ArtifactReader, destinationUri: string | undefined, what: string, resume: boolean, label: string): Promise<void> {
    const files = await listTree(source, this.options.signal);
    if (files.length === 0) return;
    const writer = destinationWriter(this.to, destinationUri, what);
    const there = resume ? new Map((await listTree(writer.reader, this.options.signal)).map((file) => [file.path, file.size])) : new Map<string, number>();
    for (const file of files) {
      this.check();
      if (there.get(file.path) === file.size) {
        this.summary.artifacts.skipped += 1;
        continue;
      }
      const bytes = await source.read(file.path);
      await writer.write(file.path, bytes);
      this.summary.artifacts.files += 1;
      this.summary.artifacts.bytes += bytes.byteLength;
      this.tick(`${label}: ${file.path}`);
    }
  }

  // ---------------------------------------------------------------- logged models (MLflow 3)

  private async searchLoggedModels(client: MlflowClient, experimentId: string): Promise<LoggedModel[]> {
    try {
      return await collect(async (token) => {
        const body = await client.post<{ models?: LoggedModel[]; next_page_token?: string }>(ROUTES.loggedModels.search, { experiment_ids: [experimentId], max_results: 100, page_token: token });
        return { items: body.models ?? [], nextPageToken: body.next_page_token || undefined };
      });
    } catch (error) {
      // MLflow 2 servers have no logged models.
      if (error instanceof MlflowApiError && error.code === 'ENDPOINT_NOT_FOUND') return [];
      throw error;
    }
  }

  private async copyLoggedModel(source: LoggedModel, experimentId: string, runId: string | undefined, existing: Map<string, LoggedModel>): Promise<void> {
    const { info } = source;
    const origin = tagValue(info.tags, SOURCE_MODEL_TAG) ?? info.model_id;
    let copy = existing.get(origin) ?? existing.get(info.model_id);
    if (copy && copy.info.status === info.status) {
      this.loggedModels.set(info.model_id, copy.info.model_id);
      this.summary.loggedModels.skipped += 1;
      return;
    }
    const resume = copy !== undefined;
    if (!copy) {
      const tags = [...(info.tags ?? []).filter((tag) => !isCopyTag(tag.key)), { key: SOURCE_MODEL_TAG, value: origin }];
      const body = await this.to.post<{ model: LoggedModel }>(ROUTES.loggedModels.create, {
        experiment_id: experimentId,
        name: info.name,
        model_type: info.model_type,
        source_run_id: runId,
        params: source.data?.params ?? info.params ?? [],
        tags,
      });
      copy = body.model;
      existing.set(origin, copy);
    }
    const modelId = copy.info.model_id;
    this.loggedModels.set(info.model_id, modelId);
    await this.copyTree(loggedModelArtifactReader(this.from, info.model_id, info.artifact_uri), copy.info.artifact_uri, `logged model ${modelId}`, resume, `Logged model ${info.name}`);
    await this.copyLoggedModelMetrics(source, copy);
    if (info.status && info.status !== copy.info.status) {
      await this.to.post(ROUTES.loggedModels.one.replace('{model_id}', encodeURIComponent(modelId)), { model_id: modelId, status: info.status }, 'PATCH');
    }
    this.summary.loggedModels.copied += 1;
  }

  /**
   * A logged model's metrics (MLflow 3 links a run's metrics to the model it logs): logged again on the copied
   * run with the copy's model_id, which links them the same way (the run's own point is already there, and
   * servers keep one of a repeated point). Those of runs not copied are left out.
   */
  private async copyLoggedModelMetrics(source: LoggedModel, copy: LoggedModel): Promise<void> {
    const key = (metric: LoggedModelMetric, runId: string | undefined) =>
      JSON.stringify([metric.key, metric.step ?? 0, metric.timestamp, String(metric.value), runId ?? '', metric.dataset_name ?? '', metric.dataset_digest ?? '']);
    const have = new Set((copy.data?.metrics ?? []).map((metric) => key(metric, metric.run_id)));
    const byRun = new Map<string, LoggedModelMetric[]>();
    for (const metric of source.data?.metrics ?? []) {
      const runId = metric.run_id ? this.runs.get(metric.run_id)?.run_id : undefined;
      if (!runId || have.has(key(metric, runId))) continue;
      have.add(key(metric, runId));
      byRun.set(runId, [...(byRun.get(runId) ?? []), metric]);
    }
    for (const [runId, metrics] of byRun) {
      for (const batch of chunks(metrics, BATCH.metrics)) {
        const wire = batch.map((metric) => ({ key: metric.key, value: metric.value, timestamp: metric.timestamp, step: metric.step ?? 0, model_id: copy.info.model_id, dataset_name: metric.dataset_name, dataset_digest: metric.dataset_digest }));
        await this.to.post(ROUTES.runs.logBatch, { run_id: runId, metrics: wire });
      }
    }
  }

  // ---------------------------------------------------------------- the model registry

  private async sourceRegistry(): Promise<{ model: RegisteredModel; versions: ModelVersion[] }[]> {
    const models = await collect((token) => this.from.searchRegisteredModels({ maxResults: 100, pageToken: token }));
    const out: { model: RegisteredModel; versions: ModelVersion[] }[] = [];
    for (const model of models) {
      this.check();
      const versions = (await collect((token) => this.from.searchModelVersions({ filter: `name = ${quoted(model.name)}`, maxResults: 1000, pageToken: token })))
        .filter((version) => version.name === model.name)
        .sort((a, b) => Number(a.version) - Number(b.version));
      out.push({ model, versions });
    }
    return out;
  }

  private async copyRegisteredModel(source: RegisteredModel, allVersions: ModelVersion[]): Promise<void> {
    // With chosen experiments, only the versions of their runs (and the models that have one).
    const versions = this.options.experiments?.length ? allVersions.filter((version) => version.run_id && this.runs.has(version.run_id)) : allVersions;
    if (this.options.experiments?.length && versions.length === 0) {
      this.done += allVersions.length;
      return;
    }
    const name = source.name;
    this.tick(`Model ${name}`);
    const tags = (source.tags ?? []).filter((tag) => !isCopyTag(tag.key));
    let destination: RegisteredModel | undefined;
    try {
      destination = await this.to.getRegisteredModel(name);
    } catch (error) {
      if (!(error instanceof MlflowApiError && error.code === 'RESOURCE_DOES_NOT_EXIST')) throw error;
    }
    if (!destination) {
      await this.to.post(ROUTES.registeredModels.create, { name, tags, description: source.description });
      this.summary.registeredModels.copied += 1;
    } else {
      this.summary.registeredModels.skipped += 1;
      if ((source.description ?? '') !== (destination.description ?? '')) await this.to.post(ROUTES.registeredModels.update, { name, description: source.description ?? '' }, 'PATCH');
      for (const tag of tags) if (tagValue(destination.tags, tag.key) !== tag.value) await this.to.post(ROUTES.registeredModels.setTag, { name, key: tag.key, value: tag.value });
    }

    const there = await collect((token) => this.to.searchModelVersions({ filter: `name = ${quoted(name)}`, maxResults: 1000, pageToken: token }));
    const bySource = new Map<string, ModelVersion>();
    // Keyed by origin: a version's own number, or the number it was copied from (so copying back finds it).
    for (const version of there) {
      if (version.name !== name) continue;
      // A filler still there: an earlier copy was stopped between making and deleting it.
      if (tagValue(version.tags, FILLER_VERSION_TAG) !== undefined) await this.to.deleteModelVersion(name, version.version);
      else bySource.set(tagValue(version.tags, SOURCE_VERSION_TAG) ?? version.version, version);
    }
    const numbers = new Map<string, string>();
    for (const version of versions) {
      const label = `Model ${name} version ${version.version}`;
      const origin = tagValue(version.tags, SOURCE_VERSION_TAG) ?? version.version;
      let copy = bySource.get(origin);
      if (!copy) {
        const lineage = this.versionSource(version);
        if (!lineage) {
          this.summary.notes.push(`${label} was left out: its files are not in a copied run or logged model (source ${version.source ?? 'unknown'}).`);
          this.tick(label, true);
          continue;
        }
        const versionTags = [...(version.tags ?? []).filter((tag) => !isCopyTag(tag.key)), { key: SOURCE_VERSION_TAG, value: origin }];
        copy = await this.createNumberedVersion(name, Number(version.version), { ...lineage, description: version.description, tags: versionTags }, label);
        this.summary.versions.copied += 1;
      } else {
        this.summary.versions.skipped += 1;
      }
      numbers.set(version.version, copy.version);
      if ((version.description ?? '') !== (copy.description ?? '')) await this.to.post(ROUTES.modelVersions.update, { name, version: copy.version, description: version.description ?? '' }, 'PATCH');
      for (const tag of version.tags ?? []) {
        if (!isCopyTag(tag.key) && tagValue(copy.tags, tag.key) !== tag.value) await this.to.post(ROUTES.modelVersions.setTag, { name, version: copy.version, key: tag.key, value: tag.value });
      }
      const stage = (version.current_stage ?? 'None') as Stage;
      if (stage !== (copy.current_stage ?? 'None')) await this.to.transitionStage(name, copy.version, stage, false);
      this.tick(label, true);
    }
    const aliasesThere = new Map((destination?.aliases ?? []).map((alias) => [alias.alias, alias.version]));
    for (const alias of source.aliases ?? []) {
      const version = numbers.get(alias.version);
      if (version && aliasesThere.get(alias.alias) !== version) await this.to.setAlias(name, alias.alias, version);
    }
  }

  /**
   * Makes the version so that it gets the number `wanted` where the destination allows it, as `models:/NAME/N`
   * URIs in code name it. Servers number a model's versions themselves, one past the highest ever given
   * (deleted ones included), so the numbers the source skipped (its deleted versions, or versions left out) are
   * made and deleted here first; each try carries the filler tag until it is the one kept. A destination whose
   * numbering is past `wanted` already gives the next number, and the summary says so.
   */
  private async createNumberedVersion(name: string, wanted: number, body: { source: string; run_id?: string; model_id?: string; description?: string; tags: KeyValue[] }, label: string): Promise<ModelVersion> {
    const request = { name, ...body, tags: [...body.tags, { key: FILLER_VERSION_TAG, value: 'true' }] };
    for (let fillers = 0; ; fillers++) {
      this.check();
      const made = (await this.to.post<{ model_version: ModelVersion }>(ROUTES.modelVersions.create, request)).model_version;
      if (Number(made.version) >= wanted || fillers >= MAX_FILLER_VERSIONS) {
        await this.to.post(ROUTES.modelVersions.deleteTag, { name, version: made.version, key: FILLER_VERSION_TAG }, 'DELETE');
        if (Number(made.version) !== wanted) this.summary.notes.push(`${label} arrived as version ${made.version}: the destination's numbering of ${name} was past ${wanted} already.`);
        return { ...made, tags: (made.tags ?? []).filter((tag) => tag.key !== FILLER_VERSION_TAG) };
      }
      await this.to.deleteModelVersion(name, made.version);
    }
  }

  /** The copy's source for a version: the copied logged model, else the same path inside the copied run. */
  private versionSource(version: ModelVersion): { source: string; run_id?: string; model_id?: string } | undefined {
    const modelId = version.model_id || /^models:\/(m-[^/]+)$/.exec(version.source ?? '')?.[1];
    const run = version.run_id ? this.runs.get(version.run_id) : undefined;
    if (modelId && this.loggedModels.has(modelId)) {
      const copy = this.loggedModels.get(modelId)!;
      return { source: `models:/${copy}`, model_id: copy, ...(run ? { run_id: run.run_id } : {}) };
    }
    if (!run || !version.source || !version.run_id) return undefined;
    const path = pathInRun(version.source, version.run_id, this.sourceArtifactUris.get(version.run_id));
    if (path === undefined || !run.artifact_uri) return undefined;
    return { source: path ? `${run.artifact_uri.replace(/\/+$/, '')}/${path}` : run.artifact_uri, run_id: run.run_id };
  }
}
