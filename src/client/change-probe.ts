import type { Experiment, RegisteredModel } from '../api/wire';
import { MlflowApiError, type MlflowClient, type Run } from './mlflow-client';

/**
 * A cheap picture of what a tracking server holds, for servers that send no change events (any remote MLflow
 * server): four small reads. Two snapshots compared tell what changed:
 *   - experiments: every experiment (one page of up to 1000) with its name, stage and last update time;
 *   - runs: the newest runs by start time (any stage) and every run still RUNNING, with their latest metrics
 *     (key, step, timestamp), params and tags: a run training elsewhere changes it with each logged point;
 *   - models: the most recently updated registered models with their latest versions, stages and aliases.
 */
export interface Snapshot {
  readonly experiments: ReadonlyMap<string, string>;
  readonly runs: ReadonlyMap<string, string>;
  /** Runs in RUNNING state among `runs` (callers poll faster while something trains). */
  readonly running: ReadonlySet<string>;
  /** Undefined when the server has no model registry, or its registry fails (runs still refresh). */
  readonly models: string | undefined;
}

export interface SnapshotChanges {
  readonly experiments: boolean;
  /** Runs that are new, changed, or were running and left the running set. */
  readonly runIds: readonly string[];
  readonly models: boolean;
}

const RECENT_RUNS = 10;
const MAX_RUNNING = 50;
const RECENT_MODELS = 20;

export async function takeSnapshot(client: MlflowClient): Promise<Snapshot> {
  const experiments = (await client.searchExperiments({ viewType: 'ALL', maxResults: 1000 })).items;
  const ids = experiments.map((experiment) => experiment.experiment_id);
  const [recent, running, models] = await Promise.all([
    ids.length === 0 ? [] : client.searchRuns({ experimentIds: ids, orderBy: ['attributes.start_time DESC'], viewType: 'ALL', maxResults: RECENT_RUNS }).then((page) => page.items),
    ids.length === 0 ? [] : client.searchRuns({ experimentIds: ids, filter: "attributes.status = 'RUNNING'", maxResults: MAX_RUNNING }).then((page) => page.items),
    client
      .searchRegisteredModels({ orderBy: ['last_updated_timestamp DESC'], maxResults: RECENT_MODELS })
      .then((page) => JSON.stringify(page.items.map(modelPrint)))
      .catch((error: unknown) => {
        // No registry, or a registry that fails on its own (a 500 of its store): runs keep refreshing live; the
        // Models view shows that error itself. Only losing the server or the credentials fails the snapshot.
        if (isRegistryFailure(error)) return undefined;
        throw error;
      }),
  ]);
  const runs = new Map<string, string>();
  for (const run of [...recent, ...running]) runs.set(run.info.run_id, runPrint(run));
  return {
    experiments: new Map(experiments.map((experiment) => [experiment.experiment_id, experimentPrint(experiment)])),
    runs,
    running: new Set(running.map((run) => run.info.run_id)),
    models,
  };
}

export function compareSnapshots(before: Snapshot, after: Snapshot): SnapshotChanges {
  const runIds: string[] = [];
  for (const [id, print] of after.runs) if (before.runs.get(id) !== print) runIds.push(id);
  // A run that only fell off the "newest" list did not change; one that stopped running did.
  for (const id of before.running) if (!after.runs.has(id)) runIds.push(id);
  return { experiments: !sameMap(before.experiments, after.experiments), runIds, models: before.models !== after.models };
}

export function hasChanges(changes: SnapshotChanges): boolean {
  return changes.experiments || changes.models || changes.runIds.length > 0;
}

function experimentPrint(experiment: Experiment): string {
  return JSON.stringify([experiment.name, experiment.lifecycle_stage, experiment.last_update_time ?? null, experiment.tags?.length ?? 0]);
}

function runPrint(run: Run): string {
  const { info, data } = run;
  return JSON.stringify([
    info.status,
    info.lifecycle_stage,
    info.end_time ?? null,
    info.run_name ?? '',
    data.metrics.map((metric) => [metric.key, metric.step, metric.timestamp]),
    data.params.length,
    data.tags.map((tag) => [tag.key, tag.value]),
  ]);
}

function modelPrint(model: RegisteredModel): unknown {
  return [model.name, model.last_updated_timestamp ?? null, (model.latest_versions ?? []).map((version) => [version.version, version.current_stage ?? '', version.status ?? '']), model.aliases ?? []];
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

function isRegistryFailure(error: unknown): boolean {
  if (!(error instanceof MlflowApiError)) return false;
  if (error.code === 'ENDPOINT_NOT_FOUND' || error.code === 'NOT_IMPLEMENTED') return true;
  const lost = error.code === 'UNREACHABLE' || error.status === 502 || error.status === 503 || error.status === 504;
  const refused = error.status === 401 || error.status === 403;
  return !lost && !refused;
}
