import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { saveChoice } from '../backend';
import { shellQuote } from '../remote-settings';
import { resolvePythonInterpreter, type PythonInterpreter } from '../python/interpreter';
import { findStores, isRoutineRequestLine, storeAt, storeLabel, type MlflowStore } from './mlflow-store';
import { checkMlflow, MlflowMissingError, OutdatedSchemaError, ServerStartError, startStoreServer, upgradeSchema, type StoreServer } from './store-server';

const NEVER_OFFER_KEY = 'runboard.mlflowStores.neverOffer';
const PYTHON_EXTENSION_ID = 'ms-python.python';
/** Files appearing in bursts (a script creating mlflow.db and mlruns/0 at once): one rescan. */
const RESCAN_DEBOUNCE_MS = 1000;

/** What the opener needs from Runboard's lifecycle owner. */
export interface StoreBackendHost {
  readonly log: vscode.LogOutputChannel;
  /** Shows the server on the store as the backend (terminals log into it, with the gate's token if it has one). */
  useStoreServer(url: string, label: string, token: string | undefined): Promise<void>;
  /** Asks the backend in use whether it answers (without reloading the views, which keep their rows). */
  checkBackend(): void;
}

interface OpenStore {
  readonly store: MlflowStore;
  readonly label: string;
  readonly server: StoreServer;
}

/**
 * Existing MLflow data in the workspace: finds `mlflow.db` and `mlruns/`, offers to open them, and runs
 * MLflow's own server on the one opened (from the user's interpreter, on loopback) for as long as it is the
 * backend. The process group is stopped when the user switches away and when the window closes.
 */
export class MlflowStoreOpener implements vscode.Disposable {
  private current: OpenStore | undefined;
  private detected: MlflowStore[] = [];
  /**
   * Stores seen this session: on activation the first one is offered; later only stores that appear meanwhile
   * (a script's first `sqlite:///mlflow.db`) are. "Not Now" lasts until the window reloads.
   */
  private readonly known = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private rescanTimer: NodeJS.Timeout | undefined;
  private opening: Promise<boolean> | undefined;
  /** Cancels a server still starting (the window closing meanwhile must not leave it running). */
  private starting: AbortController | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly host: StoreBackendHost,
  ) {
    for (const pattern of ['**/mlflow.db', '**/mlruns/*/meta.yaml']) {
      const watcher = vscode.workspace.createFileSystemWatcher(pattern, false, true, false);
      watcher.onDidCreate(() => this.scheduleRescan(), undefined, this.disposables);
      watcher.onDidDelete(() => this.scheduleRescan(), undefined, this.disposables);
      this.disposables.push(watcher);
    }
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRescan()));
    this.disposables.push(vscode.commands.registerCommand('runboard.openMlflowStore', (uri?: vscode.Uri) => this.pickAndOpen(uri)));
  }

  /** The store served now, if any. */
  get openStore(): { readonly store: MlflowStore; readonly label: string; readonly url: string } | undefined {
    return this.current && { store: this.current.store, label: this.current.label, url: this.current.server.url };
  }

  dispose(): void {
    clearTimeout(this.rescanTimer);
    this.starting?.abort();
    this.current?.server.kill();
    this.current = undefined;
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** Looks for stores now and offers the first one, unless the workspace already shows one of them. */
  async detectAndOffer(): Promise<void> {
    await this.rescan({ offer: this.current === undefined });
  }

  /**
   * Opens `path` (a store chosen before, reopened with the workspace). False when it is gone or could not be
   * served: the caller falls back to the local store.
   */
  async reopen(path: string): Promise<boolean> {
    const store = storeAt(path);
    if (!store) {
      await saveChoice(this.context.workspaceState, { kind: 'local' });
      void vscode.window.showWarningMessage(`Runboard: the MLflow store ${path} this workspace used is gone; showing Runboard's own store.`);
      return false;
    }
    return this.open(store);
  }

  /**
   * Starts MLflow's server on `store` and makes it the backend; false when the user cancelled or it failed.
   * The store already served stays as it is unless `restart`.
   */
  open(store: MlflowStore, { restart = false } = {}): Promise<boolean> {
    // One open at a time: a second click while MLflow starts waits for the first.
    const previous = this.opening ?? Promise.resolve(false);
    const next = previous.then(() => {
      const open = this.current;
      if (!restart && open?.store.path === store.path && open.server.running) {
        void vscode.window.showInformationMessage(`Runboard: ${open.label} is open already (MLflow's server at ${open.server.url}).`);
        return true;
      }
      return this.openNow(store);
    });
    this.opening = next.finally(() => {
      if (this.opening === next) this.opening = undefined;
    });
    return next;
  }

  /** Restarts the server of the open store (after it died, or on the user's request). */
  async restart(): Promise<boolean> {
    const open = this.current;
    if (!open) return false;
    return this.open(open.store, { restart: true });
  }

  /** Stops the served store's process group (switching to the local store or another server). */
  async stop(): Promise<void> {
    const open = this.current;
    this.current = undefined;
    void vscode.commands.executeCommand('setContext', 'runboard.mlflowStore', false);
    if (open) {
      this.host.log.info(`Stopping MLflow's server on ${open.label} (pid ${open.server.pid})`);
      await open.server.stop();
    }
  }

  private async openNow(store: MlflowStore): Promise<boolean> {
    const label = this.labelOf(store);
    const interpreter = await resolvePythonInterpreter(vscode.Uri.file(store.path));
    const server = await this.startWithProgress(store, label, interpreter);
    void vscode.commands.executeCommand('setContext', 'runboard.mlflowStoreStarting', false);
    if (!server) return false;
    const previous = this.current;
    this.current = { store, label, server };
    void server.exited.then((exit) => {
      if (exit.requested || this.current?.server !== server) return;
      this.host.log.warn(`MLflow's server on ${label} exited (${exit.code ?? exit.signal})`);
      this.host.checkBackend(); // the views turn stale now, not at the next poll
      void vscode.window
        .showWarningMessage(`Runboard: MLflow's server on ${label} stopped (exit ${exit.code ?? exit.signal}). The views show what was loaded before.`, 'Restart', 'Show Log', 'Use Local Store')
        .then((answer) => {
          if (answer === 'Restart') void this.restart();
          if (answer === 'Show Log') this.host.log.show();
          if (answer === 'Use Local Store') void vscode.commands.executeCommand('runboard.useLocalStore');
        });
    });
    await saveChoice(this.context.workspaceState, { kind: 'mlflow-store', path: store.path });
    void vscode.commands.executeCommand('setContext', 'runboard.mlflowStore', true);
    await this.host.useStoreServer(server.url, label, server.token);
    if (previous) {
      this.host.log.info(`Stopping MLflow's server on ${previous.label} (pid ${previous.server.pid})`);
      await previous.server.stop();
    }
    const where = server.token ? `on a private socket behind Runboard's token gate at ${server.url}` : `at ${server.url} (no token: this mlflow cannot listen on a socket)`;
    this.host.log.info(`Serving ${store.path} with MLflow's server ${where} (pid ${server.pid}, ${interpreter.command})`);
    return true;
  }

  /** Checks mlflow, starts the server (upgrading an old schema if the user agrees); undefined when it did not. */
  private async startWithProgress(store: MlflowStore, label: string, interpreter: PythonInterpreter): Promise<StoreServer | undefined> {
    const python = interpreter.command;
    const log = (line: string) => (isRoutineRequestLine(line) ? this.host.log.trace(`[mlflow server ${label}] ${line}`) : this.host.log.info(`[mlflow server ${label}] ${line}`));
    const title = `Runboard: starting MLflow server on ${label}…`;
    const attempt = () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        void vscode.commands.executeCommand('setContext', 'runboard.mlflowStoreStarting', true);
        progress.report({ message: `checking mlflow in ${python}` });
        const version = await checkMlflow(python);
        this.host.log.info(`Opening ${store.path} with mlflow ${version} from ${python} (${describeSource(interpreter)})`);
        progress.report({ message: `mlflow ${version}` });
        const abort = new AbortController();
        this.starting = abort;
        token.onCancellationRequested(() => abort.abort());
        try {
          // Windows has no Unix sockets for uvicorn: MLflow's server gets a loopback port there.
          const gateScript = process.platform === 'win32' ? undefined : join(this.context.extensionPath, 'dist', 'gate-worker.js');
          return await startStoreServer({ python, store, onOutput: log, signal: abort.signal, gateScript });
        } finally {
          if (this.starting === abort) this.starting = undefined;
        }
      });
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof OutdatedSchemaError && store.kind === 'sqlite' && (await this.upgrade(store, label, python, error))) {
        try {
          return await attempt();
        } catch (again) {
          this.reportFailure(again, label, interpreter);
          return undefined;
        }
      }
      this.reportFailure(error, label, interpreter);
      return undefined;
    }
  }

  /**
   * MLflow's server refuses a store an older MLflow wrote until `mlflow db upgrade` migrates it in place.
   * Asked, never done silently: afterwards clients older than this mlflow cannot write to it. A backup copy is
   * kept beside it first. (An upgraded copy instead would not show the scripts that keep writing to mlflow.db.)
   */
  private async upgrade(store: MlflowStore, label: string, python: string, error: OutdatedSchemaError): Promise<boolean> {
    const backup = `${store.path}.backup-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const answer = await vscode.window.showWarningMessage(
      `${label} was written by an older MLflow (schema ${error.found}), and MLflow's server opens it only after "mlflow db upgrade" migrates it to schema ${error.expected}. ` +
        `After the upgrade, MLflow clients older than the one in ${python} can no longer write to it. Runboard first keeps a copy as ${backup.split('/').pop()}.`,
      { modal: true },
      'Upgrade and Open',
    );
    if (answer !== 'Upgrade and Open') return false;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Runboard: upgrading ${label} (mlflow db upgrade)…` }, async () => {
        copyFileSync(store.path, backup);
        this.host.log.info(`Backed up ${store.path} to ${backup}; running mlflow db upgrade`);
        await upgradeSchema(python, store, (line) => this.host.log.info(`[mlflow db upgrade] ${line}`));
      });
      return true;
    } catch (upgradeError) {
      this.host.log.error(`mlflow db upgrade failed: ${(upgradeError as Error).message}`);
      void vscode.window.showErrorMessage(`Runboard: could not upgrade ${label}: ${(upgradeError as Error).message} The backup ${backup} is untouched.`, 'Show Log').then((choice) => {
        if (choice === 'Show Log') this.host.log.show();
      });
      return false;
    }
  }

  private reportFailure(error: unknown, label: string, interpreter: PythonInterpreter): void {
    if (error instanceof ServerStartError && error.message === 'cancelled') return;
    if (error instanceof MlflowMissingError) return void this.reportMissingMlflow(error, interpreter);
    const message = error instanceof Error ? error.message : String(error);
    this.host.log.error(`Could not start MLflow's server on ${label}: ${message}`);
    void vscode.window.showErrorMessage(`Runboard: could not start MLflow's server on ${label}: ${message}`, 'Show Log', 'Retry').then((choice) => {
      if (choice === 'Show Log') this.host.log.show();
      if (choice === 'Retry') void vscode.commands.executeCommand('runboard.openMlflowStore');
    });
  }

  /** Which interpreter lacks mlflow, and the fixes: install it there, or choose another interpreter. */
  private async reportMissingMlflow(error: MlflowMissingError, interpreter: PythonInterpreter): Promise<void> {
    this.host.log.error(`${error.message} (${describeSource(interpreter)})`);
    const hasPythonExtension = vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
    const choose = hasPythonExtension ? 'Select Interpreter' : 'Open Settings';
    const install = error.reason === 'no-mlflow' ? ['Install mlflow'] : [];
    const answer = await vscode.window.showErrorMessage(
      `Runboard: ${error.message} Runboard opens MLflow stores with MLflow's own server from ${describeSource(interpreter)}: install mlflow there, or choose an interpreter that has it.`,
      ...install,
      choose,
    );
    if (answer === 'Install mlflow') {
      const terminal = vscode.window.createTerminal({ name: 'Install mlflow' });
      terminal.show();
      terminal.sendText(`${shellQuote(error.python)} -m pip install mlflow`);
    } else if (answer === 'Select Interpreter') await vscode.commands.executeCommand('python.setInterpreter');
    else if (answer === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'runboard.python');
  }

  // ------------------------------------------------------------ finding and offering stores

  private labelOf(store: MlflowStore): string {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(store.path));
    return storeLabel(store, folder?.uri.fsPath);
  }

  private scheduleRescan(): void {
    clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => void this.rescan(), RESCAN_DEBOUNCE_MS);
  }

  private async rescan({ offer = true } = {}): Promise<void> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
    const found = (await Promise.all(folders.map((folder) => findStores(folder.uri.fsPath)))).flat();
    this.detected = found;
    void vscode.commands.executeCommand('setContext', 'runboard.mlflowStoresFound', found.length > 0);
    const candidate = found.find((store) => !this.known.has(store.path) && store.path !== this.current?.store.path);
    for (const store of found) this.known.add(store.path);
    if (candidate && offer) await this.offer(candidate);
  }

  private async offer(store: MlflowStore): Promise<void> {
    if (this.context.workspaceState.get<boolean>(NEVER_OFFER_KEY)) return;
    const label = this.labelOf(store);
    const answer = await vscode.window.showInformationMessage(`This workspace has MLflow data in ${label}. Open it in Runboard?`, 'Open', 'Not Now', 'Never for This Workspace');
    if (answer === 'Open') await this.open(store);
    if (answer === 'Never for This Workspace') await this.context.workspaceState.update(NEVER_OFFER_KEY, true);
  }

  /** "Open MLflow Store...": one of the stores found, or any .db file or mlruns folder on disk. */
  private async pickAndOpen(uri?: vscode.Uri): Promise<void> {
    if (uri) return void (await this.openPath(uri.fsPath));
    await this.rescan({ offer: false }).catch(() => undefined);
    type Pick = vscode.QuickPickItem & { readonly store?: MlflowStore };
    const items: Pick[] = this.detected.map((store) => ({
      label: `$(database) ${this.labelOf(store)}`,
      description: store.kind === 'sqlite' ? 'SQLite store' : 'file store (mlruns)',
      detail: store.path + (store.path === this.current?.store.path ? ' (open now)' : ''),
      store,
    }));
    items.push({ label: '$(folder-opened) Browse...', description: 'an MLflow .db file or mlruns folder elsewhere' });
    const picked = await vscode.window.showQuickPick(items, { title: 'Open MLflow Store', placeHolder: items.length > 1 ? 'MLflow data found in this workspace' : 'No mlflow.db or mlruns/ found in this workspace' });
    if (!picked) return;
    if (picked.store) return void (await this.open(picked.store));
    const chosen = await vscode.window.showOpenDialog({
      title: 'Open MLflow Store: an mlflow.db file or an mlruns folder',
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Open in Runboard',
    });
    if (chosen?.[0]) await this.openPath(chosen[0].fsPath);
  }

  private async openPath(path: string): Promise<boolean> {
    const store = storeAt(path);
    if (!store) {
      void vscode.window.showErrorMessage(`Runboard: ${path} is not an MLflow store. Choose an SQLite file MLflow wrote (such as mlflow.db) or an mlruns folder with experiment folders (0/meta.yaml).`);
      return false;
    }
    return this.open(store);
  }
}

function describeSource(interpreter: PythonInterpreter): string {
  switch (interpreter.source) {
    case 'python-extension':
      return 'the Python extension\'s selected interpreter';
    case 'setting':
      return 'the runboard.python setting';
    case 'default':
      return 'python3 on PATH (set runboard.python or install the Python extension to choose another)';
  }
}
