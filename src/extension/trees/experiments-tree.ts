import * as vscode from 'vscode';
import type { Experiment, FileInfo, ViewType } from '../../api/wire';
import type { Metric, MlflowClient, Run } from '../../client/mlflow-client';
import { parentPath } from '../artifact-paths';
import { artifactUri } from '../artifact-fs';
import type { DataChange, Services } from '../services';
import {
  baseName,
  childRunsFilter,
  experimentContextValue,
  fileSizeOf,
  firstLine,
  formatBytes,
  formatDuration,
  formatMetricValue,
  isSystemTag,
  loggedModelArtifactPaths,
  RUNS_ORDER_BY,
  runContextValue,
  runFingerprint,
  runLabel,
  runStatusIcon,
  sortByKey,
  sortTags,
  summarizeMetrics,
  topLevelRunsFilter,
  truncate,
} from './format';
import { errorMessage, formatTimestamp, isConnectionLost, LoadRetry, messageItem, messageNode, runsPageSize, Tooltip, type MessageNode } from './tree-util';

// ------------------------------------------------------------ nodes

export class ExperimentNode {
  readonly kind = 'experiment';
  readonly id: string;
  readonly runs: RunList;

  constructor(public experiment: Experiment) {
    this.id = `experiment:${experiment.experiment_id}`;
    this.runs = newRunList(this);
  }
}

export class RunNode {
  readonly kind = 'run';
  readonly id: string;
  /** Nested runs (tags.mlflow.parentRunId = this run). */
  readonly children: RunList;
  readonly groups: readonly GroupNode[];
  /** Artifact folders by run-relative path ('' = the Artifacts group). */
  readonly artifactDirs = new Map<string, ArtifactListing>();

  constructor(
    public run: Run,
    readonly parent: ExperimentNode | RunNode,
  ) {
    this.id = `run:${run.info.run_id}`;
    this.children = newRunList(this);
    this.groups = (['params', 'metrics', 'tags', 'artifacts'] as const).map((group) => ({ kind: 'group', id: `${this.id}/group:${group}`, group, run: this }));
  }
}

export interface LoadMoreNode {
  readonly kind: 'loadMore';
  readonly id: string;
  readonly parent: ExperimentNode | RunNode;
}

export type GroupKind = 'params' | 'metrics' | 'tags' | 'artifacts';

export interface GroupNode {
  readonly kind: 'group';
  readonly id: string;
  readonly group: GroupKind;
  readonly run: RunNode;
}

export interface ValueNode {
  readonly kind: 'param' | 'metric' | 'tag';
  readonly id: string;
  readonly key: string;
  readonly value: string;
  readonly metric?: Metric;
  readonly run: RunNode;
  readonly parent: GroupNode;
}

export class ArtifactNode {
  readonly kind = 'artifact';
  readonly id: string;
  /** A folder that holds an MLmodel file (can be registered as a model). */
  isModel = false;

  constructor(
    readonly run: RunNode,
    public file: FileInfo,
    readonly parent: GroupNode | ArtifactNode,
  ) {
    this.id = `run:${run.run.info.run_id}/artifact:${file.path}`;
  }
}

export type ExperimentsNode = ExperimentNode | RunNode | LoadMoreNode | GroupNode | ValueNode | ArtifactNode | MessageNode;

interface RunList {
  nodes: RunNode[];
  nextPageToken: string | undefined;
  /** Pages loaded: a refresh reloads as many, so "Load more" progress survives it. */
  pages: number;
  state: 'unloaded' | 'loaded' | 'stale';
  /** Loaded at least once: a lost connection then keeps its rows on screen. */
  shown: boolean;
  loading: Promise<void> | undefined;
  loadingMore: Promise<void> | undefined;
  error: string | undefined;
  readonly loadMore: LoadMoreNode;
  /** Runs whose change made the list reload, by id → status: if a reload leaves one out... */
  expected: Map<string, string>;
  /** ...it stays out (filtered, or on a later page) until its status changes or everything refreshes. */
  skipped: Map<string, string>;
}

interface ArtifactListing {
  nodes: ArtifactNode[];
  /** `stale`: reload when next shown (after a collapse, or when the run changed). */
  state: 'loaded' | 'stale';
  /** The row the listing is the children of: the Artifacts group or a folder. */
  readonly owner: GroupNode | ArtifactNode;
}

const GROUP_LABELS: Record<GroupKind, string> = { params: 'Parameters', metrics: 'Metrics', tags: 'Tags', artifacts: 'Artifacts' };
const GROUP_ICONS: Record<GroupKind, string> = { params: 'symbol-parameter', metrics: 'graph-line', tags: 'tag', artifacts: 'folder-library' };
const NOTE_TAG = 'mlflow.note.content';
const PARENT_TAG = 'mlflow.parentRunId';
const FILTER_KEY = 'runboard.experiments.filter';
const SHOW_DELETED_KEY = 'runboard.experiments.showDeleted';
const MAX_EXPERIMENT_PAGES = 50;

function tagValue(run: Run, key: string): string | undefined {
  return run.data.tags.find((tag) => tag.key === key)?.value;
}

/**
 * The Experiments view: experiments → top-level runs (paged, newest first, the user's filter applied) →
 * nested runs, then Parameters / Metrics / Tags / Artifacts groups. Node objects are kept and reused by id
 * so a refresh of one run (while it logs) repaints only that row and keeps every expansion.
 */
export class ExperimentsTree implements vscode.TreeDataProvider<ExperimentsNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ExperimentsNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly retry = new LoadRetry(() => this.retryFailed());
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter, this.retry];
  private experimentNodes = new Map<string, ExperimentNode>();
  private rootState: 'unloaded' | 'loaded' | 'stale' = 'unloaded';
  private rootLoading: Promise<void> | undefined;
  /** Bumped when the client changes: what a load begun for the previous client finds is dropped, not shown. */
  private generation = 0;
  private rootError: string | undefined;
  /** The experiments loaded at least once: a lost connection then keeps them on screen. */
  private rootShown = false;
  /** Every run row currently in a loaded list, by run id. */
  private readonly runNodes = new Map<string, RunNode>();
  private syncing: Promise<void> | undefined;
  private syncQueued: 'root' | 'full' | undefined;
  private treeView: vscode.TreeView<ExperimentsNode> | undefined;
  private currentFilter: string | undefined;
  private deletedShown: boolean;

  constructor(
    private readonly services: Services,
    private readonly memento: vscode.Memento,
  ) {
    this.currentFilter = memento.get<string>(FILTER_KEY) || undefined;
    this.deletedShown = memento.get<boolean>(SHOW_DELETED_KEY, false);
    this.disposables.push(
      services.onDidChangeClient(() => this.reset()),
      services.onDidChangeData((change) => void this.onDataChanged(change)),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('runboard.runs.pageSize')) this.reload({ resetPages: true });
      }),
    );
    this.updateContext();
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** The TreeView that shows this provider (for its description and selection). */
  attach(view: vscode.TreeView<ExperimentsNode>): void {
    this.treeView = view;
    this.disposables.push(view.onDidCollapseElement((event) => this.onCollapsed(event.element)));
    this.updateContext();
  }

  get view(): vscode.TreeView<ExperimentsNode> | undefined {
    return this.treeView;
  }

  get filter(): string | undefined {
    return this.currentFilter;
  }

  get showDeleted(): boolean {
    return this.deletedShown;
  }

  /** Ids of the experiments listed, active first (the filter check asks the server against one). */
  experimentIds(): string[] {
    const nodes = [...this.experimentNodes.values()];
    return [...nodes.filter((n) => n.experiment.lifecycle_stage !== 'deleted'), ...nodes.filter((n) => n.experiment.lifecycle_stage === 'deleted')].map((n) => n.experiment.experiment_id);
  }

  async setFilter(filter: string | undefined): Promise<void> {
    this.currentFilter = filter?.trim() || undefined;
    await this.memento.update(FILTER_KEY, this.currentFilter);
    this.updateContext();
    this.reload({ resetPages: true });
  }

  async setShowDeleted(show: boolean): Promise<void> {
    this.deletedShown = show;
    await this.memento.update(SHOW_DELETED_KEY, show);
    this.updateContext();
    this.reload({ resetPages: true });
  }

  /**
   * Reloads everything, repainting the whole view: for changes that touch every row (filter, show deleted,
   * page size). Data changes go through `sync` instead, which repaints only what changed.
   */
  reload(options: { resetPages?: boolean } = {}): void {
    this.markAllStale(options.resetPages);
    this.changeEmitter.fire(undefined);
  }

  /** What the lead's debounced change events (and this view's own commands) report. */
  async onDataChanged(change: DataChange): Promise<void> {
    if (change.kind === 'model' || !this.services.client) return;
    if (change.kind === 'run' && change.id !== undefined) return this.refreshRun(change.id);
    return this.scheduleSync(change.kind === 'experiment' ? 'root' : 'full');
  }

  /**
   * Brings the shown rows up to date and repaints only rows whose data changed. Repainting a row makes VS
   * Code drop and re-ask its children, and a click on a child in that moment finds nothing (an expanded
   * row with no children): so unchanged rows are never repainted.
   */
  private scheduleSync(scope: 'root' | 'full'): Promise<void> {
    if (this.syncing) {
      this.syncQueued = this.syncQueued === 'full' || scope === 'full' ? 'full' : 'root';
      return this.syncing;
    }
    this.syncing = (async () => {
      let next: 'root' | 'full' | undefined = scope;
      while (next) {
        this.syncQueued = undefined;
        try {
          await this.sync(next);
        } catch (error) {
          this.services.log.warn(`Runboard: could not refresh the Experiments view: ${errorMessage(error)}`);
        }
        next = this.syncQueued;
      }
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async sync(scope: 'root' | 'full'): Promise<void> {
    const client = this.services.client;
    if (!client || this.rootState === 'unloaded') return; // nothing shown yet: the first getChildren loads
    const before = this.rootSignature();
    if (this.rootState === 'loaded') this.rootState = 'stale';
    const generation = this.generation;
    await this.loadRoot(client);
    if (generation !== this.generation) return; // another client since: reset() reloads everything
    if (this.rootSignature() !== before) {
      this.markAllStale(false, { keepRoot: true });
      this.changeEmitter.fire(undefined);
      return;
    }
    if (scope === 'root') return;
    for (const experiment of this.experimentNodes.values()) {
      if (generation !== this.generation) return;
      await this.syncList(client, experiment);
    }
  }

  /** Reloads a shown run list; repaints its owner when the rows changed, else each run row that changed. */
  private async syncList(client: MlflowClient, owner: ExperimentNode | RunNode): Promise<void> {
    const list = this.listOf(owner);
    // Unloaded or stale: not shown, or reloads when next shown. A list that failed is shown (as an error row): retry it.
    if (list.state === 'unloaded' || (list.state === 'stale' && list.error === undefined)) return;
    const before = listSignature(list);
    const prints = new Map(list.nodes.map((node) => [node.run.info.run_id, runFingerprint(node.run)]));
    list.state = 'stale';
    list.loading ??= this.loadRunList(client, owner, list).finally(() => (list.loading = undefined));
    await list.loading;
    if (listSignature(list) !== before) {
      this.changeEmitter.fire(owner);
      return;
    }
    if (list.error !== undefined) return; // still failing: the error row stays
    for (const node of list.nodes) {
      if (prints.get(node.run.info.run_id) !== runFingerprint(node.run)) {
        this.markArtifactsStale(node);
        this.changeEmitter.fire(node);
        continue;
      }
      await this.syncList(client, node);
      await this.syncArtifacts(client, node);
    }
  }

  /** Artifacts send no change events: shown listings are compared on each sync. */
  private async syncArtifacts(client: MlflowClient, runNode: RunNode): Promise<void> {
    for (const [path, listing] of [...runNode.artifactDirs]) {
      if (listing.state !== 'loaded') continue;
      const before = artifactSignature(listing.nodes);
      listing.state = 'stale';
      await this.artifactChildren(client, runNode, listing.owner);
      const after = runNode.artifactDirs.get(path);
      if (!after || after.state !== 'loaded' || artifactSignature(after.nodes) !== before) this.changeEmitter.fire(listing.owner);
    }
  }

  /** A collapsed row's lists reload when it is expanded again, and are not kept up to date meanwhile. */
  private onCollapsed(node: ExperimentsNode): void {
    if (node.kind === 'experiment') this.markStale(node.runs);
    else if (node.kind === 'run') {
      this.markStale(node.children);
      this.markArtifactsStale(node);
    } else if (node.kind === 'group' && node.group === 'artifacts') this.markArtifactsStale(node.run);
    else if (node.kind === 'artifact') {
      for (const [path, listing] of node.run.artifactDirs) if (path === node.file.path || path.startsWith(`${node.file.path}/`)) listing.state = 'stale';
    }
  }

  private markArtifactsStale(node: RunNode): void {
    for (const listing of node.artifactDirs.values()) listing.state = 'stale';
  }

  private rootSignature(): string {
    const experiments = [...this.experimentNodes.values()].map((n) => [n.experiment.experiment_id, n.experiment.name, n.experiment.lifecycle_stage, n.experiment.artifact_location ?? '']);
    return JSON.stringify([this.rootError ?? null, experiments]);
  }

  private markAllStale(resetPages = false, options: { keepRoot?: boolean } = {}): void {
    if (this.rootState === 'loaded' && !options.keepRoot) this.rootState = 'stale';
    for (const experiment of this.experimentNodes.values()) this.markStale(experiment.runs, resetPages);
    for (const run of this.runNodes.values()) {
      this.markStale(run.children, resetPages);
      this.markArtifactsStale(run);
    }
  }

  /** One run changed: repaint its row (and its groups), or reload the list it appears in or joins. */
  async refreshRun(runId: string): Promise<void> {
    const client = this.services.client;
    if (!client) return;
    let run: Run;
    try {
      run = await client.getRun(runId);
    } catch (error) {
      // Gone for good (or the server is restarting): reload the list that showed it, if any.
      const node = this.runNodes.get(runId);
      if (node) this.reloadList(node.parent);
      this.services.log.debug(`Runboard: could not refresh run ${runId}: ${errorMessage(error)}`);
      return;
    }
    const node = this.runNodes.get(runId);
    const hidden = run.info.lifecycle_stage === 'deleted' && !this.deletedShown;
    if (node) {
      if (hidden) return this.reloadList(node.parent);
      const changed = runFingerprint(node.run) !== runFingerprint(run);
      node.run = run;
      if (changed) {
        this.markArtifactsStale(node);
        this.changeEmitter.fire(node);
      }
      return;
    }
    if (hidden) return;
    // A run the view does not show yet: its list (if loaded) reloads, unless the run would not show in it.
    const parentId = tagValue(run, PARENT_TAG);
    const parent = parentId ? this.runNodes.get(parentId) : this.experimentNodes.get(run.info.experiment_id);
    if (parent) {
      const list = this.listOf(parent);
      if (list.state === 'unloaded' || list.skipped.get(runId) === run.info.status) return;
      const oldest = list.nodes[list.nodes.length - 1]?.run.info.start_time;
      if (list.nextPageToken && oldest !== undefined && (run.info.start_time ?? 0) < oldest) return; // on a page not loaded
      list.expected.set(runId, run.info.status);
      this.reloadList(parent);
    } else if (!parentId && !this.experimentNodes.has(run.info.experiment_id)) await this.scheduleSync('root');
  }

  /** The next page of a run list ("Load more runs…"). */
  async loadMore(node: LoadMoreNode): Promise<void> {
    const owner = node.parent;
    const list = this.listOf(owner);
    const client = this.services.client;
    if (!client || !list.nextPageToken) return;
    if (list.loadingMore) return list.loadingMore;
    const token = list.nextPageToken;
    list.loadingMore = (async () => {
      try {
        const page = await vscode.window.withProgress({ location: { viewId: 'runboard.experiments' } }, () => client.searchRuns(this.runQuery(owner, token)));
        const known = new Set(list.nodes.map((n) => n.run.info.run_id));
        list.nodes.push(...page.items.filter((run) => !known.has(run.info.run_id)).map((run) => this.runNode(run, owner)));
        list.nextPageToken = page.nextPageToken;
        list.pages++;
      } catch (error) {
        this.reportError(`Could not load more runs: ${errorMessage(error)}`, error);
      } finally {
        list.loadingMore = undefined;
        this.changeEmitter.fire(owner);
      }
    })();
    return list.loadingMore;
  }

  /** A filter the server accepts, or its error message (checked against one experiment, one run). */
  async validateFilter(filter: string): Promise<string | undefined> {
    const client = this.services.client;
    if (!client) return 'The tracking server is not running.';
    if (filter.trim() === '') return undefined;
    try {
      await client.searchRuns({ experimentIds: [this.experimentIds()[0] ?? '0'], filter, maxResults: 1 });
      return undefined;
    } catch (error) {
      return errorMessage(error);
    }
  }

  // ------------------------------------------------------------ TreeDataProvider

  getTreeItem(node: ExperimentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'experiment':
        return this.experimentItem(node);
      case 'run':
        return this.runItem(node);
      case 'loadMore':
        return this.loadMoreItem(node);
      case 'group':
        return this.groupItem(node);
      case 'param':
      case 'metric':
      case 'tag':
        return this.valueItem(node);
      case 'artifact':
        return this.artifactItem(node);
      case 'message':
        return messageItem(node);
    }
  }

  async getChildren(node?: ExperimentsNode): Promise<ExperimentsNode[]> {
    const client = this.services.client;
    if (!client) return [];
    if (!node) return this.rootChildren(client);
    switch (node.kind) {
      case 'experiment':
        return this.runListChildren(client, node);
      case 'run': {
        const children = await this.runListChildren(client, node);
        return [...children, ...node.groups];
      }
      case 'group':
        return this.groupChildren(client, node);
      case 'artifact':
        return node.file.is_dir ? this.artifactChildren(client, node.run, node) : [];
      default:
        return [];
    }
  }

  getParent(node: ExperimentsNode): ExperimentsNode | undefined {
    switch (node.kind) {
      case 'experiment':
        return undefined;
      case 'run':
      case 'loadMore':
      case 'param':
      case 'metric':
      case 'tag':
      case 'artifact':
        return node.parent;
      case 'group':
        return node.run;
      case 'message':
        return node.parent as ExperimentsNode | undefined;
    }
  }

  // ------------------------------------------------------------ loading

  private async rootChildren(client: MlflowClient): Promise<ExperimentsNode[]> {
    if (this.rootState !== 'loaded') {
      await this.loadRoot(client);
    }
    if (this.rootError !== undefined) return [messageNode('experiments', undefined, `Could not load experiments: ${this.rootError}`, 'error', this.rootError)];
    const nodes = [...this.experimentNodes.values()];
    const byName = (a: ExperimentNode, b: ExperimentNode) => a.experiment.name.localeCompare(b.experiment.name);
    const deleted = (n: ExperimentNode) => n.experiment.lifecycle_stage === 'deleted';
    return [...nodes.filter((n) => !deleted(n)).sort(byName), ...nodes.filter(deleted).sort(byName)];
  }

  /** The root's load in flight, or a new one: one at a time, and one per client. */
  private loadRoot(client: MlflowClient): Promise<void> {
    if (!this.rootLoading) {
      const loading = this.loadExperiments(client).finally(() => {
        if (this.rootLoading === loading) this.rootLoading = undefined;
      });
      this.rootLoading = loading;
    }
    return this.rootLoading;
  }

  private async loadExperiments(client: MlflowClient): Promise<void> {
    const generation = this.generation;
    try {
      const experiments: Experiment[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await client.searchExperiments({ viewType: this.viewType(), maxResults: 1000, pageToken });
        experiments.push(...page.items);
        pageToken = page.nextPageToken;
      } while (pageToken && ++pages < MAX_EXPERIMENT_PAGES);
      if (generation !== this.generation) return;
      const next = new Map<string, ExperimentNode>();
      for (const experiment of experiments) {
        const id = experiment.experiment_id;
        const existing = this.experimentNodes.get(id);
        if (existing) existing.experiment = experiment;
        next.set(id, existing ?? new ExperimentNode(experiment));
      }
      for (const [id, node] of this.experimentNodes) if (!next.has(id)) this.forgetList(node.runs);
      this.experimentNodes = next;
      this.rootState = 'loaded';
      this.rootError = undefined;
      this.rootShown = true;
      this.retry.succeeded();
    } catch (error) {
      if (generation !== this.generation) return;
      if (isConnectionLost(error) && this.rootShown && this.rootError === undefined) {
        // Keep what is on screen (the views say it is stale); the refresh after the reconnect reloads it.
        this.rootState = 'loaded';
        this.services.log.warn(`Runboard: could not refresh experiments, keeping what is shown: ${errorMessage(error)}`);
        return;
      }
      this.rootError = errorMessage(error);
      this.rootState = 'stale';
      this.services.log.warn(`Runboard: could not load experiments: ${this.rootError}`);
      this.retry.failed(error);
    }
  }

  private async runListChildren(client: MlflowClient, owner: ExperimentNode | RunNode): Promise<ExperimentsNode[]> {
    const list = this.listOf(owner);
    if (list.state !== 'loaded') {
      list.loading ??= this.loadRunList(client, owner, list).finally(() => (list.loading = undefined));
      await list.loading;
    }
    const ownerId = owner.id;
    if (list.error !== undefined) return [messageNode(ownerId, owner, `Could not load runs: ${list.error}`, 'error', list.error)];
    const rows: ExperimentsNode[] = [...list.nodes];
    if (list.nextPageToken) rows.push(list.loadMore);
    if (owner.kind === 'experiment' && list.nodes.length === 0) {
      rows.push(messageNode(ownerId, owner, this.currentFilter ? 'No runs match the filter' : 'No runs yet', 'info', this.currentFilter ? `Filter: ${this.currentFilter}` : undefined));
    }
    return rows;
  }

  private async loadRunList(client: MlflowClient, owner: ExperimentNode | RunNode, list: RunList): Promise<void> {
    const generation = this.generation;
    try {
      const runs: Run[] = [];
      let pageToken: string | undefined;
      const pages = Math.max(1, list.pages);
      let loaded = 0;
      do {
        const page = await client.searchRuns(this.runQuery(owner, pageToken));
        runs.push(...page.items);
        pageToken = page.nextPageToken;
        loaded++;
      } while (pageToken && loaded < pages);
      if (generation !== this.generation) return; // a list of the previous client's
      const previous = list.nodes;
      const seen = new Set<string>();
      list.nodes = [];
      for (const run of runs) {
        if (seen.has(run.info.run_id)) continue;
        seen.add(run.info.run_id);
        list.nodes.push(this.runNode(run, owner));
      }
      for (const node of previous) if (!seen.has(node.run.info.run_id)) this.forgetRun(node);
      list.nextPageToken = pageToken;
      list.pages = loaded;
      list.state = 'loaded';
      list.error = undefined;
      for (const [runId, status] of list.expected) if (!seen.has(runId)) list.skipped.set(runId, status);
      for (const runId of seen) list.skipped.delete(runId);
      list.expected.clear();
      list.shown = true;
      this.retry.succeeded();
    } catch (error) {
      if (generation !== this.generation) return;
      if (isConnectionLost(error) && list.shown && list.error === undefined) {
        list.state = 'loaded'; // keep the rows shown; the refresh after the reconnect reloads them
        this.services.log.warn(`Runboard: could not refresh runs, keeping what is shown: ${errorMessage(error)}`);
        return;
      }
      list.error = errorMessage(error);
      list.state = 'stale';
      this.services.log.warn(`Runboard: could not load runs: ${list.error}`);
      this.retry.failed(error);
    }
  }

  private runQuery(owner: ExperimentNode | RunNode, pageToken: string | undefined): Parameters<MlflowClient['searchRuns']>[0] {
    const experimentId = owner.kind === 'experiment' ? owner.experiment.experiment_id : owner.run.info.experiment_id;
    const filter = owner.kind === 'experiment' ? topLevelRunsFilter(this.currentFilter) : childRunsFilter(owner.run.info.run_id);
    return { experimentIds: [experimentId], filter, orderBy: RUNS_ORDER_BY, viewType: this.viewType(), maxResults: runsPageSize(), pageToken };
  }

  private groupChildren(client: MlflowClient, group: GroupNode): ExperimentsNode[] | Promise<ExperimentsNode[]> {
    const runNode = group.run;
    const run = runNode.run;
    const id = (kind: string, key: string) => `${group.id}/${kind}:${key}`;
    switch (group.group) {
      case 'params':
        return sortByKey(run.data.params).map((p) => ({ kind: 'param', id: id('param', p.key), key: p.key, value: p.value, run: runNode, parent: group }));
      case 'metrics':
        return sortByKey(run.data.metrics).map((m) => ({ kind: 'metric', id: id('metric', m.key), key: m.key, value: formatMetricValue(m.value), metric: m, run: runNode, parent: group }));
      case 'tags':
        return sortTags(run.data.tags).map((t) => ({ kind: 'tag', id: id('tag', t.key), key: t.key, value: t.value, run: runNode, parent: group }));
      case 'artifacts':
        return this.artifactChildren(client, runNode, group);
    }
  }

  private async artifactChildren(client: MlflowClient, runNode: RunNode, parent: GroupNode | ArtifactNode): Promise<ExperimentsNode[]> {
    const path = parent.kind === 'group' ? '' : parent.file.path;
    const listing = runNode.artifactDirs.get(path);
    if (listing?.state === 'loaded') return listing.nodes;
    let files: FileInfo[];
    try {
      files = await client.listArtifacts(runNode.run.info.run_id, path === '' ? undefined : path);
    } catch (error) {
      if (listing && isConnectionLost(error)) {
        listing.state = 'loaded';
        return listing.nodes;
      }
      const message = errorMessage(error);
      this.services.log.warn(`Runboard: could not list artifacts of run ${runNode.run.info.run_id}: ${message}`);
      return [messageNode(parent.id, parent, `Could not list artifacts: ${message}`, 'error', message)];
    }
    const modelPaths = new Set(loggedModelArtifactPaths(tagValue(runNode.run, 'mlflow.log-model.history')));
    const previous = new Map((listing?.nodes ?? []).map((node) => [node.file.path, node]));
    const nodes = files
      .map((file) => ({ ...file, path: file.path.replace(/^\/+|\/+$/g, '') }))
      .sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path))
      .map((file): ArtifactNode => {
        const existing = previous.get(file.path);
        if (existing) {
          existing.file = file;
          if (modelPaths.has(file.path)) existing.isModel = true;
          return existing;
        }
        const node = new ArtifactNode(runNode, file, parent);
        node.isModel = file.is_dir && modelPaths.has(file.path);
        return node;
      });
    runNode.artifactDirs.set(path, { nodes, state: 'loaded', owner: parent });
    // A folder found to hold an MLmodel shows as a model the next time it is painted.
    if (parent.kind === 'artifact' && files.some((file) => !file.is_dir && baseName(file.path) === 'MLmodel')) parent.isModel = true;
    return nodes;
  }

  // ------------------------------------------------------------ items

  private experimentItem(node: ExperimentNode): vscode.TreeItem {
    const { experiment } = node;
    const deleted = experiment.lifecycle_stage === 'deleted';
    const item = new vscode.TreeItem(experiment.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.contextValue = experimentContextValue(experiment.experiment_id, experiment.lifecycle_stage);
    item.iconPath = deleted ? new vscode.ThemeIcon('trash', new vscode.ThemeColor('disabledForeground')) : new vscode.ThemeIcon('beaker');
    const count = this.runCountText(node);
    item.description = [deleted ? 'deleted' : undefined, count].filter(Boolean).join(' · ') || undefined;
    item.tooltip = new Tooltip()
      .title(experiment.name)
      .field('ID', experiment.experiment_id, { code: true })
      .field('Artifact location', experiment.artifact_location, { code: true })
      .field('Created', formatTimestamp(experiment.creation_time))
      .field('State', deleted ? 'deleted' : undefined)
      .build();
    return item;
  }

  private runCountText(node: ExperimentNode): string | undefined {
    const list = node.runs;
    // Known only once the runs are loaded (and up to date: a filter change makes the old count wrong).
    if (list.state !== 'loaded' || list.error !== undefined) return undefined;
    const n = list.nodes.length;
    return `${n}${list.nextPageToken ? '+' : ''} ${n === 1 && !list.nextPageToken ? 'run' : 'runs'}`;
  }

  private runItem(node: RunNode): vscode.TreeItem {
    const { info, data } = node.run;
    const item = new vscode.TreeItem(runLabel(info.run_name, info.run_id), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.contextValue = runContextValue(info.status, info.lifecycle_stage);
    const icon = runStatusIcon(info.status, info.lifecycle_stage);
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.description = summarizeMetrics(data.metrics) || undefined;
    const start = info.start_time;
    const end = info.end_time;
    const duration = start ? formatDuration((end || Date.now()) - start) : undefined;
    const source = tagValue(node.run, 'mlflow.source.name');
    const note = tagValue(node.run, NOTE_TAG);
    const tooltip = new Tooltip()
      .title(runLabel(info.run_name, info.run_id))
      .field('Run ID', info.run_id, { code: true })
      .field('Status', info.lifecycle_stage === 'deleted' ? `${info.status} (deleted)` : info.status)
      .field('Started', formatTimestamp(start))
      .field(info.status === 'RUNNING' ? 'Running for' : 'Duration', duration)
      .field('User', info.user_id || tagValue(node.run, 'mlflow.user'))
      .field('Source', source ? `${source}${tagValue(node.run, 'mlflow.source.type') ? ` (${tagValue(node.run, 'mlflow.source.type')})` : ''}` : undefined)
      .field('Git commit', tagValue(node.run, 'mlflow.source.git.commit')?.slice(0, 12), { code: true });
    if (note) tooltip.field('Note', truncate(note, 500));
    item.tooltip = tooltip.build();
    return item;
  }

  private loadMoreItem(node: LoadMoreNode): vscode.TreeItem {
    const list = this.listOf(node.parent);
    const item = new vscode.TreeItem(list.loadingMore ? 'Loading runs…' : 'Load more runs…', vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.contextValue = 'loadMore';
    item.iconPath = new vscode.ThemeIcon(list.loadingMore ? 'loading~spin' : 'ellipsis');
    item.description = `${list.nodes.length} shown`;
    item.tooltip = `Load the next ${runsPageSize()} runs (setting runboard.runs.pageSize)`;
    item.command = { command: LOAD_MORE_COMMAND, title: 'Load More Runs', arguments: [node] };
    return item;
  }

  private groupItem(node: GroupNode): vscode.TreeItem {
    const data = node.run.run.data;
    const count = node.group === 'params' ? data.params.length : node.group === 'metrics' ? data.metrics.length : node.group === 'tags' ? data.tags.length : undefined;
    const label = count === undefined ? GROUP_LABELS[node.group] : `${GROUP_LABELS[node.group]} (${count})`;
    const state = count === 0 ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(label, state);
    item.id = node.id;
    item.contextValue = `group.${node.group}`;
    item.iconPath = new vscode.ThemeIcon(GROUP_ICONS[node.group]);
    if (node.group === 'tags') {
      const system = data.tags.filter((t) => isSystemTag(t.key)).length;
      if (system > 0) item.tooltip = `${data.tags.length - system} user tags, ${system} mlflow.* tags`;
    }
    return item;
  }

  private valueItem(node: ValueNode): vscode.TreeItem {
    const value = node.kind === 'tag' || node.kind === 'param' ? truncate(firstLine(node.value), 200) + (node.value.includes('\n') ? ' …' : '') : node.value;
    const item = new vscode.TreeItem(`${node.key} = ${value}`, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.contextValue = node.kind === 'tag' && isSystemTag(node.key) ? 'tag.system' : node.kind;
    if (node.kind === 'metric' && node.metric) {
      item.iconPath = new vscode.ThemeIcon('graph-line');
      item.description = `step ${node.metric.step}`;
      item.tooltip = new Tooltip()
        .title(node.key)
        .field('Latest value', String(node.metric.value))
        .field('Step', String(node.metric.step))
        .field('Logged', formatTimestamp(node.metric.timestamp))
        .build();
    } else {
      item.iconPath = new vscode.ThemeIcon(node.kind === 'param' ? 'symbol-parameter' : isSystemTag(node.key) ? 'gear' : 'tag');
      if (node.kind === 'tag' && isSystemTag(node.key)) item.description = 'system';
      item.tooltip = new Tooltip().title(node.key).text(truncate(node.value, 5000)).build();
    }
    return item;
  }

  private artifactItem(node: ArtifactNode): vscode.TreeItem {
    const { file } = node;
    const runId = node.run.run.info.run_id;
    const item = new vscode.TreeItem(baseName(file.path), file.is_dir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.resourceUri = artifactUri(runId, file.path);
    item.contextValue = file.is_dir ? (node.isModel ? 'artifact.model' : 'artifact.folder') : 'artifact.file';
    item.iconPath = file.is_dir ? (node.isModel ? new vscode.ThemeIcon('package') : vscode.ThemeIcon.Folder) : vscode.ThemeIcon.File;
    const size = fileSizeOf(file.file_size);
    if (!file.is_dir && size !== undefined) item.description = formatBytes(size);
    if (node.isModel) item.description = 'model';
    item.tooltip = new Tooltip()
      .field('Path', file.path, { code: true })
      .field('Size', size === undefined || file.is_dir ? undefined : formatBytes(size))
      .field('Folder', parentPath(file.path) || undefined, { code: true })
      .build();
    if (!file.is_dir) item.command = { command: 'runboard.openArtifact', title: 'Open Artifact', arguments: [node] };
    return item;
  }

  // ------------------------------------------------------------ bookkeeping

  private runNode(run: Run, parent: ExperimentNode | RunNode): RunNode {
    const runId = run.info.run_id;
    const existing = this.runNodes.get(runId);
    if (existing && existing.parent === parent) {
      existing.run = run;
      return existing;
    }
    const node = new RunNode(run, parent);
    this.runNodes.set(runId, node);
    return node;
  }

  private listOf(owner: ExperimentNode | RunNode): RunList {
    return owner.kind === 'experiment' ? owner.runs : owner.children;
  }

  private reloadList(owner: ExperimentNode | RunNode): void {
    const list = this.listOf(owner);
    if (list.state === 'unloaded') return;
    list.state = 'stale';
    this.changeEmitter.fire(owner);
  }

  private markStale(list: RunList, resetPages = false): void {
    if (list.state === 'loaded') list.state = 'stale';
    list.skipped.clear();
    if (resetPages) {
      list.pages = 1;
      list.state = list.state === 'unloaded' ? 'unloaded' : 'stale';
    }
  }

  private forgetRun(node: RunNode): void {
    if (this.runNodes.get(node.run.info.run_id) === node) this.runNodes.delete(node.run.info.run_id);
    this.forgetList(node.children);
  }

  private forgetList(list: RunList): void {
    for (const child of list.nodes) this.forgetRun(child);
    list.nodes = [];
    list.state = 'unloaded';
    list.pages = 1;
    list.nextPageToken = undefined;
    list.expected.clear();
    list.skipped.clear();
  }

  /** LoadRetry: the root again if it shows an error, else each run list that does. */
  private retryFailed(): void {
    if (this.rootError !== undefined) {
      this.rootState = 'stale';
      this.changeEmitter.fire(undefined);
      return;
    }
    const owners = [...this.experimentNodes.values(), ...this.runNodes.values()];
    for (const owner of owners) {
      const list = this.listOf(owner);
      if (list.error === undefined) continue;
      list.state = 'stale';
      this.changeEmitter.fire(owner);
    }
  }

  /** A new client (server restart, another server): everything is loaded afresh. */
  private reset(): void {
    this.retry.cancel();
    this.generation += 1;
    this.rootLoading = undefined;
    for (const node of this.experimentNodes.values()) this.forgetList(node.runs);
    this.experimentNodes.clear();
    this.runNodes.clear();
    this.rootState = 'unloaded';
    this.rootError = undefined;
    this.rootShown = false;
    this.changeEmitter.fire(undefined);
  }

  private viewType(): ViewType {
    return this.deletedShown ? 'ALL' : 'ACTIVE_ONLY';
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', 'runboard.runFilterActive', this.currentFilter !== undefined);
    void vscode.commands.executeCommand('setContext', 'runboard.showDeleted', this.deletedShown);
    if (this.treeView) {
      const parts = [this.currentFilter ? `Filter: ${this.currentFilter}` : undefined, this.deletedShown ? 'deleted shown' : undefined].filter(Boolean);
      this.treeView.description = parts.length > 0 ? parts.join(' · ') : undefined;
    }
  }

  private reportError(message: string, error: unknown): void {
    this.services.log.error(`Runboard: ${message}`);
    if (error instanceof Error && error.stack) this.services.log.debug(error.stack);
    void vscode.window.showErrorMessage(`Runboard: ${message}`);
  }
}

/** Internal command of the "Load more runs…" rows (not contributed: it needs its row). */
export const LOAD_MORE_COMMAND = 'runboard.views.loadMoreRuns';

function newRunList(owner: ExperimentNode | RunNode): RunList {
  return {
    nodes: [],
    nextPageToken: undefined,
    pages: 1,
    state: 'unloaded',
    shown: false,
    loading: undefined,
    loadingMore: undefined,
    error: undefined,
    loadMore: { kind: 'loadMore', id: `${owner.id}/more`, parent: owner },
    expected: new Map(),
    skipped: new Map(),
  };
}

/** What a repaint of a list's owner would change: its rows, the load-more row, an error row. */
function listSignature(list: RunList): string {
  return JSON.stringify([list.error ?? null, list.nextPageToken ? 1 : 0, list.nodes.map((node) => node.run.info.run_id)]);
}

function artifactSignature(nodes: readonly ArtifactNode[]): string {
  return JSON.stringify(nodes.map((node) => [node.file.path, node.file.is_dir, node.file.file_size ?? null, node.isModel]));
}
