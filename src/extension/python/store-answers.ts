import {
  type ExperimentSummary,
  type KeysResult,
  type ModelSummary,
  type ModelVersionSummary,
  type RunResult,
  type ScriptRun,
  type ScriptRunsResult,
} from '../../api/language-protocol';
import { MlflowApiError, type MlflowClient, type Run } from '../../client/mlflow-client';
import { sourceMatches } from '../panels/args';
import { PARENT_TAG, tagOf } from '../panels/data';
import { quoteFilterString } from '../trees/format';

/** Answers are reused this long: hovers and lenses of one file ask the same things in bursts. */
const CACHE_MS = 5000;
const SCRIPT_RUNS = 50;
const RECENT_RUNS = 200;
const VERSIONS = 1000;

function isMissing(error: unknown): boolean {
  return error instanceof MlflowApiError && error.code === 'RESOURCE_DOES_NOT_EXIST';
}

function latestMetrics(run: Run): Record<string, number> {
  return Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
}

/** A script on disk and the workspace folders its recorded `mlflow.source.name` may be relative to. */
export interface ScriptLocation {
  readonly fsPath: string;
  readonly folders: readonly string[];
}

/**
 * What the language server asks about the backend, answered through the extension's MlflowClient (the
 * local store's server or a remote MLflow server alike), with a short cache dropped on every data change.
 * No `vscode` import: the language-server tests answer with it too.
 */
export class StoreAnswers {
  private readonly cache = new Map<string, { at: number; answer: Promise<unknown> }>();
  private experimentNameCache = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly clientOf: () => MlflowClient | undefined,
    /** The file behind a document URI; undefined for documents not on disk (untitled). */
    private readonly locate: (uri: string) => ScriptLocation | undefined,
  ) {}

  /** Forget every answer: the data or the backend changed. */
  clear(): void {
    this.cache.clear();
    this.experimentNameCache = new Map();
  }

  /** `work`'s answer for `key`, from the cache while fresh; null while no backend is ready. */
  answer<T>(key: string, work: (client: MlflowClient) => Promise<T>): Promise<T | null> {
    const client = this.clientOf();
    if (!client) return Promise.resolve(null);
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.answer as Promise<T>;
    const answer = work(client);
    this.cache.set(key, { at: Date.now(), answer });
    answer.catch(() => this.cache.delete(key));
    return answer;
  }

  scriptRuns(uri: string): Promise<ScriptRunsResult | null> {
    return this.answer(`scriptRuns ${uri}`, async (client) => {
      const file = this.locate(uri);
      if (!file) return { runs: [], truncated: false };
      const experiments = (await client.searchExperiments({ viewType: 'ACTIVE_ONLY', maxResults: 1000 })).items.map((e) => e.experiment_id);
      if (experiments.length === 0) return { runs: [], truncated: false };
      const base = file.fsPath.replace(/\\/g, '/').split('/').pop() ?? file.fsPath;
      const page = await client.searchRuns({
        experimentIds: experiments,
        // Narrowed on the server by file name, then matched exactly against the workspace folders here.
        filter: `tags.mlflow.source.name LIKE ${quoteFilterString(`%${base}`)}`,
        orderBy: ['attributes.start_time DESC'],
        viewType: 'ACTIVE_ONLY',
        maxResults: SCRIPT_RUNS,
      });
      const runs: ScriptRun[] = page.items
        .filter((run) => sourceMatches(tagOf(run, 'mlflow.source.name') ?? '', file.fsPath, file.folders))
        .map((run) => ({
          runId: run.info.run_id,
          runName: run.info.run_name,
          status: run.info.status,
          startTime: run.info.start_time,
          parentRunId: tagOf(run, PARENT_TAG),
          metrics: latestMetrics(run),
        }));
      return { runs, truncated: page.nextPageToken !== undefined };
    });
  }

  run(runId: string): Promise<RunResult | null> {
    return this.answer(`run ${runId}`, async (client) => {
      let run: Run;
      try {
        run = await client.getRun(runId);
      } catch (error) {
        if (isMissing(error)) return { missing: true, runId } as const;
        throw error;
      }
      return {
        runId,
        runName: run.info.run_name,
        status: run.info.status,
        lifecycleStage: run.info.lifecycle_stage,
        experimentId: run.info.experiment_id,
        experimentName: await this.experimentName(client, run.info.experiment_id),
        startTime: run.info.start_time,
        metrics: latestMetrics(run),
        paramCount: run.data.params.length,
      };
    });
  }

  model(name: string): Promise<ModelSummary | null> {
    return this.answer(`model ${name}`, async (client) => {
      let registered;
      try {
        registered = await client.getRegisteredModel(name);
      } catch (error) {
        if (isMissing(error)) return { exists: false, name } as const;
        throw error;
      }
      const page = await client.searchModelVersions({ filter: `name = ${quoteFilterString(name)}`, orderBy: ['version_number DESC'], maxResults: VERSIONS });
      // Aliases from the registered model: every server lists them there, not every one on its versions.
      const aliases = new Map<string, string[]>();
      for (const { alias, version } of registered.aliases ?? []) aliases.set(version, [...(aliases.get(version) ?? []), alias]);
      const versions: ModelVersionSummary[] = page.items
        .filter((v) => v.name === name)
        .sort((a, b) => Number(b.version) - Number(a.version))
        .map((v) => ({ name, version: v.version, stage: v.current_stage ?? 'None', aliases: aliases.get(v.version) ?? v.aliases ?? [], runId: v.run_id || undefined, source: v.source, status: v.status }));
      return { exists: true, name, description: registered.description || undefined, versions, truncated: page.nextPageToken !== undefined };
    });
  }

  experiment(name: string): Promise<ExperimentSummary | null> {
    return this.answer(`experiment ${name}`, async (client) => {
      const experiment = await client.getExperimentByName(name);
      if (!experiment) return { exists: false, name } as const;
      const page = await client.searchRuns({ experimentIds: [experiment.experiment_id], orderBy: ['attributes.start_time DESC'], viewType: 'ACTIVE_ONLY', maxResults: RECENT_RUNS });
      const last = page.items[0];
      return {
        exists: true,
        name,
        experimentId: experiment.experiment_id,
        lifecycleStage: experiment.lifecycle_stage ?? 'active',
        runCount: page.items.length,
        runCountIsLowerBound: page.nextPageToken !== undefined,
        lastRun: last && { runId: last.info.run_id, runName: last.info.run_name, status: last.info.status, startTime: last.info.start_time },
      };
    });
  }

  experimentNames(): Promise<string[] | null> {
    return this.answer('experimentNames', async (client) => (await client.searchExperiments({ viewType: 'ACTIVE_ONLY', maxResults: 1000 })).items.map((e) => e.name));
  }

  modelNames(): Promise<string[] | null> {
    return this.answer('modelNames', async (client) => (await client.searchRegisteredModels({ maxResults: 1000 })).items.map((m) => m.name));
  }

  keys(experimentName: string | undefined): Promise<KeysResult | null> {
    return this.answer(`keys ${experimentName ?? ''}`, async (client) => {
      const named = experimentName === undefined ? undefined : await client.getExperimentByName(experimentName);
      const experimentIds = named ? [named.experiment_id] : (await client.searchExperiments({ viewType: 'ACTIVE_ONLY', maxResults: 1000 })).items.map((e) => e.experiment_id);
      if (experimentIds.length === 0) return { metrics: [], params: [] };
      const runs = (await client.searchRuns({ experimentIds, orderBy: ['attributes.start_time DESC'], viewType: 'ACTIVE_ONLY', maxResults: RECENT_RUNS })).items;
      const byUse = (keys: string[]) => {
        const counts = new Map<string, number>();
        for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
        return [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || a.localeCompare(b));
      };
      return {
        metrics: byUse(runs.flatMap((run) => run.data.metrics.map((m) => m.key))).filter((key) => !key.startsWith('system/')),
        params: byUse(runs.flatMap((run) => run.data.params.map((p) => p.key))),
      };
    });
  }

  private experimentName(client: MlflowClient, experimentId: string): Promise<string | undefined> {
    let name = this.experimentNameCache.get(experimentId);
    if (!name) {
      name = client.getExperiment(experimentId).then(
        (experiment) => experiment.name,
        () => undefined,
      );
      this.experimentNameCache.set(experimentId, name);
    }
    return name;
  }
}
