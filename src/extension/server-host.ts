import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { LEASE_FILE, LOCK_FILE, type HostMessage, type ServerLease, type ServerWorkerOptions, type WorkerMessage } from '../api/server-host-protocol';

export type ServerState =
  | { readonly kind: 'starting' }
  | {
      readonly kind: 'ready';
      readonly url: string;
      readonly token: string;
      readonly owner: 'this-window' | 'other-window';
      readonly startedInMs: number;
      /** The SQLite driver serving the store and why others were passed over (this window's worker only). */
      readonly driver?: string;
    }
  | {
      readonly kind: 'failed';
      readonly message: string;
      readonly nextStep: string;
      /** No SQLite driver works in this host: restarting cannot help, a server or an MLflow store can. */
      readonly noLocalStore?: boolean;
    }
  | { readonly kind: 'stopped' };

const PORT_KEY = 'runboard.server.port';
const tokenKey = (storeDir: string) => `runboard.token:${storeDir}`;

/**
 * Runs the workspace's tracking server in a worker thread (the store's SQLite work never blocks the
 * extension host), or reuses the one another window already runs on the same store.
 */
export class ServerHost implements vscode.Disposable {
  private worker: Worker | undefined;
  private current: ServerState = { kind: 'stopped' };
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly changeEmitter = new vscode.EventEmitter<{ kind: 'experiment' | 'run' | 'model'; id: string }>();
  readonly onDidChangeState = this.stateEmitter.event;
  /** Writes the server made (push events); only while this window owns the server. */
  readonly onDidWrite = this.changeEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly storeDir: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get state(): ServerState {
    return this.current;
  }

  async start(): Promise<ServerState> {
    this.setState({ kind: 'starting' });
    const token = await this.token();
    const reused = await this.reuseRunningServer(token);
    if (reused) return reused;
    const state = await this.startWorker(token);
    if (state.kind !== 'failed' || !state.message.startsWith('Another process serves')) return state;
    // Another window won the race for the store: wait for its lease and share its server.
    for (let attempt = 0; attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const shared = await this.reuseRunningServer(token);
      if (shared) return shared;
    }
    return state;
  }

  async restart(): Promise<ServerState> {
    await this.stop();
    return this.start();
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'stop' } satisfies HostMessage);
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000));
      await Promise.race([exited, timeout]);
      await worker.terminate();
      this.releaseStoreOfDeadWorker();
    }
    this.setState({ kind: 'stopped' });
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.changeEmitter.dispose();
  }

  private setState(state: ServerState): void {
    this.current = state;
    this.stateEmitter.fire(state);
  }

  /** One token per store, kept in SecretStorage so every window on the store shares it. */
  private async token(): Promise<string> {
    const key = tokenKey(this.storeDir);
    const existing = await this.context.secrets.get(key);
    if (existing) return existing;
    const token = randomBytes(24).toString('hex');
    await this.context.secrets.store(key, token);
    return token;
  }

  /** A lease file names the URL of a server another window runs on this store; use it if it answers. */
  private async reuseRunningServer(token: string): Promise<ServerState | undefined> {
    let lease: ServerLease;
    try {
      lease = JSON.parse(readFileSync(join(this.storeDir, LEASE_FILE), 'utf8')) as ServerLease;
    } catch {
      return undefined;
    }
    if (lease.pid === process.pid) return undefined;
    try {
      const response = await fetch(`${lease.url}/api/2.0/mlflow/experiments/search`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ max_results: 1 }),
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) return undefined;
    } catch {
      return undefined;
    }
    this.log.info(`Reusing the tracking server another window runs on this store: ${lease.url}`);
    const state: ServerState = { kind: 'ready', url: lease.url, token, owner: 'other-window', startedInMs: 0 };
    this.setState(state);
    return state;
  }

  /** A worker that died without stopping leaves its lock and lease behind; they name this process. */
  private releaseStoreOfDeadWorker(): void {
    for (const file of [LOCK_FILE, LEASE_FILE]) {
      const path = join(this.storeDir, file);
      if (ownedByThisProcess(path)) rmSync(path, { force: true });
    }
  }

  private startWorker(token: string): Promise<ServerState> {
    const options: ServerWorkerOptions = {
      storeDir: this.storeDir,
      port: this.context.workspaceState.get<number>(PORT_KEY) ?? 0,
      token,
      sqliteDriver: vscode.workspace.getConfiguration('runboard').get<string>('store.driver') || 'auto',
    };
    const script = join(this.context.extensionPath, 'dist', 'server-worker.js');
    this.log.info(`Starting the tracking server on the store ${this.storeDir}`);
    const worker = new Worker(script, { workerData: options });
    this.worker = worker;
    return new Promise<ServerState>((resolve) => {
      let settled = false;
      const settle = (state: ServerState) => {
        this.setState(state);
        if (!settled) {
          settled = true;
          resolve(state);
        }
      };
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'ready':
            void this.context.workspaceState.update(PORT_KEY, message.port);
            this.log.info(`Tracking server ready at ${message.url} (${message.startedInMs} ms in the worker); SQLite driver: ${message.driver}`);
            settle({ kind: 'ready', url: message.url, token, owner: 'this-window', startedInMs: message.startedInMs, driver: message.driver });
            break;
          case 'change':
            this.changeEmitter.fire({ kind: message.kind, id: message.id });
            break;
          case 'log':
            this.log.info(message.line);
            break;
          case 'failed':
            this.log.error(`Tracking server failed (${message.code}): ${message.message}`);
            settle(failure(message.code, message.message));
            break;
        }
      });
      worker.on('error', (error) => {
        this.log.error(`Tracking server worker crashed: ${error.stack ?? error.message}`);
        settle(failure('OTHER', error.message));
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.releaseStoreOfDeadWorker();
          if (this.current.kind === 'ready' || this.current.kind === 'starting') {
            settle(failure('OTHER', `The tracking server stopped unexpectedly (exit code ${code}).`));
          }
        }
      });
    });
  }
}

function ownedByThisProcess(path: string): boolean {
  try {
    const content = readFileSync(path, 'utf8');
    return content.trim() === String(process.pid) || (JSON.parse(content) as ServerLease).pid === process.pid;
  } catch {
    return false;
  }
}

function failure(code: string, message: string): ServerState {
  switch (code) {
    case 'NO_SQLITE_DRIVER':
      return {
        kind: 'failed',
        noLocalStore: true,
        message: `The local store cannot run in this VS Code: ${message}.`,
        nextStep: 'Connect to an MLflow server, or open an mlflow.db through MLflow, instead.',
      };
    case 'DRIVER_FORCED':
      return {
        kind: 'failed',
        message: `${message} (the runboard.store.driver setting).`,
        nextStep: 'Set runboard.store.driver back to auto, then restart the server.',
      };
    case 'STORE_LOCKED':
      return { kind: 'failed', message, nextStep: 'Close the other VS Code window or process that serves this store, then restart the server.' };
    case 'PORT':
      return { kind: 'failed', message: `Could not open a port: ${message}`, nextStep: 'Restart the server; if it persists, check what holds the port.' };
    default:
      return { kind: 'failed', message, nextStep: 'Open the server log for details, then restart the server.' };
  }
}
