import { existsSync, readFileSync, appendFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { MlflowClient } from '../client/mlflow-client';
import { ServerHost, type ServerState } from './server-host';
import type { DataChange, Services } from './services';
import { StatusBar } from './status-bar';
import { registerTrees, type RegisteredTrees } from './trees';

/** How long change events are gathered before views refresh: a training loop logs many times a second. */
const REFRESH_DEBOUNCE_MS = 400;
/** When another window owns the server there are no push events: poll instead. */
const POLL_MS = 3000;

/**
 * The one object that owns Runboard's lifecycle in a window: the output channel, the tracking server
 * (or the shared one), the client, the terminal environment, the status bar and everything disposable.
 */
export class Runboard implements Services, vscode.Disposable {
  readonly log = vscode.window.createOutputChannel('Runboard', { log: true });
  private readonly disposables: vscode.Disposable[] = [];
  private readonly clientEmitter = new vscode.EventEmitter<void>();
  private readonly dataEmitter = new vscode.EventEmitter<DataChange>();
  readonly onDidChangeClient = this.clientEmitter.event;
  readonly onDidChangeData = this.dataEmitter.event;
  readonly host: ServerHost;
  readonly trees: RegisteredTrees;
  private currentClient: MlflowClient | undefined;
  private pending: DataChange | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly activatedAt = Date.now();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.host = new ServerHost(context, resolveStoreDir(context), this.log);
    const statusBar = new StatusBar(this);
    this.disposables.push(this.log, this.clientEmitter, this.dataEmitter, this.host, statusBar);
    this.disposables.push(this.host.onDidChangeState((state) => this.onServerState(state)));
    this.disposables.push(this.host.onDidWrite((change) => this.queueChange(change)));
    this.disposables.push(this.registerCommands());
    this.trees = registerTrees(context, this);
  }

  get client(): MlflowClient | undefined {
    return this.currentClient;
  }

  get storeDir(): string {
    return this.host.storeDir;
  }

  async start(): Promise<void> {
    const state = await this.host.start();
    if (state.kind === 'ready') {
      this.log.info(`Activation to server ready: ${Date.now() - this.activatedAt} ms`);
      void this.offerGitignore();
    } else if (state.kind === 'failed') {
      void vscode.window.showErrorMessage(`Runboard: ${state.message} ${state.nextStep}`, 'Show Log', 'Restart Server').then((choice) => {
        if (choice === 'Show Log') this.log.show();
        if (choice === 'Restart Server') void vscode.commands.executeCommand('runboard.restartServer');
      });
    }
  }

  /** Manual refresh: every view reloads. */
  refresh(): void {
    this.queueChange({ kind: 'all' });
  }

  dispose(): void {
    clearTimeout(this.debounce);
    clearInterval(this.poll);
    this.context.environmentVariableCollection.clear();
    for (const disposable of this.disposables.reverse()) disposable.dispose();
  }

  private onServerState(state: ServerState): void {
    void vscode.commands.executeCommand('setContext', 'runboard.serverReady', state.kind === 'ready');
    void vscode.commands.executeCommand('setContext', 'runboard.serverFailed', state.kind === 'failed');
    clearInterval(this.poll);
    if (state.kind === 'ready') {
      this.currentClient = new MlflowClient({ baseUrl: state.url, credentials: { kind: 'bearer', token: state.token } });
      this.injectEnvironment(state.url, state.token);
      if (state.owner === 'other-window') this.poll = setInterval(() => this.queueChange({ kind: 'all' }), POLL_MS);
    } else {
      this.currentClient = undefined;
      this.context.environmentVariableCollection.clear();
    }
    this.clientEmitter.fire();
    this.queueChange({ kind: 'all' });
  }

  /** Every integrated terminal opened from now on logs into this server with no setup. */
  private injectEnvironment(url: string, token: string): void {
    const environment = this.context.environmentVariableCollection;
    environment.persistent = false; // a restored terminal must not keep a stale URL or token
    environment.description = `Runboard: MLflow scripts run here log into ${url}`;
    environment.replace('MLFLOW_TRACKING_URI', url);
    environment.replace('MLFLOW_TRACKING_TOKEN', token);
  }

  private queueChange(change: DataChange): void {
    // Two different things changed within one window (two runs logging at once): refresh everything on screen.
    const same = this.pending && this.pending.kind === change.kind && this.pending.id === change.id;
    this.pending = !this.pending || same ? change : { kind: 'all' };
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) this.dataEmitter.fire(next);
    }, REFRESH_DEBOUNCE_MS);
  }

  private registerCommands(): vscode.Disposable {
    const register = (id: string, run: () => unknown) => vscode.commands.registerCommand(id, run);
    return vscode.Disposable.from(
      register('runboard.refresh', () => this.refresh()),
      register('runboard.showLog', () => this.log.show()),
      register('runboard.restartServer', async () => {
        await this.host.restart();
      }),
      register('runboard.copyTrackingEnv', async () => {
        const state = this.host.state;
        if (state.kind !== 'ready') {
          void vscode.window.showWarningMessage('Runboard: the tracking server is not running yet. Restart it from the status bar, then copy again.');
          return;
        }
        await vscode.env.clipboard.writeText(`export MLFLOW_TRACKING_URI=${state.url}\nexport MLFLOW_TRACKING_TOKEN=${state.token}\n`);
        void vscode.window.showInformationMessage('Runboard: export lines copied. Paste them in a terminal outside VS Code to log into this workspace.');
      }),
      register('runboard.openStore', async () => {
        const uri = vscode.Uri.file(this.storeDir);
        const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
        if (inWorkspace) await vscode.commands.executeCommand('revealInExplorer', uri);
        else {
          await vscode.env.clipboard.writeText(this.storeDir);
          void vscode.window.showInformationMessage(`Runboard: the store is at ${this.storeDir} (path copied).`);
        }
      }),
      register('runboard.serverMenu', async () => {
        const state = this.host.state;
        const items: (vscode.QuickPickItem & { command: string })[] = [
          { label: '$(copy) Copy Tracking URI', description: state.kind === 'ready' ? state.url : '', command: 'copyUri' },
          { label: '$(terminal) Copy Tracking Environment', description: 'export lines for outside terminals', command: 'runboard.copyTrackingEnv' },
          { label: '$(debug-restart) Restart Tracking Server', command: 'runboard.restartServer' },
          { label: '$(folder-opened) Open Store Folder', description: this.storeDir, command: 'runboard.openStore' },
          { label: '$(output) Show Server Log', command: 'runboard.showLog' },
        ];
        const picked = await vscode.window.showQuickPick(items, { title: describeState(state) });
        if (!picked) return;
        if (picked.command === 'copyUri') {
          if (state.kind === 'ready') await vscode.env.clipboard.writeText(state.url);
        } else await vscode.commands.executeCommand(picked.command);
      }),
      register('runboard.addToGitignore', () => this.addToGitignore()),
    );
  }

  /** Once per workspace: a store inside a git repository is data, not source. */
  private async offerGitignore(): Promise<void> {
    const entry = this.gitignoreEntry();
    if (!entry || this.context.workspaceState.get('runboard.gitignoreOffered')) return;
    await this.context.workspaceState.update('runboard.gitignoreOffered', true);
    const choice = await vscode.window.showInformationMessage(`Runboard keeps its tracking store in ${entry}. Add it to .gitignore?`, 'Add to .gitignore', 'Not Now');
    if (choice === 'Add to .gitignore') this.addToGitignore();
  }

  private gitignoreEntry(): string | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder || !existsSync(join(folder, '.git'))) return undefined;
    const relativeStore = relative(folder, this.storeDir);
    if (relativeStore.startsWith('..') || isAbsolute(relativeStore)) return undefined;
    const entry = `${relativeStore.split('\\').join('/')}/`;
    const gitignore = join(folder, '.gitignore');
    const lines = existsSync(gitignore) ? readFileSync(gitignore, 'utf8').split(/\r?\n/) : [];
    return lines.some((line) => line.trim() === entry || line.trim() === entry.slice(0, -1) || line.trim() === `/${entry}`) ? undefined : entry;
  }

  private addToGitignore(): void {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const entry = this.gitignoreEntry();
    if (!folder || !entry) return;
    const gitignore = join(folder, '.gitignore');
    const existing = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
    appendFileSync(gitignore, `${existing === '' || existing.endsWith('\n') ? '' : '\n'}# Runboard tracking store\n${entry}\n`);
    this.log.info(`Added ${entry} to .gitignore`);
  }
}

/** `runboard.store.path`, relative to the first workspace folder; a window with no folder uses global storage. */
function resolveStoreDir(context: vscode.ExtensionContext): string {
  const folderUri = vscode.workspace.workspaceFolders?.[0]?.uri;
  const folder = folderUri?.fsPath;
  const setting = vscode.workspace.getConfiguration('runboard', folderUri).get<string>('store.path') || '.runboard';
  if (isAbsolute(setting)) return setting;
  return folder ? join(folder, setting) : join(context.globalStorageUri.fsPath, 'store');
}

export function describeState(state: ServerState): string {
  switch (state.kind) {
    case 'starting':
      return 'Runboard: starting the tracking server...';
    case 'ready':
      return `Runboard: serving ${state.url}${state.owner === 'other-window' ? ' (shared with another window)' : ''}`;
    case 'failed':
      return `Runboard: ${state.message} ${state.nextStep}`;
    case 'stopped':
      return 'Runboard: the tracking server is stopped';
  }
}
