// Reads everything a copy should carry from one MLflow server, call by call through the REST API, into a plain
// object that two servers can be compared by (assert.deepStrictEqual). What is left out or normalized, and why:
//   - ids (experiment, run, logged model ids): each server makes its own; runs and logged models are keyed by
//     the id they came from (the copy's runboard.copy.* tag, else their own id), and references to them
//     (mlflow.parentRunId, a version's run and logged model, a run's model outputs) use those keys;
//   - artifact locations (experiments' artifact_location, runs' artifact_uri, logged models' artifact_uri, a
//     version's source and storage location): each server stores files its own way; a version's source is
//     compared as what it points at (a run key plus a path in it, or a logged model key);
//   - the runboard.copy.* tags the copy leaves;
//   - exact repeats of a metric point (same step, timestamp and value): an mlruns/ file store of mlflow 3 lists
//     a point twice once a logged model links the run's metrics, while MLflow's SQL stores (its default since
//     3.7) and Runboard key points by (step, timestamp, value) and keep one; histories compare as sets;
//   - the times a server stamps itself when an object is created or changed (experiments', registered
//     models' and versions' creation and last-update times, logged models' creation and update times): the
//     REST API takes none of them.
// Everything else, artifact bytes included, is compared.
import { createHash } from 'node:crypto';
import { ROUTES } from '../../src/api/routes';
import type { KeyValue, ModelVersion } from '../../src/api/wire';
import { listTree, loggedModelArtifactReader, runArtifactReader, type ArtifactReader } from '../../src/client/copy/artifact-trees';
import { PARENT_RUN_TAG, SOURCE_MODEL_TAG, SOURCE_RUN_TAG, isCopyTag, tagValue } from '../../src/client/copy/copy-tags';
import { MlflowApiError, type Metric, type MlflowClient, type Run } from '../../src/client/mlflow-client';

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const sortedTags = (tags: KeyValue[] | undefined) => (tags ?? []).filter((tag) => !isCopyTag(tag.key)).sort(byKey);
const pointOrder = (a: Metric, b: Metric) => a.step - b.step || a.timestamp - b.timestamp || String(a.value).localeCompare(String(b.value));

async function tree(reader: ArtifactReader): Promise<Record<string, { size: number; sha256: string }>> {
  const out: Record<string, { size: number; sha256: string }> = {};
  for (const file of await listTree(reader)) {
    const bytes = await reader.read(file.path);
    out[file.path] = { size: file.size, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  return out;
}

interface LoggedModel {
  info: { model_id: string; name: string; artifact_uri?: string; status?: string; model_type?: string; source_run_id?: string; tags?: KeyValue[] };
  data?: { params?: KeyValue[]; metrics?: { key: string; value: unknown; timestamp: number; step?: number; run_id?: string; dataset_name?: string; dataset_digest?: string }[] };
}

async function loggedModelsOf(client: MlflowClient, experimentId: string): Promise<LoggedModel[]> {
  try {
    const body = await client.post<{ models?: LoggedModel[] }>('/mlflow/logged-models/search', { experiment_ids: [experimentId], max_results: 1000 });
    return body.models ?? [];
  } catch (error) {
    if (error instanceof MlflowApiError && error.code === 'ENDPOINT_NOT_FOUND') return []; // MLflow 2
    throw error;
  }
}

/** One version as model-versions/get has it (search leaves out aliases on mlflow server). */
async function getVersion(client: MlflowClient, name: string, version: string): Promise<ModelVersion> {
  return (await client.get<{ model_version: ModelVersion }>(ROUTES.modelVersions.get, { name, version })).model_version;
}

/** Everything of one server a copy carries, keyed by origin. `experiments` limits it to those names. */
export async function snapshot(client: MlflowClient, experimentNames?: string[]) {
  const experiments = (await client.searchExperiments({ viewType: 'ACTIVE_ONLY' })).items
    .filter((experiment) => !experimentNames || experimentNames.includes(experiment.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const runKey = new Map<string, string>();
  const modelKey = new Map<string, string>();
  const runsByExperiment: [string, Run[], LoggedModel[]][] = [];
  for (const experiment of experiments) {
    const runs: Run[] = [];
    let token: string | undefined;
    do {
      const page = await client.searchRuns({ experimentIds: [experiment.experiment_id], viewType: 'ALL', pageToken: token });
      runs.push(...page.items);
      token = page.nextPageToken;
    } while (token);
    for (const run of runs) runKey.set(run.info.run_id, tagValue(run.data.tags, SOURCE_RUN_TAG) ?? run.info.run_id);
    const models = await loggedModelsOf(client, experiment.experiment_id);
    for (const model of models) modelKey.set(model.info.model_id, tagValue(model.info.tags, SOURCE_MODEL_TAG) ?? model.info.model_id);
    runsByExperiment.push([experiment.name, runs, models]);
  }
  const key = (map: Map<string, string>, id: string | undefined) => (id ? (map.get(id) ?? `unknown:${id}`) : undefined);

  const out: Record<string, unknown> = {};
  for (const [name, runs, models] of runsByExperiment) {
    const experiment = experiments.find((candidate) => candidate.name === name)!;
    const runEntries: Record<string, unknown> = {};
    for (const run of runs) {
      const histories: Record<string, Metric[]> = {};
      for (const metric of run.data.metrics) {
        const points: Metric[] = [];
        for await (const page of client.metricHistory(run.info.run_id, metric.key)) points.push(...page.map(({ key, value, timestamp, step }) => ({ key, value, timestamp, step })));
        const unique = new Map(points.map((point) => [`${point.step}|${point.timestamp}|${point.value}`, point]));
        histories[metric.key] = [...unique.values()].sort(pointOrder);
      }
      // Every field of the run's info but its ids and artifact location.
      const info: Record<string, unknown> = { ...run.info };
      for (const field of ['run_id', 'run_uuid', 'experiment_id', 'artifact_uri']) delete info[field];
      runEntries[key(runKey, run.info.run_id)!] = {
        info,
        params: [...run.data.params].sort(byKey),
        tags: sortedTags(run.data.tags).map((tag) => (tag.key === PARENT_RUN_TAG ? { key: tag.key, value: key(runKey, tag.value) } : tag)),
        latestMetrics: run.data.metrics.map(({ key: metricKey, value, timestamp, step }) => ({ key: metricKey, value, timestamp, step })).sort(byKey),
        histories,
        datasets: (run.inputs.dataset_inputs ?? []).map((input) => ({ ...input, tags: [...(input.tags ?? [])].sort(byKey) })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        modelOutputs: (run.outputs.model_outputs ?? []).map((output) => ({ model: key(modelKey, output.model_id), step: output.step ?? 0 })),
        artifacts: await tree(runArtifactReader(client, run.info.run_id, run.info.artifact_uri)),
      };
    }
    const modelEntries: Record<string, unknown> = {};
    for (const model of models) {
      modelEntries[key(modelKey, model.info.model_id)!] = {
        name: model.info.name,
        status: model.info.status,
        modelType: model.info.model_type || undefined, // "" and absent are the same protobuf default on the wire
        sourceRun: key(runKey, model.info.source_run_id),
        params: [...(model.data?.params ?? [])].sort(byKey),
        metrics: (model.data?.metrics ?? [])
          .map((metric) => ({ key: metric.key, value: metric.value, timestamp: metric.timestamp, step: metric.step ?? 0, run: key(runKey, metric.run_id), dataset: [metric.dataset_name ?? '', metric.dataset_digest ?? ''] }))
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        tags: sortedTags(model.info.tags),
        artifacts: await tree(loggedModelArtifactReader(client, model.info.model_id, model.info.artifact_uri)),
      };
    }
    out[`experiment ${name}`] = { lifecycle: experiment.lifecycle_stage, tags: sortedTags(experiment.tags), runs: runEntries, loggedModels: modelEntries };
  }

  const registry: Record<string, unknown> = {};
  for (const model of (await client.searchRegisteredModels({ maxResults: 1000 })).items) {
    const versions = (await client.searchModelVersions({ filter: `name = '${model.name}'`, maxResults: 1000 })).items
      .filter((version) => version.name === model.name && (!experimentNames || (version.run_id && runKey.has(version.run_id))))
      .sort((a, b) => Number(a.version) - Number(b.version));
    if (experimentNames && versions.length === 0) continue;
    const runs = new Map(runsByExperiment.flatMap(([, runs]) => runs.map((run) => [run.info.run_id, run.info.artifact_uri ?? ''] as const)));
    registry[model.name] = {
      description: model.description ?? '',
      tags: sortedTags(model.tags),
      aliases: [...(model.aliases ?? [])].sort((a, b) => a.alias.localeCompare(b.alias)),
      versions: (await Promise.all(versions.map((version) => getVersion(client, version.name, version.version)))).map((version) => {
        const source = version.source ?? '';
        const loggedModel = /^models:\/(m-[^/]+)$/.exec(source)?.[1] ?? version.model_id;
        const root = (runs.get(version.run_id ?? '') ?? '').replace(/^file:\/\//, '');
        const inRun = root && source.replace(/^file:\/\//, '').startsWith(`${root}/`) ? source.replace(/^file:\/\//, '').slice(root.length + 1) : undefined;
        return {
          version: version.version,
          stage: version.current_stage,
          status: version.status,
          description: version.description ?? '',
          tags: sortedTags(version.tags),
          aliases: [...(version.aliases ?? [])].sort(),
          run: key(runKey, version.run_id),
          points_at: loggedModel ? `logged model ${key(modelKey, loggedModel)}` : inRun !== undefined ? `run path ${inRun}` : `other ${source}`,
        };
      }),
    };
  }
  out.registry = registry;
  return out;
}

/** Counts that must not grow when a copy runs again: runs, metric points, artifact files (runs' and logged models'), versions. */
export function counts(snap: Awaited<ReturnType<typeof snapshot>>): { runs: number; points: number; files: number; versions: number } {
  let runs = 0;
  let points = 0;
  let files = 0;
  for (const [name, value] of Object.entries(snap)) {
    if (!name.startsWith('experiment ')) continue;
    const experiment = value as { runs: Record<string, { histories: Record<string, unknown[]>; artifacts: object }>; loggedModels: Record<string, { artifacts: object }> };
    for (const run of Object.values(experiment.runs)) {
      runs += 1;
      points += Object.values(run.histories).reduce((sum, history) => sum + history.length, 0);
      files += Object.keys(run.artifacts).length;
    }
    for (const model of Object.values(experiment.loggedModels)) files += Object.keys(model.artifacts).length;
  }
  const versions = Object.values(snap.registry as Record<string, { versions: unknown[] }>).reduce((sum, model) => sum + model.versions.length, 0);
  return { runs, points, files, versions };
}
