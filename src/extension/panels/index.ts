import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { MlflowClient } from '../../client/mlflow-client';
import {
  isRunId,
  MAX_PANEL_RUNS,
  panelIdentity,
  parsePersistedState,
  VIEW_TYPES,
  type HostMessage,
  type PanelArgs,
  type PanelKind,
  type WebviewMessage,
} from '../../webview/protocol';
import { artifactUri } from '../artifact-fs';
import type { Services } from '../services';
import { runLabel } from '../trees/format';
import { metricKeysOf, runIdsOf } from './args';
import { childRuns, ExperimentNames } from './data';
import { PanelController, panelOptions, type PanelActions, type PanelProvider, type PanelSession } from './panel-controller';
import { pickRuns, sweepParents } from './pickers';
import { ChartsProvider, CompareProvider, DetailsProvider, SweepProvider } from './providers';
import { Cancelled, describeError, registerRunModel } from './register-model';

export const PANEL_COMMANDS = {
  openRunDetails: 'runboard.openRunDetails',
  openMetricChart: 'runboard.openMetricChart',
  compareRuns: 'runboard.compareRuns',
  openSweep: 'runboard.openSweep',
  registerBestModel: 'runboard.registerBestModel',
} as const;

/** Thrown to end a command quietly (the user was told why, or cancelled). */
class Quiet extends Error {}

/**
 * Every open panel by what it shows (one panel per run, selection or sweep), the commands that open them,
 * their serializers (panels come back after a reload) and the messages all panels share.
 */
export class Panels implements PanelActions, vscode.Disposable {
  private readonly open = new Map<string, PanelController<PanelKind>>();
  private readonly names = new ExperimentNames();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly services: Services,
  ) {
    this.disposables.push(services.onDidChangeClient(() => this.names.clear()));
  }

  dispose(): void {
    for (const controller of [...this.open.values()]) controller.dispose();
    this.open.clear();
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** Opens (or reveals) the panel showing `target`. */
  async show(target: PanelArgs, column = vscode.ViewColumn.Active): Promise<void> {
    const identity = panelIdentity(target);
    const existing = this.open.get(identity);
    if (existing) {
      existing.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES[target.kind], titleWhileLoading(target), { viewColumn: column, preserveFocus: false }, panelOptions(this.context.extensionUri));
    await this.attach(panel, target);
  }

  /** A panel VS Code restored after a reload, with the state its webview saved. */
  async revive(kind: PanelKind, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const parsed = parsePersistedState(kind, state);
    panel.webview.options = panelOptions(this.context.extensionUri);
    if (!parsed) {
      // Nothing usable to show: close it rather than leave a blank tab.
      panel.dispose();
      return;
    }
    const identity = panelIdentity(parsed.args);
    if (this.open.has(identity)) {
      panel.dispose();
      return;
    }
    await this.attach(panel, parsed.args, parsed.ui);
  }

  private async attach(panel: vscode.WebviewPanel, target: PanelArgs, ui?: unknown): Promise<void> {
    const identity = panelIdentity(target);
    // The session exists before the controller: providers get it at construction.
    const ref: { controller?: PanelController<PanelKind> } = {};
    const session: PanelSession = {
      services: this.services,
      post: (message) => ref.controller?.post(message),
      reload: () => ref.controller?.reload(),
      get visible() {
        return ref.controller?.visible ?? false;
      },
    };
    const provider = this.provider(target, session) as PanelProvider<PanelKind>;
    const controller = new PanelController(panel, provider, this.services, this.context.extensionUri, this);
    ref.controller = controller;
    this.open.set(identity, controller);
    controller.onDidDispose(() => {
      if (this.open.get(identity) === controller) this.open.delete(identity);
    });
    await controller.start(ui);
  }

  private provider(target: PanelArgs, session: PanelSession): PanelProvider<PanelKind> {
    switch (target.kind) {
      case 'details':
        return new DetailsProvider(target.args, session, this.names);
      case 'charts':
        return new ChartsProvider(target.args, session, this.names);
      case 'compare':
        return new CompareProvider(target.args, session, this.names);
      case 'sweep':
        return new SweepProvider(target.args, this.names, (client, runId) => this.registerBest(client, runId));
    }
  }

  // ------------------------------------------------------------ messages every panel may send

  async handleCommon(message: WebviewMessage, kind: PanelKind): Promise<HostMessage | undefined> {
    switch (message.type) {
      case 'openRun':
        await this.show({ kind: 'details', args: { runId: message.runId } });
        return undefined;
      case 'openCharts':
        await this.show({ kind: 'charts', args: { runIds: message.runIds, metricKeys: message.metricKeys } }, vscode.ViewColumn.Beside);
        return undefined;
      case 'compareRuns':
        await this.compare(message.runIds);
        return undefined;
      case 'openSweep':
        await this.show({ kind: 'sweep', args: { parentRunId: message.runId } });
        return undefined;
      case 'openArtifact':
        await vscode.commands.executeCommand('vscode.open', artifactUri(message.runId, message.path), { preview: true, viewColumn: vscode.ViewColumn.Beside });
        return undefined;
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        vscode.window.setStatusBarMessage(`$(copy) Copied ${message.text.length > 40 ? `${message.text.slice(0, 40)}…` : message.text}`, 3000);
        return undefined;
      case 'saveFile':
        return { type: 'result', requestId: message.requestId, ...(await this.saveFile(message.fileName, message.format, message.content)) };
      case 'log': {
        const text = `Runboard webview (${kind}): ${message.message}`;
        if (message.level === 'error') this.services.log.error(text);
        else if (message.level === 'warn') this.services.log.warn(text);
        else this.services.log.info(text);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private async saveFile(fileName: string, format: 'png' | 'csv', content: string): Promise<{ ok: boolean; error?: string }> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folder, fileName),
      filters: format === 'png' ? { 'PNG image': ['png'] } : { CSV: ['csv'] },
      title: format === 'png' ? 'Save Chart as PNG' : 'Save as CSV',
    });
    if (!target) return { ok: false };
    let bytes: Uint8Array;
    if (format === 'png') {
      const match = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(content);
      if (!match) return { ok: false, error: 'The chart image was not a PNG.' };
      bytes = Buffer.from(match[1]!, 'base64');
    } else bytes = Buffer.from(content, 'utf8');
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`Runboard: saved ${vscode.workspace.asRelativePath(target)}.`, 'Open').then((choice) => {
      if (choice === 'Open') void vscode.commands.executeCommand('vscode.open', target);
    });
    return { ok: true };
  }

  // ------------------------------------------------------------ commands

  private client(): MlflowClient {
    const client = this.services.client;
    if (!client) {
      void vscode.window.showWarningMessage('Runboard: the tracking server is not running yet. Wait for it to start, or restart it from the status bar.');
      throw new Quiet();
    }
    return client;
  }

  async openRunDetails(args: unknown[]): Promise<void> {
    let runId = runIdsOf(args)[0];
    if (!runId) {
      [runId] = await pickRuns(this.client(), this.names, { title: 'Open Run Details', placeholder: 'Pick a run', many: false });
      if (!runId) return;
    }
    await this.show({ kind: 'details', args: { runId } });
  }

  async openMetricChart(args: unknown[]): Promise<void> {
    let runIds = runIdsOf(args);
    const metricKeys = metricKeysOf(args);
    if (runIds.length === 0) {
      runIds = await pickRuns(this.client(), this.names, { title: 'Open Metric Charts', placeholder: 'Pick the runs to chart (several: overlaid)', many: true });
      if (runIds.length === 0) return;
    }
    await this.show({ kind: 'charts', args: { runIds: limitRuns(runIds), metricKeys } });
  }

  async compareRuns(args: unknown[]): Promise<void> {
    await this.compare(runIdsOf(args));
  }

  /** Compares runs; with fewer than two, asks which others (the given ones preselected). */
  private async compare(given: string[]): Promise<void> {
    let runIds = given;
    if (runIds.length < 2) {
      runIds = await pickRuns(this.client(), this.names, {
        title: 'Compare Runs',
        placeholder: 'Pick two or more runs (from any experiment)',
        many: true,
        preselected: runIds,
      });
      if (runIds.length === 0) return;
      if (runIds.length < 2) {
        void vscode.window.showInformationMessage('Runboard: pick at least two runs to compare.');
        return;
      }
    }
    await this.show({ kind: 'compare', args: { runIds: limitRuns(runIds) } });
  }

  async openSweep(args: unknown[]): Promise<void> {
    let runId = runIdsOf(args)[0];
    if (!runId) runId = await this.pickSweep('Open Sweep View');
    if (!runId) return;
    const client = this.client();
    const parent = await client.getRun(runId);
    const children = await childRuns(client, parent, 1);
    if (children.runs.length === 0 && parent.info.status !== 'RUNNING') {
      void vscode.window.showInformationMessage(`Runboard: run "${runLabel(parent.info.run_name, runId)}" has no child runs. A sweep logs each trial as a nested run (mlflow.start_run(nested=True)).`);
      return;
    }
    await this.show({ kind: 'sweep', args: { parentRunId: runId } });
  }

  /** From a tree row or the palette: ranks the trials by a metric the user picks, registers the best one's model. */
  async registerBestModel(args: unknown[]): Promise<void> {
    let parentId = runIdsOf(args)[0];
    if (!parentId) parentId = await this.pickSweep('Register Best Model of a Sweep');
    if (!parentId) return;
    const client = this.client();
    const parent = await client.getRun(parentId);
    const { runs: children } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Loading trials' }, () => childRuns(client, parent));
    if (children.length === 0) {
      void vscode.window.showInformationMessage(`Runboard: run "${runLabel(parent.info.run_name, parentId)}" has no child runs to rank.`);
      return;
    }
    const counts = new Map<string, number>();
    for (const child of children) for (const metric of child.data.metrics) counts.set(metric.key, (counts.get(metric.key) ?? 0) + 1);
    const keys = [...counts.keys()].filter((k) => !k.startsWith('system/')).sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a.localeCompare(b));
    if (keys.length === 0) {
      void vscode.window.showInformationMessage('Runboard: the trials logged no metrics to rank them by.');
      return;
    }
    const metric = (await vscode.window.showQuickPick(keys.map((key) => ({ label: key, description: `${counts.get(key)} of ${children.length} trials` })), { title: 'Register Best Model: rank the trials by', placeHolder: 'Metric' }))?.label;
    if (!metric) return;
    const lowerFirst = /(loss|err|rmse|mse|mae|perplexity|latency|time|cost|regret)/i.test(metric);
    const options = [
      { label: `Lowest ${metric} is best`, direction: 'min' as const },
      { label: `Highest ${metric} is best`, direction: 'max' as const },
    ];
    const direction = (await vscode.window.showQuickPick(lowerFirst ? options : options.reverse(), { title: 'Register Best Model: which is better?' }))?.direction;
    if (!direction) return;
    const ranked = children
      .map((run) => ({ run, value: run.data.metrics.find((m) => m.key === metric)?.value }))
      .filter((entry): entry is { run: (typeof children)[number]; value: number } => entry.value !== undefined && Number.isFinite(entry.value))
      .sort((a, b) => (direction === 'min' ? a.value - b.value : b.value - a.value));
    const best = ranked[0];
    if (!best) return;
    await this.registerBest(client, best.run.info.run_id);
  }

  private async registerBest(client: MlflowClient, runId: string): Promise<void> {
    try {
      await registerRunModel(this.services, client, runId, 'best trial');
    } catch (error) {
      if (error instanceof Cancelled) return;
      throw error;
    }
  }

  private async pickSweep(title: string): Promise<string | undefined> {
    const client = this.client();
    const [runId] = await pickRuns(client, this.names, {
      title,
      placeholder: 'Pick a sweep (a run with child runs)',
      many: false,
      only: (items) => sweepParents(client, this.names, items),
      empty: 'No sweeps yet: runs with nested child runs (e.g. hyperopt with mlflow.start_run(nested=True)) show here.',
    });
    return runId;
  }

  registerCommands(): vscode.Disposable[] {
    const register = (id: string, run: (args: unknown[]) => Promise<void>) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await run(args);
        } catch (error) {
          if (error instanceof Quiet || error instanceof Cancelled) return;
          const message = describeError(error);
          this.services.log.error(`Runboard: ${id} failed: ${message}`);
          void vscode.window.showErrorMessage(`Runboard: ${message}`);
        }
      });
    return [
      register(PANEL_COMMANDS.openRunDetails, (args) => this.openRunDetails(args)),
      register(PANEL_COMMANDS.openMetricChart, (args) => this.openMetricChart(args)),
      register(PANEL_COMMANDS.compareRuns, (args) => this.compareRuns(args)),
      register(PANEL_COMMANDS.openSweep, (args) => this.openSweep(args)),
      register(PANEL_COMMANDS.registerBestModel, (args) => this.registerBestModel(args)),
    ];
  }

  registerSerializers(): vscode.Disposable[] {
    return (Object.keys(VIEW_TYPES) as PanelKind[]).map((kind) =>
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPES[kind], {
        deserializeWebviewPanel: (panel, state) => this.revive(kind, panel, state),
      }),
    );
  }
}

function limitRuns(runIds: string[]): string[] {
  const valid = runIds.filter(isRunId);
  if (valid.length > MAX_PANEL_RUNS) void vscode.window.showWarningMessage(`Runboard: showing the first ${MAX_PANEL_RUNS} of ${valid.length} runs.`);
  return valid.slice(0, MAX_PANEL_RUNS);
}

function titleWhileLoading(target: PanelArgs): string {
  switch (target.kind) {
    case 'details':
      return 'Run';
    case 'charts':
      return 'Metric Charts';
    case 'compare':
      return `Compare ${target.args.runIds.length} Runs`;
    case 'sweep':
      return 'Sweep';
  }
}

/**
 * The webview panels (run details, metric charts, compare, sweep): their commands and serializers. Call
 * once from activation; everything is disposed with the context. (The lenses of training scripts that open
 * them come from the Python language server: src/language.)
 */
export function registerPanels(context: vscode.ExtensionContext, services: Services): vscode.Disposable {
  const panels = new Panels(context, services);
  const disposable = vscode.Disposable.from(
    panels,
    ...panels.registerCommands(),
    ...panels.registerSerializers(),
  );
  context.subscriptions.push(disposable);
  return disposable;
}
