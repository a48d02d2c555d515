import { existsSync, readFileSync, appendFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { MlflowClient, type Credentials } from '../client/mlflow-client';
import {
  describeRemote,
  loadCredentials,
  probeConnection,
  probeFailureMessage,
  promptConnection,
  readChoice,
  RemoteBackend,
  saveChoice,
  staleMessage,
  storeCredentials,
  type RemoteConnection,
} from './backend';
import { exportToServer, importIntoLocal, type CopyHost } from './copy-commands';
import { exportLines, hostOf, trackingEnvironment, type RemoteSettings } from './remote-settings';
import { ServerHost, type ServerState } from './server-host';
import type { BackendInfo, DataChange, Services } from './services';
import { StatusBar } from './status-bar';
import { registerTrees, type RegisteredTrees } from './trees';
import { registerPanels } from './panels';
import { registerPythonLanguage, type PythonLanguageFeatures } from './python/language-client';
import { MlflowStoreOpener } from './stores/store-opener';
import { registerLaunchCommands } from './launch-ui';

/** How long change events are gathered before views refresh: a training loop logs many times a second. */
const REFRESH_DEBOUNCE_MS = 400;
/** When another window owns the server there are no push events: poll instead. */
const POLL_MS = 3000;

/**
 * The one object that owns Runboard's lifecycle in a window: the output channel, the tracking server
 * (or the shared one), the client, the terminal environment, the status bar and everything disposable.
 */
export class Runboard implements Services, CopyHost, vscode.Disposable {
  readonly log = vscode.window.createOutputChannel('Runboard', { log: true });
  private readonly disposables: vscode.Disposable[] = [];
  private readonly clientEmitter = new vscode.EventEmitter<void>();
  private readonly dataEmitter = new vscode.EventEmitter<DataChange>();
  private readonly backendEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeClient = this.clientEmitter.event;
  readonly onDidChangeData = this.dataEmitter.event;
  /** The backend changed (local ↔ remote), or its state (ready, unreachable, refused). */
  readonly onDidChangeBackend = this.backendEmitter.event;
  readonly host: ServerHost;
  readonly trees: RegisteredTrees;
  /** The Python language client: hover, completion, diagnostics and lenses of training scripts. */
  readonly python: PythonLanguageFeatures;
  /** Existing MLflow stores (mlflow.db, mlruns/) found in the workspace and the MLflow server on the open one. */
  readonly stores: MlflowStoreOpener;
  private currentClient: MlflowClient | undefined;
  /** The remote MLflow server in use; undefined while the local store's server is. */
  private remoteBackend: RemoteBackend | undefined;
  private remoteSubscriptions: vscode.Disposable[] = [];
  private pending: DataChange | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly activatedAt = Date.now();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.host = new ServerHost(context, resolveStoreDir(context), this.log);
    const statusBar = new StatusBar(this);
    this.disposables.push(this.log, this.clientEmitter, this.dataEmitter, this.backendEmitter, this.host, statusBar);
    this.disposables.push(this.host.onDidChangeState((state) => this.onServerState(state)));
    this.disposables.push(this.host.onDidWrite((change) => this.queueChange(change)));
    this.disposables.push(this.registerCommands());
    this.trees = registerTrees(context, this);
    this.disposables.push(registerPanels(context, this));
    this.python = registerPythonLanguage(context, this);
    this.disposables.push(this.python);
    this.stores = new MlflowStoreOpener(context, {
      log: this.log,
      useStoreServer: (url, label, token) => (token ? this.useRemote({ url, auth: 'bearer' }, { kind: 'bearer', token }, label) : this.useRemote({ url, auth: 'none' }, { kind: 'none' }, label)),
      checkBackend: () => void this.remoteBackend?.pollNow(),
    });
    this.disposables.push(this.stores);
    this.disposables.push(registerLaunchCommands(context, this));
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((event) => this.onConfiguration(event)));
  }

  /** A new SQLite driver choice applies to the next start of the server: offer it now rather than at the next reload. */
  private onConfiguration(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration('runboard.store.driver') || this.remoteBackend) return;
    void vscode.window.showInformationMessage('Runboard: the SQLite driver setting takes effect when the tracking server restarts.', 'Restart Server').then((choice) => {
      if (choice === 'Restart Server') void vscode.commands.executeCommand('runboard.restartServer');
    });
  }

  get client(): MlflowClient | undefined {
    return this.remoteBackend?.client ?? this.currentClient;
  }

  /** The remote MLflow server in use, or undefined while the local store is. */
  get remote(): RemoteBackend | undefined {
    return this.remoteBackend;
  }

  get backend(): BackendInfo {
    const remote = this.remoteBackend;
    if (remote) {
      return { kind: 'remote', url: remote.url, environment: trackingEnvironment(remote.url, remote.credentials), stale: staleMessage(remote) };
    }
    const state = this.host.state;
    return state.kind === 'ready'
      ? { kind: 'local', url: state.url, environment: trackingEnvironment(state.url, { kind: 'bearer', token: state.token }) }
      : { kind: 'local', url: undefined, environment: {} };
  }

  get storeDir(): string {
    return this.host.storeDir;
  }

  /** Runs `work` with a client of the local store; while a remote server is in use, serves the store for the while. */
  async withLocalStore<T>(work: (client: MlflowClient) => Promise<T>): Promise<T> {
    if (!this.remoteBackend) {
      if (!this.currentClient) throw new Error('the local tracking server is not running. Restart it from the status bar, then try again.');
      return work(this.currentClient);
    }
    const state = await this.host.start(); // the views stay on the remote server (onServerState)
    if (state.kind !== 'ready') throw new Error(state.kind === 'failed' ? `${state.message} ${state.nextStep}` : 'the local store could not be served.');
    try {
      return await work(new MlflowClient({ baseUrl: state.url, credentials: { kind: 'bearer', token: state.token }, timeoutMs: 120_000 }));
    } finally {
      if (this.remoteBackend) await this.host.stop();
    }
  }

  /** Uses what this workspace chose last: a remote MLflow server, or the local store (the default). */
  async start(): Promise<void> {
    await this.startChosenBackend();
    void this.stores.detectAndOffer();
  }

  private async startChosenBackend(): Promise<void> {
    const choice = readChoice(this.context.workspaceState);
    // A store that cannot be served now (mlflow missing, the file moved) leaves the local store showing; the
    // choice stays, so fixing the cause and reloading reopens it.
    if (choice.kind === 'mlflow-store' && (await this.stores.reopen(choice.path))) return;
    if (choice.kind === 'remote') {
      const credentials = await loadCredentials(this.context.secrets, choice);
      if (credentials) {
        await this.useRemote(choice, credentials);
        return;
      }
      // The secret is gone (another machine, a cleared secret store): ask again rather than fail quietly.
      await this.useRemote(choice, { kind: 'none' });
      void vscode.window
        .showWarningMessage(`Runboard: the ${choice.auth === 'basic' ? 'password' : 'token'} for ${hostOf(choice.url)} is not in this machine's secret storage. Connect again to enter it.`, 'Connect...', 'Use Local Store')
        .then((answer) => {
          if (answer === 'Connect...') void vscode.commands.executeCommand('runboard.connectServer');
          if (answer === 'Use Local Store') void vscode.commands.executeCommand('runboard.useLocalStore');
        });
      return;
    }
    await this.startLocal();
  }

  private async startLocal(): Promise<void> {
    const state = await this.host.start();
    if (state.kind === 'ready') {
      this.log.info(`Activation to server ready: ${Date.now() - this.activatedAt} ms`);
      void this.offerGitignore();
    } else if (state.kind === 'failed') {
      const actions = state.noLocalStore ? ['Connect to MLflow Server...', 'Open MLflow Store...', 'Show Log'] : ['Show Log', 'Restart Server'];
      void vscode.window.showErrorMessage(`Runboard: ${state.message} ${state.nextStep}`, ...actions).then((choice) => {
        if (choice === 'Show Log') this.log.show();
        if (choice === 'Restart Server') void vscode.commands.executeCommand('runboard.restartServer');
        if (choice === 'Connect to MLflow Server...') void vscode.commands.executeCommand('runboard.connectServer');
        if (choice === 'Open MLflow Store...') void vscode.commands.executeCommand('runboard.openMlflowStore');
      });
    }
  }

  /** Manual refresh: every view reloads (and a remote server is asked at once whether it answers). */
  refresh(): void {
    void this.remoteBackend?.pollNow();
    this.queueChange({ kind: 'all' });
  }

  dispose(): void {
    clearTimeout(this.debounce);
    clearInterval(this.poll);
    this.stopRemote();
    this.context.environmentVariableCollection.clear();
    for (const disposable of this.disposables.reverse()) disposable.dispose();
  }

  private onServerState(state: ServerState): void {
    clearInterval(this.poll);
    this.currentClient = state.kind === 'ready' ? new MlflowClient({ baseUrl: state.url, credentials: { kind: 'bearer', token: state.token } }) : undefined;
    if (this.remoteBackend) return; // the local server stopping (or anything else it does) is not what the views show
    this.updateContext();
    if (state.kind === 'ready') {
      this.injectEnvironment(trackingEnvironment(state.url, { kind: 'bearer', token: state.token }), state.url);
      if (state.owner === 'other-window') this.poll = setInterval(() => this.queueChange({ kind: 'all' }), POLL_MS);
    } else {
      this.context.environmentVariableCollection.clear();
    }
    this.backendEmitter.fire();
    this.clientEmitter.fire();
    this.queueChange({ kind: 'all' });
  }

  /** Every integrated terminal opened from now on logs into this server with no setup. */
  private injectEnvironment(variables: Record<string, string>, url: string): void {
    const environment = this.context.environmentVariableCollection;
    environment.clear(); // no token of one server next to the URL of another
    environment.persistent = false; // a restored terminal must not keep a stale URL or secret
    environment.description = `Runboard: MLflow scripts run here log into ${url}`;
    for (const [name, value] of Object.entries(variables)) environment.replace(name, value);
  }

  private updateContext(): void {
    const remote = this.remoteBackend;
    const state = this.host.state;
    void vscode.commands.executeCommand('setContext', 'runboard.remote', remote !== undefined);
    void vscode.commands.executeCommand('setContext', 'runboard.remoteState', remote?.status.kind ?? '');
    void vscode.commands.executeCommand('setContext', 'runboard.stale', remote ? staleMessage(remote) !== undefined : false);
    void vscode.commands.executeCommand('setContext', 'runboard.serverReady', remote ? remote.status.kind !== 'connecting' : state.kind === 'ready');
    void vscode.commands.executeCommand('setContext', 'runboard.serverFailed', !remote && state.kind === 'failed');
    void vscode.commands.executeCommand('setContext', 'runboard.noLocalStore', !remote && state.kind === 'failed' && state.noLocalStore === true);
  }

  // ------------------------------------------------------------ remote MLflow server

  /** Switches this window to a remote server: the local server stops, the views reload from the remote. */
  private async useRemote(settings: RemoteSettings, credentials: Credentials, storeLabel?: string): Promise<void> {
    this.stopRemote();
    const remote = new RemoteBackend(settings, credentials, this.log, storeLabel);
    this.remoteBackend = remote;
    this.remoteSubscriptions = [
      remote.onDidChangeStatus(() => this.onRemoteStatus()),
      remote.onDidChange((changes) => {
        for (const change of changes) this.queueChange(change);
      }),
    ];
    clearInterval(this.poll);
    this.log.info(`Using the MLflow server at ${settings.url}${settings.auth === 'none' ? '' : settings.auth === 'bearer' ? ' with a token' : ` as ${settings.username}`}`);
    this.injectEnvironment(trackingEnvironment(settings.url, credentials), settings.url);
    remote.start();
    this.onRemoteStatus();
    this.clientEmitter.fire();
    this.queueChange({ kind: 'all' });
    await this.host.stop(); // nothing of the local store is served meanwhile (another window may still serve it)
  }

  private stopRemote(): void {
    for (const subscription of this.remoteSubscriptions) subscription.dispose();
    this.remoteSubscriptions = [];
    this.remoteBackend?.dispose();
    this.remoteBackend = undefined;
  }

  private onRemoteStatus(): void {
    const remote = this.remoteBackend;
    const message = remote ? staleMessage(remote) : undefined;
    for (const view of [this.trees?.experiments.view, this.trees?.models.view]) if (view) view.message = message;
    this.updateContext();
    this.backendEmitter.fire();
  }

  /** "Connect to MLflow Server...": prompts, checks the server answers with those credentials, then switches. */
  private async connectServer(): Promise<void> {
    const choice = readChoice(this.context.workspaceState);
    const previousSettings = this.remoteBackend?.settings ?? (choice.kind === 'remote' ? choice : undefined);
    let previous: Partial<RemoteConnection> = {};
    if (previousSettings) {
      const credentials = this.remoteBackend?.credentials ?? (await loadCredentials(this.context.secrets, previousSettings));
      previous = { settings: previousSettings, ...(credentials ? { credentials } : {}) };
    }
    let connection = await promptConnection(previous);
    while (connection) {
      const target = connection;
      const error = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Runboard: connecting to ${hostOf(target.settings.url)}…` }, () => probeConnection(target));
      if (!error) {
        await storeCredentials(this.context.secrets, target.settings, target.credentials);
        await saveChoice(this.context.workspaceState, { kind: 'remote', ...target.settings });
        await this.useRemote(target.settings, target.credentials);
        await this.stores.stop();
        void vscode.window.showInformationMessage(`Runboard: connected to the MLflow server at ${target.settings.url}. Terminals opened from now on log into it.`);
        return;
      }
      this.log.warn(`Runboard: could not connect to ${target.settings.url}: ${error.message}`);
      const answer = await vscode.window.showErrorMessage(`Runboard: could not connect to ${hostOf(target.settings.url)}. ${probeFailureMessage(target, error)}`, 'Retry', 'Edit Connection');
      if (answer === 'Retry') continue;
      connection = answer === 'Edit Connection' ? await promptConnection(target) : undefined;
    }
  }

  /** "Use Local Store": back to the workspace's own store and its server. */
  private async useLocalStore(): Promise<void> {
    await saveChoice(this.context.workspaceState, { kind: 'local' });
    await this.stores.stop();
    if (!this.remoteBackend) {
      if (this.host.state.kind !== 'ready' && this.host.state.kind !== 'starting') await this.startLocal();
      return;
    }
    this.log.info('Using the local store again');
    this.stopRemote();
    for (const view of [this.trees.experiments.view, this.trees.models.view]) if (view) view.message = undefined;
    this.context.environmentVariableCollection.clear();
    this.updateContext();
    this.backendEmitter.fire();
    this.clientEmitter.fire();
    await this.startLocal();
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
        if (this.stores.openStore) {
          await this.stores.restart();
          return;
        }
        if (this.remoteBackend) {
          void vscode.window.showInformationMessage(`Runboard: this workspace uses the MLflow server at ${this.remoteBackend.url}; checking it answers. Run "Runboard: Use Local Store" to serve the local store again.`);
          await this.remoteBackend.pollNow();
          return;
        }
        await this.host.restart();
      }),
      register('runboard.connectServer', () => this.connectServer()),
      register('runboard.useLocalStore', () => this.useLocalStore()),
      register('runboard.importIntoLocal', () => importIntoLocal(this)),
      register('runboard.exportToServer', () => exportToServer(this)),
      register('runboard.copyTrackingEnv', async () => {
        const backend = this.backend;
        if (!backend.url) {
          void vscode.window.showWarningMessage('Runboard: the tracking server is not running yet. Restart it from the status bar, then copy again.');
          return;
        }
        await vscode.env.clipboard.writeText(exportLines(backend.environment));
        void vscode.window.showInformationMessage(
          backend.kind === 'remote'
            ? `Runboard: export lines copied (they hold the ${this.remoteBackend?.settings.auth === 'none' ? 'URL' : 'URL and the secret'}). Paste them in a terminal outside VS Code to log into ${hostOf(backend.url)}.`
            : 'Runboard: export lines copied. Paste them in a terminal outside VS Code to log into this workspace.',
        );
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
        const remote = this.remoteBackend;
        const url = this.backend.url;
        const items: (vscode.QuickPickItem & { command: string })[] = [
          { label: '$(copy) Copy Tracking URI', description: url ?? '', command: 'copyUri' },
          { label: '$(terminal) Copy Tracking Environment', description: 'export lines for outside terminals', command: 'runboard.copyTrackingEnv' },
          ...(remote
            ? [
                { label: '$(refresh) Refresh Now', description: 'ask the server again', command: 'runboard.refresh' },
                ...(this.stores.openStore ? [{ label: '$(debug-restart) Restart MLflow Server', description: this.stores.openStore.store.path, command: 'runboard.restartServer' }] : []),
                { label: '$(database) Open MLflow Store...', description: 'mlflow.db or mlruns/ with MLflow\'s own server', command: 'runboard.openMlflowStore' },
                { label: '$(plug) Connect to MLflow Server...', description: 'another server or other credentials', command: 'runboard.connectServer' },
                { label: '$(database) Use Local Store', description: this.storeDir, command: 'runboard.useLocalStore' },
                { label: '$(cloud-download) Import into Runboard', description: 'copy this server into the local store', command: 'runboard.importIntoLocal' },
              ]
            : [
                { label: '$(debug-restart) Restart Tracking Server', command: 'runboard.restartServer' },
                { label: '$(folder-opened) Open Store Folder', description: this.storeDir, command: 'runboard.openStore' },
                { label: '$(database) Open MLflow Store...', description: 'mlflow.db or mlruns/ with MLflow\'s own server', command: 'runboard.openMlflowStore' },
                { label: '$(plug) Connect to MLflow Server...', description: 'a team\'s MLflow tracking server', command: 'runboard.connectServer' },
              ]),
          { label: '$(cloud-upload) Export to Server...', description: 'copy into another MLflow server', command: 'runboard.exportToServer' },
          { label: '$(output) Show Server Log', command: 'runboard.showLog' },
        ];
        const picked = await vscode.window.showQuickPick(items, { title: remote ? describeRemote(remote) : describeState(this.host.state) });
        if (!picked) return;
        if (picked.command === 'copyUri') {
          if (url) await vscode.env.clipboard.writeText(url);
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
