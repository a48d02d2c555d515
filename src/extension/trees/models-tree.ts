import * as vscode from 'vscode';
import type { ModelVersion, RegisteredModel } from '../../api/wire';
import type { MlflowClient } from '../../client/mlflow-client';
import type { DataChange, Services } from '../services';
import { aliasesOfVersion, compareVersionsDescending, firstLine, latestVersion, modelVersionContextValue, quoteFilterString, truncate, versionDescription } from './format';
import { errorMessage, formatTimestamp, isConnectionLost, isMissingEndpoint, LoadRetry, messageItem, messageNode, Tooltip, type MessageNode } from './tree-util';

export class RegisteredModelNode {
  readonly kind = 'registeredModel';
  readonly id: string;
  versions: ModelVersionNode[] = [];
  versionsState: 'unloaded' | 'loaded' | 'stale' = 'unloaded';
  versionsLoading: Promise<void> | undefined;
  versionsError: string | undefined;

  constructor(public model: RegisteredModel) {
    this.id = `model:${model.name}`;
  }
}

export class ModelVersionNode {
  readonly kind = 'modelVersion';
  readonly id: string;

  constructor(
    public version: ModelVersion,
    public aliases: string[],
    readonly parent: RegisteredModelNode,
  ) {
    this.id = `model:${version.name}/version:${version.version}`;
  }
}

export type ModelsNode = RegisteredModelNode | ModelVersionNode | MessageNode;

const MAX_PAGES = 50;

/** The Models view: registered models → their versions, newest first, with stage and aliases. */
export class ModelsTree implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ModelsNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly retry = new LoadRetry(() => this.retryFailed());
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter, this.retry];
  private modelNodes = new Map<string, RegisteredModelNode>();
  private rootState: 'unloaded' | 'loaded' | 'stale' = 'unloaded';
  private rootLoading: Promise<void> | undefined;
  /** Bumped when the client changes: what a load begun for the previous client finds is dropped, not shown. */
  private generation = 0;
  private rootError: string | undefined;
  /** The models loaded at least once: a lost connection then keeps them on screen. */
  private rootShown = false;
  /** The server has no registry: the view stays empty (its welcome text shows) and says so once in the log. */
  private registryMissing = false;
  private syncing: Promise<void> | undefined;
  private syncQueued = false;
  private treeView: vscode.TreeView<ModelsNode> | undefined;

  constructor(private readonly services: Services) {
    this.disposables.push(
      services.onDidChangeClient(() => this.reset()),
      services.onDidChangeData((change) => this.onDataChanged(change)),
    );
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  attach(view: vscode.TreeView<ModelsNode>): void {
    this.treeView = view;
    this.disposables.push(
      view.onDidCollapseElement(({ element }) => {
        // Collapsed: versions reload when expanded again, not kept up to date meanwhile.
        if (element.kind === 'registeredModel' && element.versionsState === 'loaded') element.versionsState = 'stale';
      }),
    );
  }

  get view(): vscode.TreeView<ModelsNode> | undefined {
    return this.treeView;
  }

  /** Names of the registered models listed (Register Model offers them). */
  modelNames(): string[] {
    return [...this.modelNodes.keys()].sort((a, b) => a.localeCompare(b));
  }

  onDataChanged(change: DataChange): void {
    // Registering from a run touches the run too; models only change on model or global events.
    if (change.kind === 'model' || change.kind === 'all') void this.refresh();
  }

  /**
   * Brings the view up to date, repainting only rows whose data changed (a repaint makes VS Code drop
   * and re-ask the row's children; a click in that moment would find none).
   */
  refresh(): Promise<void> {
    if (this.syncing) {
      this.syncQueued = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncQueued = false;
        try {
          await this.sync();
        } catch (error) {
          this.services.log.warn(`Runboard: could not refresh the Models view: ${errorMessage(error)}`);
        }
      } while (this.syncQueued);
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async sync(): Promise<void> {
    const client = this.services.client;
    if (!client || this.rootState === 'unloaded') return; // nothing shown yet
    const before = this.rootSignature();
    const prints = new Map([...this.modelNodes.values()].map((node) => [node.model.name, modelFingerprint(node.model)]));
    this.rootState = 'stale';
    const generation = this.generation;
    await this.loadRoot(client);
    if (generation !== this.generation) return; // another client since: reset() reloads everything
    if (this.rootSignature() !== before) {
      for (const node of this.modelNodes.values()) if (node.versionsState === 'loaded') node.versionsState = 'stale';
      this.changeEmitter.fire(undefined);
      return;
    }
    for (const node of this.modelNodes.values()) {
      if (generation !== this.generation) return;
      let changed = prints.get(node.model.name) !== modelFingerprint(node.model);
      if (node.versionsState === 'loaded') {
        const versionsBefore = versionsSignature(node);
        node.versionsState = 'stale';
        node.versionsLoading ??= this.loadVersions(client, node).finally(() => (node.versionsLoading = undefined));
        await node.versionsLoading;
        changed ||= versionsSignature(node) !== versionsBefore;
      }
      if (changed) this.changeEmitter.fire(node);
    }
  }

  private rootSignature(): string {
    return JSON.stringify([this.rootError ?? null, [...this.modelNodes.keys()].sort()]);
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'registeredModel':
        return this.modelItem(node);
      case 'modelVersion':
        return this.versionItem(node);
      case 'message':
        return messageItem(node);
    }
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    const client = this.services.client;
    if (!client) return [];
    if (!node) return this.rootChildren(client);
    if (node.kind === 'registeredModel') return this.versionChildren(client, node);
    return [];
  }

  getParent(node: ModelsNode): ModelsNode | undefined {
    if (node.kind === 'modelVersion') return node.parent;
    if (node.kind === 'message') return node.parent as ModelsNode | undefined;
    return undefined;
  }

  // ------------------------------------------------------------ loading

  private async rootChildren(client: MlflowClient): Promise<ModelsNode[]> {
    if (this.rootState !== 'loaded') {
      await this.loadRoot(client);
    }
    if (this.rootError !== undefined) return [messageNode('models', undefined, `Could not load models: ${this.rootError}`, 'error', this.rootError)];
    return [...this.modelNodes.values()].sort((a, b) => a.model.name.localeCompare(b.model.name));
  }

  /** The root's load in flight, or a new one: one at a time, and one per client. */
  private loadRoot(client: MlflowClient): Promise<void> {
    if (!this.rootLoading) {
      const loading = this.loadModels(client).finally(() => {
        if (this.rootLoading === loading) this.rootLoading = undefined;
      });
      this.rootLoading = loading;
    }
    return this.rootLoading;
  }

  private async loadModels(client: MlflowClient): Promise<void> {
    const generation = this.generation;
    try {
      const models: RegisteredModel[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await client.searchRegisteredModels({ maxResults: 500, pageToken });
        models.push(...page.items);
        pageToken = page.nextPageToken;
      } while (pageToken && ++pages < MAX_PAGES);
      if (generation !== this.generation) return;
      const next = new Map<string, RegisteredModelNode>();
      for (const model of models) {
        const existing = this.modelNodes.get(model.name);
        if (existing) existing.model = model;
        next.set(model.name, existing ?? new RegisteredModelNode(model));
      }
      this.modelNodes = next;
      this.rootState = 'loaded';
      this.rootError = undefined;
      this.rootShown = true;
      this.retry.succeeded();
    } catch (error) {
      if (generation !== this.generation) return;
      if (isConnectionLost(error) && this.rootShown && this.rootError === undefined) {
        this.rootState = 'loaded'; // keep what is on screen; the refresh after the reconnect reloads it
        this.services.log.warn(`Runboard: could not refresh registered models, keeping what is shown: ${errorMessage(error)}`);
        return;
      }
      this.rootState = 'stale';
      if (isMissingEndpoint(error)) {
        // No registry on this server: an empty view with its welcome text, not an error row.
        this.modelNodes.clear();
        this.rootError = undefined;
        this.rootState = 'loaded';
        if (!this.registryMissing) this.services.log.info(`Runboard: this tracking server has no model registry (${errorMessage(error)}); the Models view stays empty.`);
        this.registryMissing = true;
        return;
      }
      this.rootError = errorMessage(error);
      this.services.log.warn(`Runboard: could not load registered models: ${this.rootError}`);
      this.retry.failed(error);
    }
  }

  private async versionChildren(client: MlflowClient, node: RegisteredModelNode): Promise<ModelsNode[]> {
    if (node.versionsState !== 'loaded') {
      node.versionsLoading ??= this.loadVersions(client, node).finally(() => (node.versionsLoading = undefined));
      await node.versionsLoading;
    }
    if (node.versionsError !== undefined) return [messageNode(node.id, node, `Could not load versions: ${node.versionsError}`, 'error', node.versionsError)];
    return node.versions;
  }

  private async loadVersions(client: MlflowClient, node: RegisteredModelNode): Promise<void> {
    try {
      const versions: ModelVersion[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await client.searchModelVersions({ filter: `name = ${quoteFilterString(node.model.name)}`, maxResults: 1000, pageToken });
        versions.push(...page.items.filter((version) => version.name === node.model.name));
        pageToken = page.nextPageToken;
      } while (pageToken && ++pages < MAX_PAGES);
      const previous = new Map(node.versions.map((v) => [v.version.version, v]));
      node.versions = versions
        .sort((a, b) => compareVersionsDescending(a.version, b.version))
        .map((version) => {
          const aliases = aliasesOfVersion(version.version, version.aliases, node.model.aliases);
          const existing = previous.get(version.version);
          if (existing) {
            existing.version = version;
            existing.aliases = aliases;
            return existing;
          }
          return new ModelVersionNode(version, aliases, node);
        });
      node.versionsState = 'loaded';
      node.versionsError = undefined;
      this.retry.succeeded();
    } catch (error) {
      if (isConnectionLost(error) && node.versions.length > 0 && node.versionsError === undefined) {
        node.versionsState = 'loaded'; // keep what is on screen; the refresh after the reconnect reloads it
        return;
      }
      node.versionsState = 'stale';
      node.versionsError = errorMessage(error);
      this.services.log.warn(`Runboard: could not load versions of ${node.model.name}: ${node.versionsError}`);
      this.retry.failed(error);
    }
  }

  // ------------------------------------------------------------ items

  private modelItem(node: RegisteredModelNode): vscode.TreeItem {
    const { model } = node;
    const item = new vscode.TreeItem(model.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.contextValue = 'registeredModel';
    item.iconPath = new vscode.ThemeIcon('package');
    const latest = latestVersion((model.latest_versions ?? []).map((v) => v.version));
    const description = model.description ? truncate(firstLine(model.description), 80) : undefined;
    item.description = [latest ? `v${latest}` : undefined, description].filter(Boolean).join(' · ') || undefined;
    const tooltip = new Tooltip()
      .title(model.name)
      .field('Latest version', latest)
      .field('Aliases', (model.aliases ?? []).map((a) => `@${a.alias} → v${a.version}`).join(', ') || undefined)
      .field('Created', formatTimestamp(model.creation_timestamp))
      .field('Updated', formatTimestamp(model.last_updated_timestamp));
    if (model.description) tooltip.text(truncate(model.description, 2000));
    item.tooltip = tooltip.build();
    return item;
  }

  private versionItem(node: ModelVersionNode): vscode.TreeItem {
    const { version, aliases } = node;
    const item = new vscode.TreeItem(`Version ${version.version}`, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.contextValue = modelVersionContextValue(aliases);
    const stage = version.current_stage;
    const status = version.status && version.status !== 'READY' ? version.status.toLowerCase().replace(/_/g, ' ') : undefined;
    item.description = [versionDescription(stage, aliases) || undefined, status].filter(Boolean).join(' · ') || undefined;
    item.iconPath = new vscode.ThemeIcon(
      stage === 'Production' ? 'rocket' : stage === 'Staging' ? 'beaker' : stage === 'Archived' ? 'archive' : 'versions',
      stage === 'Production' ? new vscode.ThemeColor('charts.green') : stage === 'Staging' ? new vscode.ThemeColor('charts.yellow') : undefined,
    );
    const tooltip = new Tooltip()
      .title(`${version.name} version ${version.version}`)
      .field('Stage', stage)
      .field('Aliases', aliases.map((a) => `@${a}`).join(', ') || undefined)
      .field('Status', version.status)
      .field('Source', version.source, { code: true })
      .field('Run ID', version.run_id, { code: true })
      .field('Model ID', version.model_id, { code: true })
      .field('Created', formatTimestamp(version.creation_timestamp));
    if (version.description) tooltip.text(truncate(version.description, 2000));
    item.tooltip = tooltip.build();
    return item;
  }

  /** LoadRetry: the root again if it shows an error, else each model whose versions do. */
  private retryFailed(): void {
    if (this.rootError !== undefined) {
      this.rootState = 'stale';
      this.changeEmitter.fire(undefined);
      return;
    }
    for (const node of this.modelNodes.values()) {
      if (node.versionsError === undefined) continue;
      node.versionsState = 'stale';
      this.changeEmitter.fire(node);
    }
  }

  private reset(): void {
    this.retry.cancel();
    this.generation += 1;
    this.rootLoading = undefined;
    this.modelNodes.clear();
    this.rootState = 'unloaded';
    this.rootError = undefined;
    this.rootShown = false;
    this.registryMissing = false;
    this.changeEmitter.fire(undefined);
  }
}

function modelFingerprint(model: RegisteredModel): string {
  return JSON.stringify([model.description ?? '', (model.latest_versions ?? []).map((v) => [v.version, v.current_stage ?? '']), model.aliases ?? [], model.last_updated_timestamp ?? null]);
}

function versionsSignature(node: RegisteredModelNode): string {
  return JSON.stringify([
    node.versionsError ?? null,
    node.versions.map((v) => [v.version.version, v.version.current_stage ?? '', v.aliases, v.version.status ?? '', v.version.description ?? '', v.version.last_updated_timestamp ?? null]),
  ]);
}
