import { ROUTES } from '../api/routes';
import type { ErrorBody, Experiment, FileInfo, KeyValue, ModelVersion, RegisteredModel, RunInfo, RunStatus, Stage, ViewType, WireDouble, WireMetric, WireRun } from '../api/wire';

/** How the client proves who it is: MLflow's token, its basic-auth app, or nothing. */
export type Credentials = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

export interface ClientOptions {
  /** The tracking URI, e.g. http://127.0.0.1:5000 (a path prefix is kept). */
  readonly baseUrl: string;
  readonly credentials?: Credentials;
  /** Per-request timeout; a server that does not answer in time is reported as unreachable. */
  readonly timeoutMs?: number;
  /**
   * Told of every request's outcome (a response, or why none came): the extension learns from it that a
   * remote server went away or came back, and that the user wrote something, without polling for it.
   */
  readonly onOutcome?: (outcome: RequestOutcome) => void;
}

/** What `onOutcome` hears: `error` is set when the request failed (no answer, or an error status). */
export interface RequestOutcome {
  readonly method: string;
  readonly path: string;
  readonly error?: MlflowApiError;
}

/** A metric with its double decoded: NaN and the infinities as numbers. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  run_id?: string;
}

export interface Run {
  info: RunInfo;
  data: { metrics: Metric[]; params: KeyValue[]; tags: KeyValue[] };
  inputs: NonNullable<WireRun['inputs']>;
  outputs: NonNullable<WireRun['outputs']>;
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/**
 * Why a call failed, in words a user can act on. `code` is MLflow's error_code, or UNREACHABLE when no
 * server answered, or UNAUTHENTICATED/PERMISSION_DENIED for 401/403.
 */
export class MlflowApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MlflowApiError';
  }
}

/** Status → code when the body is not MLflow's JSON error (what the Python client assumes too). */
const CODE_OF_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'ENDPOINT_NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  501: 'NOT_IMPLEMENTED',
  503: 'TEMPORARILY_UNAVAILABLE',
};

export function decodeDouble(value: WireDouble | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  return value === 'Infinity' ? Infinity : -Infinity;
}

function decodeMetric(metric: WireMetric): Metric {
  const decoded: Metric = { key: metric.key, value: decodeDouble(metric.value), timestamp: metric.timestamp, step: metric.step ?? 0 };
  if (metric.run_id !== undefined) decoded.run_id = metric.run_id;
  return decoded;
}

function decodeRun(run: WireRun): Run {
  return {
    info: run.info,
    data: { metrics: (run.data?.metrics ?? []).map(decodeMetric), params: run.data?.params ?? [], tags: run.data?.tags ?? [] },
    inputs: run.inputs ?? {},
    outputs: run.outputs ?? {},
  };
}

/**
 * A typed client of any MLflow tracking server: Runboard's own or a remote `mlflow server`. It speaks
 * only the public REST API, so what works against one works against the other.
 */
export class MlflowClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly credentialsKind: Credentials['kind'];
  private readonly timeoutMs: number;
  private readonly onOutcome: ((outcome: RequestOutcome) => void) | undefined;

  constructor(options: ClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.onOutcome = options.onOutcome;
    this.credentialsKind = (options.credentials ?? { kind: 'none' }).kind;
    const credentials = options.credentials ?? { kind: 'none' };
    this.headers =
      credentials.kind === 'bearer'
        ? { Authorization: `Bearer ${credentials.token}` }
        : credentials.kind === 'basic'
          ? { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` }
          : {};
  }

  get baseUrl(): string {
    return this.base;
  }

  // ------------------------------------------------------------ experiments

  async searchExperiments(options: { filter?: string; orderBy?: string[]; viewType?: ViewType; maxResults?: number; pageToken?: string } = {}): Promise<Page<Experiment>> {
    const body = await this.post<{ experiments?: Experiment[]; next_page_token?: string }>(ROUTES.experiments.search, {
      filter: options.filter,
      order_by: options.orderBy,
      view_type: options.viewType,
      max_results: options.maxResults ?? 1000,
      page_token: options.pageToken,
    });
    return { items: body.experiments ?? [], nextPageToken: body.next_page_token || undefined };
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return (await this.get<{ experiment: Experiment }>(ROUTES.experiments.get, { experiment_id: experimentId })).experiment;
  }

  /** The experiment of that name, or undefined when there is none. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      return (await this.get<{ experiment: Experiment }>(ROUTES.experiments.getByName, { experiment_name: name })).experiment;
    } catch (error) {
      if (error instanceof MlflowApiError && error.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  async createExperiment(name: string, tags: KeyValue[] = []): Promise<string> {
    return (await this.post<{ experiment_id: string }>(ROUTES.experiments.create, { name, tags })).experiment_id;
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.post(ROUTES.experiments.update, { experiment_id: experimentId, new_name: newName });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.post(ROUTES.experiments.delete, { experiment_id: experimentId });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.post(ROUTES.experiments.restore, { experiment_id: experimentId });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.post(ROUTES.experiments.setTag, { experiment_id: experimentId, key, value });
  }

  // ------------------------------------------------------------ runs

  async searchRuns(options: {
    experimentIds: string[];
    filter?: string;
    orderBy?: string[];
    viewType?: ViewType;
    maxResults?: number;
    pageToken?: string;
  }): Promise<Page<Run>> {
    const body = await this.post<{ runs?: WireRun[]; next_page_token?: string }>(ROUTES.runs.search, {
      experiment_ids: options.experimentIds,
      filter: options.filter,
      order_by: options.orderBy,
      run_view_type: options.viewType,
      max_results: options.maxResults ?? 1000,
      page_token: options.pageToken,
    });
    return { items: (body.runs ?? []).map(decodeRun), nextPageToken: body.next_page_token || undefined };
  }

  async getRun(runId: string): Promise<Run> {
    return decodeRun((await this.get<{ run: WireRun }>(ROUTES.runs.get, { run_id: runId })).run);
  }

  async updateRun(runId: string, update: { runName?: string; status?: RunStatus; endTime?: number }): Promise<RunInfo> {
    const body = await this.post<{ run_info: RunInfo }>(ROUTES.runs.update, { run_id: runId, run_name: update.runName, status: update.status, end_time: update.endTime });
    return body.run_info;
  }

  async deleteRun(runId: string): Promise<void> {
    await this.post(ROUTES.runs.delete, { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.post(ROUTES.runs.restore, { run_id: runId });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.post(ROUTES.runs.setTag, { run_id: runId, key, value });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.post(ROUTES.runs.deleteTag, { run_id: runId, key });
  }

  /** The whole history of one metric, page by page. */
  async *metricHistory(runId: string, key: string, pageSize = 25_000): AsyncGenerator<Metric[]> {
    let pageToken: string | undefined;
    do {
      const body = await this.get<{ metrics?: WireMetric[]; next_page_token?: string }>(ROUTES.metrics.history, {
        run_id: runId,
        metric_key: key,
        max_results: String(pageSize),
        page_token: pageToken,
      });
      yield (body.metrics ?? []).map(decodeMetric);
      pageToken = body.next_page_token || undefined;
    } while (pageToken);
  }

  /** Up to `maxResults` points per run, sampled by the server (for charts of long series). */
  async sampledMetricHistory(runIds: string[], key: string, options: { maxResults?: number; startStep?: number; endStep?: number } = {}): Promise<Metric[]> {
    const body = await this.get<{ metrics?: WireMetric[] }>(ROUTES.metrics.historyBulkInterval, {
      run_ids: runIds,
      metric_key: key,
      max_results: options.maxResults === undefined ? undefined : String(options.maxResults),
      start_step: options.startStep === undefined ? undefined : String(options.startStep),
      end_step: options.endStep === undefined ? undefined : String(options.endStep),
    });
    return (body.metrics ?? []).map(decodeMetric);
  }

  // ------------------------------------------------------------ model registry

  async searchRegisteredModels(options: { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string } = {}): Promise<Page<RegisteredModel>> {
    const body = await this.get<{ registered_models?: RegisteredModel[]; next_page_token?: string }>(ROUTES.registeredModels.search, {
      filter: options.filter,
      order_by: options.orderBy,
      max_results: String(options.maxResults ?? 100),
      page_token: options.pageToken,
    });
    return { items: body.registered_models ?? [], nextPageToken: body.next_page_token || undefined };
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return (await this.get<{ registered_model: RegisteredModel }>(ROUTES.registeredModels.get, { name })).registered_model;
  }

  async searchModelVersions(options: { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string } = {}): Promise<Page<ModelVersion>> {
    const body = await this.get<{ model_versions?: ModelVersion[]; next_page_token?: string }>(ROUTES.modelVersions.search, {
      filter: options.filter,
      order_by: options.orderBy,
      max_results: String(options.maxResults ?? 1000),
      page_token: options.pageToken,
    });
    return { items: body.model_versions ?? [], nextPageToken: body.next_page_token || undefined };
  }

  /** Registers `source` (a runs:/ or models:/ URI) as a new version of `name`, creating the model if needed. */
  async registerModelVersion(name: string, source: string, runId?: string, modelId?: string): Promise<ModelVersion> {
    try {
      await this.post(ROUTES.registeredModels.create, { name });
    } catch (error) {
      if (!(error instanceof MlflowApiError && (error.code === 'RESOURCE_ALREADY_EXISTS' || error.code === 'ALREADY_EXISTS'))) throw error;
    }
    const body = await this.post<{ model_version: ModelVersion }>(ROUTES.modelVersions.create, { name, source, run_id: runId, model_id: modelId });
    return body.model_version;
  }

  async transitionStage(name: string, version: string, stage: Stage, archiveExistingVersions = false): Promise<ModelVersion> {
    const transition = async (which: string, to: Stage, archive: boolean) =>
      (await this.post<{ model_version: ModelVersion }>(ROUTES.modelVersions.transitionStage, { name, version: which, stage: to, archive_existing_versions: archive })).model_version;
    try {
      return await transition(version, stage, archiveExistingVersions);
    } catch (error) {
      // MLflow's SQL store on PostgreSQL compares its integer version column with the string version when it
      // archives the others (mlflow/mlflow#24592: "operator does not exist: integer <> character varying").
      // Do what the server would: this version first (if interrupted, two versions share the stage rather
      // than none holding it), then each other version in that stage to Archived.
      if (!(archiveExistingVersions && error instanceof MlflowApiError && /operator does not exist/i.test(error.message))) throw error;
      const moved = await transition(version, stage, false);
      const quoted = name.includes("'") && !name.includes('"') ? `"${name}"` : `'${name}'`;
      const versions = (await this.searchModelVersions({ filter: `name = ${quoted}`, maxResults: 1000 })).items;
      for (const other of versions) if (other.name === name && other.version !== version && other.current_stage === moved.current_stage) await transition(other.version, 'Archived', false);
      return moved;
    }
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.post(ROUTES.registeredModels.alias, { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.post(ROUTES.registeredModels.alias, { name, alias }, 'DELETE');
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.post(ROUTES.modelVersions.delete, { name, version }, 'DELETE');
  }

  /** Logged models of an experiment, e.g. to find the model a run logged (MLflow 3). */
  async searchLoggedModels(experimentIds: string[], filter?: string): Promise<{ info: { model_id: string; name: string; source_run_id?: string; artifact_uri: string } }[]> {
    const body = await this.post<{ models?: { info: { model_id: string; name: string; source_run_id?: string; artifact_uri: string } }[] }>(ROUTES.loggedModels.search, {
      experiment_ids: experimentIds,
      filter,
      max_results: 1000,
    });
    return body.models ?? [];
  }

  // ------------------------------------------------------------ artifacts

  /** One directory level of a run's artifacts, with run-relative paths. */
  async listArtifacts(runId: string, path?: string): Promise<FileInfo[]> {
    return (await this.get<{ files?: FileInfo[] }>(ROUTES.artifacts.listRun, { run_id: runId, path })).files ?? [];
  }

  /** The bytes of a file under an `mlflow-artifacts:/` URI root, e.g. a run's artifact_uri plus a path. */
  async downloadProxiedArtifact(storagePath: string): Promise<Uint8Array> {
    const encoded = storagePath.split('/').map(encodeURIComponent).join('/');
    return this.send('GET', `/api/2.0${ROUTES.artifacts.proxy}/${encoded}`);
  }

  // ------------------------------------------------------------ copying between servers (src/client/copy)

  /** A run with its start time, user and name as given (the copy's runs keep the source's). */
  async createRun(request: { experimentId: string; runName?: string; userId?: string; startTime?: number; tags?: KeyValue[] }): Promise<RunInfo> {
    const body = await this.post<{ run: WireRun }>(ROUTES.runs.create, {
      experiment_id: request.experimentId,
      run_name: request.runName,
      user_id: request.userId,
      start_time: request.startTime,
      tags: request.tags,
    });
    return body.run.info;
  }

  /** Params, tags and metric points in one call (MLflow caps a batch at 1000 metrics, 100 params, 100 tags). */
  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] }): Promise<void> {
    const encode = (value: number): WireDouble => (Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : value);
    await this.post(ROUTES.runs.logBatch, {
      run_id: runId,
      metrics: (batch.metrics ?? []).map((metric) => ({ key: metric.key, value: encode(metric.value), timestamp: metric.timestamp, step: metric.step })),
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
  }

  async logInputs(runId: string, datasets: NonNullable<Run['inputs']['dataset_inputs']>): Promise<void> {
    await this.post(ROUTES.runs.logInputs, { run_id: runId, datasets });
  }

  /** A run's artifact file through the server's `/get-artifact` (any artifact root the server can read). */
  async downloadRunArtifact(runId: string, path: string): Promise<Uint8Array> {
    return this.send('GET', `/get-artifact?${new URLSearchParams({ run_uuid: runId, path })}`);
  }

  /** One directory level under an `mlflow-artifacts:/` storage path (paths relative to it, as MLflow lists). */
  async listProxiedArtifacts(storagePath: string): Promise<FileInfo[]> {
    return (await this.get<{ files?: FileInfo[] }>(ROUTES.artifacts.proxy, { path: storagePath })).files ?? [];
  }

  /** Stores `bytes` at a path under an `mlflow-artifacts:/` root (what the Python client's proxied upload does). */
  async uploadProxiedArtifact(storagePath: string, bytes: Uint8Array): Promise<void> {
    const encoded = storagePath.split('/').map(encodeURIComponent).join('/');
    await this.send('PUT', `/api/2.0${ROUTES.artifacts.proxy}/${encoded}`, bytes);
  }

  /** One directory level of a logged model's artifacts (mlflow server's route for roots it reads itself). */
  async listLoggedModelArtifacts(modelId: string, path?: string): Promise<FileInfo[]> {
    const route = `/mlflow/logged-models/${encodeURIComponent(modelId)}/artifacts/directories`;
    return (await this.get<{ files?: FileInfo[] }>(route, { artifact_directory_path: path })).files ?? [];
  }

  /** A logged model's artifact file (mlflow server serves this route under /ajax-api only). */
  async downloadLoggedModelArtifact(modelId: string, path: string): Promise<Uint8Array> {
    const route = `/ajax-api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}/artifacts/files?${new URLSearchParams({ artifact_file_path: path })}`;
    return this.send('GET', route);
  }

  /** Where a model version's files are: its logged model's (or run's) artifact location. */
  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return (await this.get<{ artifact_uri: string }>(ROUTES.modelVersions.downloadUri, { name, version })).artifact_uri;
  }

  // ------------------------------------------------------------ transport

  async get<T>(path: string, query: Record<string, string | string[] | undefined>): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) search.append(key, item);
    }
    return this.sendForJson<T>('GET', `/api/2.0${path}?${search}`);
  }

  async post<T = unknown>(path: string, body: Record<string, unknown>, method: 'POST' | 'PATCH' | 'DELETE' = 'POST'): Promise<T> {
    return this.sendForJson<T>(method, `/api/2.0${path}`, JSON.stringify(body));
  }

  private async sendForJson<T>(method: string, path: string, body?: string): Promise<T> {
    const bytes = await this.send(method, path, body);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch {
      const endpoint = path.replace(/\?.*$/, '');
      throw new MlflowApiError('INVALID_RESPONSE', `The server at ${this.base} answered ${method} ${endpoint} with something that is not JSON: it is not an MLflow tracking server, or a proxy answered for it. Check the URL.`);
    }
  }

  /** The whole answer's body: an answer cut off half way (the server died while sending) counts as unreachable. */
  private async send(method: string, path: string, body?: string | Uint8Array): Promise<Uint8Array> {
    try {
      const response = await this.request(method, path, body);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        throw new MlflowApiError('UNREACHABLE', `The MLflow server at ${this.base} stopped answering half way (${String((error as Error).cause ?? error)}). Check that it is running.`);
      }
      this.onOutcome?.({ method, path });
      return bytes;
    } catch (error) {
      if (error instanceof MlflowApiError) this.onOutcome?.({ method, path, error });
      throw error;
    }
  }

  private async request(method: string, path: string, body?: string | Uint8Array): Promise<Response> {
    let response: Response;
    const contentType: Record<string, string> = body === undefined ? {} : { 'Content-Type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' };
    try {
      response = await fetch(this.base + path, {
        method,
        headers: { ...this.headers, ...contentType },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000} s` : String((error as Error).cause ?? error);
      throw new MlflowApiError('UNREACHABLE', `Cannot reach the MLflow server at ${this.base} (${reason}). Check that it is running and the URL is right.`);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let parsed: Partial<ErrorBody> = {};
    try {
      parsed = JSON.parse(text) as Partial<ErrorBody>;
    } catch {
      // not MLflow's JSON error body: fall back on the status
    }
    const code = parsed.error_code ?? CODE_OF_STATUS[response.status] ?? 'INTERNAL_ERROR';
    const said = parsed.message ? ` Server said: ${parsed.message}` : '';
    const endpoint = path.replace(/\?.*$/, '');
    let message: string;
    if (response.status === 401) {
      const what = this.credentialsKind === 'basic' ? 'the username or password' : this.credentialsKind === 'bearer' ? 'the token' : 'no credentials (it needs a token or a username and password)';
      message = `The MLflow server at ${this.base} refused ${this.credentialsKind === 'none' ? 'a request with ' : ''}${what} (401). Check the credentials${this.credentialsKind === 'none' ? '' : ' and reconnect'}.${said}`;
    } else if (response.status === 403) {
      message = `The MLflow server at ${this.base} denied access (403): these credentials may not ${method === 'GET' ? 'read' : 'change'} this. Ask the server's admin for the permission.${said}`;
    } else if (code === 'ENDPOINT_NOT_FOUND' || ((response.status === 404 || response.status === 405) && parsed.error_code === undefined)) {
      // An unknown route: not a missing resource (that comes as RESOURCE_DOES_NOT_EXIST in MLflow's JSON body).
      message = `The server at ${this.base} does not serve ${method} ${endpoint} (HTTP ${response.status}): it is older than this call needs, or not an MLflow tracking server. Upgrade the server, or check the URL.`;
    } else if (response.status >= 500 && parsed.message === undefined) {
      message = `The MLflow server at ${this.base} failed on ${method} ${endpoint} (HTTP ${response.status}). Try again; if it persists, check the server's log.`;
    } else {
      message = parsed.message ?? `${method} ${endpoint} failed with HTTP ${response.status}.`;
    }
    throw new MlflowApiError(parsed.error_code === undefined && (response.status === 404 || response.status === 405) ? 'ENDPOINT_NOT_FOUND' : code, message, response.status);
  }

}
