/**
 * What every panel app shares: the bootstrap state inlined by the host (drawn at once, no round trip), the
 * UI state kept with setState (hide/show/reload keep choices), the status banner (server offline, errors),
 * the ready handshake, and routing of host messages.
 */
import {
  PROTOCOL_VERSION,
  type Bootstrap,
  type HostMessage,
  type PanelArgsMap,
  type PanelDataMap,
  type PanelKind,
  type PanelStatus,
  type PanelUiMap,
  type PersistedState,
} from '../protocol';
import { h, notice, replaceChildren } from '../lib/dom';
import { flushState, loadState, onHostMessage, post, saveState } from '../lib/host';

export abstract class PanelApp<K extends PanelKind> {
  protected ui: PanelUiMap[K];
  protected data: PanelDataMap[K] | undefined;
  protected readonly args: PanelArgsMap[K];
  private version: number | undefined;
  private readonly banner: HTMLElement;
  protected readonly content: HTMLElement;
  private status: PanelStatus;

  constructor(
    protected readonly root: HTMLElement,
    bootstrap: Bootstrap,
    protected readonly kind: K,
    normalize: (value: unknown) => PanelUiMap[K],
  ) {
    this.args = bootstrap.args as PanelArgsMap[K];
    const saved = loadState();
    const savedUi = saved && saved.kind === kind ? saved.ui : undefined;
    this.ui = normalize(savedUi ?? bootstrap.ui);
    this.status = bootstrap.status;
    this.banner = h('div', { class: 'banner', data: { testid: 'status-banner' } });
    this.content = h('main', { class: `panel panel-${kind}`, data: { testid: `${kind}-panel` } });
    replaceChildren(root, this.banner, this.content);
    onHostMessage((message) => this.onMessage(message));
    if (bootstrap.data && bootstrap.data.payload.kind === kind) {
      this.version = bootstrap.data.version;
      this.data = bootstrap.data.payload.data as PanelDataMap[K];
    }
  }

  /** First paint from the inlined state, then the handshake (the host answers with newer data if any). */
  start(): void {
    this.renderBanner();
    this.renderAll();
    this.persist();
    post({ type: 'ready', version: this.version });
  }

  protected abstract render(): void;

  /** Live points of a metric (charts); other panels ignore them. */
  protected onAppend?(message: Extract<HostMessage, { type: 'append' }>): void;

  protected persist(): void {
    saveState({ v: PROTOCOL_VERSION, kind: this.kind, args: this.args, ui: this.ui } as PersistedState);
  }

  protected setUi(patch: Partial<PanelUiMap[K]>): void {
    this.ui = { ...this.ui, ...patch };
    this.persist();
  }

  private renderAll(): void {
    if (this.data) {
      try {
        this.render();
        document.body.dataset.ready = 'true';
      } catch (error) {
        post({ type: 'log', level: 'error', message: `Render of ${this.kind} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` });
        replaceChildren(this.content, notice('error', `This panel could not be drawn: ${error instanceof Error ? error.message : String(error)}`));
      }
    } else if (this.status.state === 'ok' || this.status.state === 'loading') {
      replaceChildren(this.content, notice('loading', this.status.state === 'loading' && this.status.message ? this.status.message : 'Loading…'));
    } else replaceChildren(this.content);
  }

  private onMessage(message: HostMessage): void {
    switch (message.type) {
      case 'data':
        if (message.payload.kind !== this.kind) return;
        this.version = message.version;
        this.data = message.payload.data as PanelDataMap[K];
        if (this.status.state !== 'ok') {
          this.status = { state: 'ok' };
          this.renderBanner();
        }
        this.renderAll();
        break;
      case 'status':
        this.status = message.status;
        this.renderBanner();
        if (!this.data) this.renderAll();
        break;
      case 'append':
        this.onAppend?.(message);
        break;
      default:
        break;
    }
  }

  private renderBanner(): void {
    const status = this.status;
    document.body.dataset.status = status.state;
    if (status.state === 'ok' || (status.state === 'loading' && !this.data)) {
      this.banner.hidden = true;
      replaceChildren(this.banner);
      return;
    }
    this.banner.hidden = false;
    const retry = h('vscode-button', { secondary: true, on: { click: () => post({ type: 'refresh' }) } }, 'Retry');
    if (status.state === 'loading') replaceChildren(this.banner, notice('loading', status.message ?? 'Refreshing…'));
    else if (status.state === 'offline') replaceChildren(this.banner, notice('info', `${status.message}${this.data ? ' Showing the last data loaded.' : ''}`, retry));
    else replaceChildren(this.banner, notice('error', status.message, retry));
  }
}

window.addEventListener('beforeunload', flushState);
