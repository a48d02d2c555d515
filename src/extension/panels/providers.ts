/**
 * The four panels' providers: what each loads from the server, which backend changes concern it, and
 * which webview requests it answers.
 */
import type { MlflowClient, Run } from '../../client/mlflow-client';
import type {
  ArtifactsListing,
  ChartsData,
  CompareData,
  DetailsArgs,
  DetailsData,
  HostMessage,
  PanelArgsMap,
  PanelDataMap,
  SweepArgs,
  SweepData,
  WebviewMessage,
} from '../../webview/protocol';
import type { DataChange } from '../services';
import { loggedModelArtifactPaths, runLabel } from '../trees/format';
import { artifactDataUrl, childRuns, ExperimentNames, getRuns, listArtifactsTree, metricKeysOf, NOTE_TAG, runRecord, runSummary, tagOf } from './data';
import { LiveSeries } from './live-series';
import { MetricStatsTracker } from './metric-stats';
import type { PanelProvider, PanelSession } from './panel-controller';

const ARTIFACTS_REFRESH_MS = 5000;
const CHILD_COUNT_REFRESH_MS = 10_000;
const MAX_SWEEP_TRIALS = 5000;

function concerns(change: DataChange, runIds: Iterable<string>): boolean {
  if (change.kind === 'all') return true;
  if (change.kind !== 'run') return false;
  if (change.id === undefined) return true;
  for (const id of runIds) if (id === change.id) return true;
  return false;
}

// ------------------------------------------------------------ run details

export class DetailsProvider implements PanelProvider<'details'> {
  readonly kind = 'details';
  private readonly stats: MetricStatsTracker;
  private artifacts: { at: number; status: string; listing: ArtifactsListing } | undefined;
  private children: { at: number; count: number } | undefined;
  private artifactUri = '';
  private readonly sizes = new Map<string, number>();

  constructor(
    readonly args: DetailsArgs,
    private readonly session: PanelSession,
    private readonly names: ExperimentNames,
  ) {
    this.stats = new MetricStatsTracker(args.runId, () => session.reload(), (message) => session.services.log.debug(message));
  }

  title(data: DetailsData | undefined): string {
    return data ? `Run ${runLabel(data.run.name, data.run.runId)}` : 'Run';
  }

  async load(client: MlflowClient): Promise<DetailsData> {
    const run = await client.getRun(this.args.runId);
    this.artifactUri = run.info.artifact_uri ?? '';
    const parentId = tagOf(run, 'mlflow.parentRunId');
    const [experimentName, parentName, childCount, metrics, artifacts] = await Promise.all([
      this.names.of(client, run.info.experiment_id),
      parentId ? client.getRun(parentId).then((p) => runLabel(p.info.run_name, p.info.run_id), () => undefined) : Promise.resolve(undefined),
      this.childCount(client, run),
      this.stats.update(client, run),
      this.artifactListing(client, run),
    ]);
    const data: DetailsData = {
      run: runSummary(run, experimentName),
      artifactUri: this.artifactUri,
      params: [...run.data.params].sort((a, b) => a.key.localeCompare(b.key)),
      tags: [...run.data.tags].sort((a, b) => Number(a.key.startsWith('mlflow.')) - Number(b.key.startsWith('mlflow.')) || a.key.localeCompare(b.key)),
      note: tagOf(run, NOTE_TAG) ?? '',
      metrics,
      artifacts,
      childCount,
    };
    if (parentName) data.parentName = parentName;
    return data;
  }

  affectedBy(change: DataChange): boolean {
    if (change.kind === 'all') {
      this.artifacts = undefined;
      this.children = undefined;
    }
    return concerns(change, [this.args.runId]);
  }

  async handle(message: WebviewMessage, client: MlflowClient): Promise<HostMessage | undefined> {
    switch (message.type) {
      case 'saveNote': {
        if (message.runId !== this.args.runId) return { type: 'result', requestId: message.requestId, ok: false, error: 'This panel shows another run.' };
        await client.setTag(message.runId, NOTE_TAG, message.content);
        this.session.reload();
        return { type: 'result', requestId: message.requestId, ok: true };
      }
      case 'requestArtifact': {
        const dataUrl = await artifactDataUrl(client, this.artifactUri, message.path, this.sizes.get(message.path));
        return { type: 'artifact', requestId: message.requestId, runId: message.runId, path: message.path, dataUrl };
      }
      default:
        return undefined;
    }
  }

  onClientChanged(): void {
    this.stats.reset();
    this.artifacts = undefined;
    this.children = undefined;
  }

  private async childCount(client: MlflowClient, run: Run): Promise<number> {
    if (this.children && Date.now() - this.children.at < CHILD_COUNT_REFRESH_MS) return this.children.count;
    try {
      const page = await client.searchRuns({ experimentIds: [run.info.experiment_id], filter: `tags.mlflow.parentRunId = '${run.info.run_id}'`, maxResults: 1000 });
      this.children = { at: Date.now(), count: page.items.length };
      return page.items.length;
    } catch {
      return this.children?.count ?? 0;
    }
  }

  private async artifactListing(client: MlflowClient, run: Run): Promise<ArtifactsListing> {
    const cached = this.artifacts;
    // Artifacts mostly arrive at the end of a run: list again when it ends, else every few seconds.
    if (cached && cached.status === run.info.status && Date.now() - cached.at < ARTIFACTS_REFRESH_MS) return cached.listing;
    let listing: ArtifactsListing;
    try {
      listing = await listArtifactsTree(client, run.info.run_id, new Set(loggedModelArtifactPaths(tagOf(run, 'mlflow.log-model.history'))));
    } catch (error) {
      listing = { entries: [], truncated: false, error: error instanceof Error ? error.message : String(error) };
    }
    this.sizes.clear();
    for (const entry of listing.entries) if (entry.size !== undefined) this.sizes.set(entry.path, entry.size);
    this.artifacts = { at: Date.now(), status: run.info.status, listing };
    return listing;
  }
}

// ------------------------------------------------------------ charts and compare

/**
 * Charts and compare panels show the same thing of a fixed set of runs (their records and metric keys) and
 * keep the curves they draw live; they differ only in kind and title.
 */
abstract class RunSetProvider<K extends 'charts' | 'compare'> implements PanelProvider<K> {
  abstract readonly kind: K;
  private readonly live: LiveSeries;

  constructor(
    readonly args: PanelArgsMap[K],
    session: PanelSession,
    private readonly names: ExperimentNames,
  ) {
    this.live = new LiveSeries((message) => session.post(message));
  }

  abstract title(data: PanelDataMap[K] | undefined): string;

  async load(client: MlflowClient): Promise<ChartsData & CompareData> {
    const { runs, missing } = await getRuns(client, this.args.runIds);
    const records = await Promise.all(runs.map(async (run) => runRecord(run, await this.names.of(client, run.info.experiment_id))));
    return { runs: records, metricKeys: metricKeysOf(runs), missing };
  }

  affectedBy(change: DataChange): boolean {
    return concerns(change, this.args.runIds);
  }

  async afterChange(change: DataChange, client: MlflowClient): Promise<void> {
    const runIds = change.kind === 'run' && change.id !== undefined ? [change.id] : [...this.live.heldRuns()];
    for (const runId of runIds) await this.live.runChanged(client, runId);
  }

  async handle(message: WebviewMessage, client: MlflowClient): Promise<HostMessage | undefined> {
    return message.type === 'requestSeries' ? this.live.request(client, message) : undefined;
  }

  onWebviewReset(): void {
    this.live.reset();
  }

  onClientChanged(): void {
    this.live.reset();
  }
}

export class ChartsProvider extends RunSetProvider<'charts'> {
  readonly kind = 'charts';

  title(data: ChartsData | undefined): string {
    if (!data) return 'Metric Charts';
    const only = data.runs.length === 1 ? data.runs[0] : undefined;
    return only ? `Charts ${runLabel(only.name, only.runId)}` : `Charts of ${data.runs.length} runs`;
  }
}

export class CompareProvider extends RunSetProvider<'compare'> {
  readonly kind = 'compare';

  title(data: CompareData | undefined): string {
    return `Compare ${data?.runs.length ?? this.args.runIds.length} Runs`;
  }
}

// ------------------------------------------------------------ sweep

export type RegisterBest = (client: MlflowClient, runId: string, context: { parentRunId: string; metric: string; direction: 'min' | 'max' }) => Promise<void>;

export class SweepProvider implements PanelProvider<'sweep'> {
  readonly kind = 'sweep';
  private readonly known = new Set<string>();
  private parentRunning = false;

  constructor(
    readonly args: SweepArgs,
    private readonly names: ExperimentNames,
    private readonly registerBest: RegisterBest,
  ) {
    this.known.add(args.parentRunId);
  }

  title(data: SweepData | undefined): string {
    return data ? `Sweep ${runLabel(data.parent.name, data.parent.runId)}` : 'Sweep';
  }

  async load(client: MlflowClient): Promise<SweepData> {
    const parent = await client.getRun(this.args.parentRunId);
    const [experimentName, children] = await Promise.all([this.names.of(client, parent.info.experiment_id), childRuns(client, parent, MAX_SWEEP_TRIALS)]);
    this.parentRunning = parent.info.status === 'RUNNING';
    for (const child of children.runs) this.known.add(child.info.run_id);
    return {
      parent: runRecord(parent, experimentName),
      children: children.runs.map((run) => runRecord(run, experimentName)),
      metricKeys: metricKeysOf(children.runs),
      truncated: children.truncated,
    };
  }

  affectedBy(change: DataChange): boolean {
    // While the sweep runs, a run we do not know yet may be its next trial.
    if (change.kind === 'run' && change.id !== undefined && this.parentRunning) return true;
    return concerns(change, this.known);
  }

  async handle(message: WebviewMessage, client: MlflowClient): Promise<HostMessage | undefined> {
    if (message.type !== 'registerBestModel') return undefined;
    if (message.parentRunId !== this.args.parentRunId || !this.known.has(message.runId)) {
      return { type: 'result', requestId: message.requestId, ok: false, error: 'That run is not a trial of this sweep.' };
    }
    await this.registerBest(client, message.runId, { parentRunId: message.parentRunId, metric: message.metric, direction: message.direction });
    return { type: 'result', requestId: message.requestId, ok: true };
  }
}
