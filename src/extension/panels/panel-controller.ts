import * as vscode from 'vscode';
import type { MlflowClient } from '../../client/mlflow-client';
import {
  isWebviewMessage,
  PROTOCOL_VERSION,
  VIEW_TYPES,
  type Bootstrap,
  type HostMessage,
  type PanelArgsMap,
  type PanelData,
  type PanelDataMap,
  type PanelKind,
  type PanelStatus,
  type WebviewMessage,
} from '../../webview/protocol';
import type { DataChange, Services } from '../services';
import { panelHtml } from './html';

/** Snapshots while a run logs: at most one load every so often per panel. */
const MIN_RELOAD_INTERVAL_MS = 750;
/** How long opening a panel waits for its data so the first paint has it (else it shows a spinner). */
const FIRST_PAINT_WAIT_MS = 1500;

/** What a panel's provider can do with its panel. */
export interface PanelSession {
  readonly services: Services;
  /** Sends now when the webview listens; else queued (and dropped if the webview reloads meanwhile). */
  post(message: HostMessage): void;
  /** Loads a fresh snapshot soon (coalesced and throttled) and sends it. */
  reload(): void;
  /** True while the panel's webview exists (a hidden panel's webview is destroyed). */
  readonly visible: boolean;
}

/** The part of a panel that knows what it shows: its data, its requests, its live updates. */
export interface PanelProvider<K extends PanelKind> {
  readonly kind: K;
  readonly args: PanelArgsMap[K];
  title(data: PanelDataMap[K] | undefined): string;
  load(client: MlflowClient): Promise<PanelDataMap[K]>;
  /** Requests of the webview this panel answers (series, artifacts, notes...). */
  handle?(message: WebviewMessage, client: MlflowClient): Promise<HostMessage | undefined>;
  /** A debounced change from the backend: true when the panel should reload its snapshot. */
  affectedBy(change: DataChange): boolean;
  /** After a reload caused by `change` (live appends of charts). */
  afterChange?(change: DataChange, client: MlflowClient): Promise<void>;
  /** The webview went away (hidden or reloaded): it asks again for what it needs. */
  onWebviewReset?(): void;
  /** A new client (server restart, other server). */
  onClientChanged?(): void;
  dispose?(): void;
}

/** Requests any panel may make that the panel registry serves (open other panels, files, clipboard). */
export interface PanelActions {
  handleCommon(message: WebviewMessage, kind: PanelKind): Promise<HostMessage | undefined>;
}

export interface PanelAssetsRoot {
  readonly extensionUri: vscode.Uri;
}

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  // No retainContextWhenHidden: the webview keeps its UI state with setState and gets data again on show.
  return { enableScripts: true, enableFindWidget: true, enableCommandUris: false, localResourceRoots: [webviewRoot(extensionUri)] };
}

/**
 * One webview panel: its HTML (strict CSP with a nonce, the bootstrap state inlined), the ready handshake,
 * messages queued while the webview is not listening, validation of everything the webview sends, the
 * snapshot kept current with the backend, and disposal.
 */
export class PanelController<K extends PanelKind> implements PanelSession, vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private queue: HostMessage[] = [];
  private snapshot: { version: number; payload: PanelData } | undefined;
  private status: PanelStatus = { state: 'loading' };
  private version = 0;
  private loading: Promise<void> | undefined;
  private reloadQueued = false;
  private reloadTimer: NodeJS.Timeout | undefined;
  private lastLoad = 0;
  private staleWhileHidden = false;
  private disposed = false;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly provider: PanelProvider<K>,
    readonly services: Services,
    private readonly extensionUri: vscode.Uri,
    private readonly actions: PanelActions,
  ) {
    // A tab icon is an image, where currentColor is black: one drawn for light themes, one for dark ones.
    panel.iconPath = { light: vscode.Uri.joinPath(extensionUri, 'media', 'panel-light.svg'), dark: vscode.Uri.joinPath(extensionUri, 'media', 'panel-dark.svg') };
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(message)),
      panel.onDidChangeViewState(() => this.onViewState()),
      services.onDidChangeData((change) => void this.onDataChange(change)),
      services.onDidChangeClient(() => this.onClientChange()),
      this.disposeEmitter,
    );
    if (services.onDidChangeBackend) this.disposables.push(services.onDidChangeBackend(() => this.onBackendChange()));
  }

  get kind(): K {
    return this.provider.kind;
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  /**
   * Fills a new (or revived) panel: waits a little for the data so the first paint has it, sets the HTML,
   * then keeps loading in the background if the server was slower.
   */
  async start(ui?: unknown): Promise<void> {
    const client = this.services.client;
    let pending: Promise<void> | undefined;
    if (client) {
      pending = this.load(client);
      await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, FIRST_PAINT_WAIT_MS))]);
    } else {
      this.status = { state: 'offline', message: 'Waiting for the tracking server to start…' };
    }
    if (this.disposed) return;
    this.setHtml(ui);
  }

  post(message: HostMessage): void {
    if (this.disposed) return;
    if (this.ready && this.panel.visible) {
      void this.panel.webview.postMessage(message);
      return;
    }
    // A newer snapshot or status replaces a queued one.
    if (message.type === 'data' || message.type === 'status') this.queue = this.queue.filter((m) => m.type !== message.type);
    this.queue.push(message);
  }

  reload(): void {
    if (this.disposed) return;
    if (!this.panel.visible) {
      this.staleWhileHidden = true;
      return;
    }
    const client = this.services.client;
    if (!client) return;
    if (this.loading) {
      this.reloadQueued = true;
      return;
    }
    const wait = MIN_RELOAD_INTERVAL_MS - (Date.now() - this.lastLoad);
    if (wait > 0) {
      if (!this.reloadTimer) {
        this.reloadTimer = setTimeout(() => {
          this.reloadTimer = undefined;
          this.reload();
        }, wait);
      }
      return;
    }
    void this.load(client);
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.reloadTimer);
    this.provider.dispose?.();
    this.disposeEmitter.fire();
    for (const disposable of this.disposables) disposable.dispose();
    this.panel.dispose();
  }

  // ------------------------------------------------------------ loading

  private load(client: MlflowClient): Promise<void> {
    const run = async () => {
      this.lastLoad = Date.now();
      try {
        const data = await this.provider.load(client);
        if (this.disposed) return;
        this.snapshot = { version: ++this.version, payload: { kind: this.kind, data } as PanelData };
        this.panel.title = this.provider.title(data);
        if (this.status.state !== 'ok') this.setStatus({ state: 'ok' });
        this.post({ type: 'data', version: this.snapshot.version, payload: this.snapshot.payload });
      } catch (error) {
        if (this.disposed) return;
        const message = error instanceof Error ? error.message : String(error);
        // A remote server that went away: the backend's own words say it best.
        const stale = this.services.backend?.stale;
        if (stale) {
          this.setStatus({ state: 'offline', message: stale });
          return;
        }
        this.services.log.warn(`Runboard: ${this.kind} panel could not load: ${message}`);
        this.setStatus({ state: 'error', message: `Could not load: ${message}` });
      }
    };
    const loading = run().finally(() => {
      this.loading = undefined;
      if (this.reloadQueued) {
        this.reloadQueued = false;
        this.reload();
      }
    });
    this.loading = loading;
    return loading;
  }

  private setStatus(status: PanelStatus): void {
    this.status = status;
    this.post({ type: 'status', status });
  }

  private setHtml(ui: unknown): void {
    const webview = this.panel.webview;
    const root = webviewRoot(this.extensionUri);
    const bootstrap: Bootstrap = {
      protocol: PROTOCOL_VERSION,
      kind: this.kind,
      args: this.provider.args,
      status: this.snapshot ? { state: 'ok' } : this.status,
      ...(ui !== undefined ? { ui } : {}),
      ...(this.snapshot ? { data: this.snapshot } : {}),
    };
    this.panel.title = this.provider.title(this.snapshot?.payload.data as PanelDataMap[K] | undefined);
    // The snapshot is in the page: only what comes after it needs sending.
    this.queue = this.queue.filter((m) => m.type !== 'data' && m.type !== 'status');
    webview.html = panelHtml(
      {
        cspSource: webview.cspSource,
        script: webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
        style: webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.css')).toString(),
        codicons: webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicon.css')).toString(),
      },
      bootstrap,
      this.panel.title,
    );
  }

  // ------------------------------------------------------------ messages

  private async receive(raw: unknown): Promise<void> {
    if (!isWebviewMessage(raw)) {
      this.services.log.warn(`Runboard: ignored a malformed message from the ${this.kind} panel: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const message = raw;
    if (message.type === 'ready') return this.onReady(message.version);
    if (message.type === 'refresh') {
      if (!this.services.client) {
        this.setStatus({ state: 'offline', message: 'The tracking server is not running. Restart it from the status bar.' });
        return;
      }
      this.lastLoad = 0;
      this.reload();
      return;
    }
    try {
      let reply = await this.actions.handleCommon(message, this.kind);
      if (!reply && this.provider.handle) {
        const client = this.services.client;
        reply = client ? await this.provider.handle(message, client) : offlineReply(message);
      }
      if (reply) this.post(reply);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.services.log.warn(`Runboard: ${this.kind} panel request ${message.type} failed: ${text}`);
      const reply = errorReply(message, text);
      if (reply) this.post(reply);
    }
  }

  private onReady(version: number | undefined): void {
    this.ready = true;
    // A fresh webview: it holds only the inlined snapshot and asks again for histories.
    this.provider.onWebviewReset?.();
    const queued = this.queue;
    this.queue = [];
    if (this.snapshot && this.snapshot.version !== version) void this.panel.webview.postMessage({ type: 'data', version: this.snapshot.version, payload: this.snapshot.payload } satisfies HostMessage);
    if (this.status.state !== 'ok' || !this.snapshot) void this.panel.webview.postMessage({ type: 'status', status: this.status } satisfies HostMessage);
    for (const message of queued) if (message.type !== 'data' && message.type !== 'status') void this.panel.webview.postMessage(message);
    if (this.staleWhileHidden) {
      this.staleWhileHidden = false;
      this.reload();
    }
  }

  private onViewState(): void {
    if (this.panel.visible) return; // the new webview announces itself with 'ready'
    // Hidden: VS Code destroys the webview; what it had is gone.
    this.ready = false;
    this.queue = [];
    this.provider.onWebviewReset?.();
  }

  private async onDataChange(change: DataChange): Promise<void> {
    if (this.disposed || !this.provider.affectedBy(change)) return;
    this.reload();
    const client = this.services.client;
    if (client && this.panel.visible && this.provider.afterChange) {
      try {
        await this.provider.afterChange(change, client);
      } catch (error) {
        this.services.log.debug(`Runboard: live update of the ${this.kind} panel failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** A remote server that stopped answering: say so over the data last loaded; when it answers again, reload. */
  private onBackendChange(): void {
    const stale = this.services.backend?.stale;
    if (stale) this.setStatus({ state: 'offline', message: stale });
    else if (this.status.state === 'offline' && this.services.client) {
      this.lastLoad = 0;
      this.reload();
    }
  }

  private onClientChange(): void {
    this.provider.onClientChanged?.();
    if (this.services.client) {
      this.lastLoad = 0;
      this.reload();
    } else this.setStatus({ state: 'offline', message: 'The tracking server stopped; waiting for it to come back…' });
  }
}

export function viewTypeOf(kind: PanelKind): string {
  return VIEW_TYPES[kind];
}

function errorReply(message: WebviewMessage, error: string): HostMessage | undefined {
  switch (message.type) {
    case 'requestSeries':
      return { type: 'series', requestId: message.requestId, key: message.key, full: message.full ?? false, series: [], error, ...(message.range ? { range: message.range } : {}) };
    case 'requestArtifact':
      return { type: 'artifact', requestId: message.requestId, runId: message.runId, path: message.path, error };
    case 'saveNote':
    case 'saveFile':
    case 'registerBestModel':
      return { type: 'result', requestId: message.requestId, ok: false, error };
    default:
      return undefined;
  }
}

function offlineReply(message: WebviewMessage): HostMessage | undefined {
  return errorReply(message, 'The tracking server is not running. Restart it from the status bar.');
}
