import * as vscode from 'vscode';
import { describeRemote, hostOf, type RemoteBackend } from './backend';
import type { ServerHost } from './server-host';
import type { Services } from './services';
import { describeState } from './runboard';

/**
 * Which backend is in use (the local store, or `remote <host>`), whether it answers, and runs in progress,
 * in one status bar item that opens the server menu.
 */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('runboard.server', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[] = [];
  private running = 0;

  constructor(private readonly services: Services & { readonly host: ServerHost; readonly remote: RemoteBackend | undefined; readonly onDidChangeBackend: vscode.Event<void> }) {
    this.item.name = 'Runboard Tracking Server';
    this.item.command = 'runboard.serverMenu';
    this.subscriptions.push(services.host.onDidChangeState(() => this.render()));
    this.subscriptions.push(
      services.onDidChangeBackend(() => {
        this.render();
        void this.countRunning();
      }),
    );
    this.subscriptions.push(services.onDidChangeData(() => void this.countRunning()));
    this.render();
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private async countRunning(): Promise<void> {
    const client = this.services.client;
    if (!client) return;
    try {
      const experiments = await client.searchExperiments({ maxResults: 1000 });
      const ids = experiments.items.map((e) => e.experiment_id);
      const runs = ids.length === 0 ? { items: [] } : await client.searchRuns({ experimentIds: ids, filter: "attributes.status = 'RUNNING'", maxResults: 1000 });
      this.running = runs.items.length;
    } catch (error) {
      this.services.log.warn(`Could not count running runs: ${(error as Error).message}`);
    }
    this.render();
  }

  private render(): void {
    const remote = this.services.remote;
    if (remote) return this.renderRemote(remote);
    const state = this.services.host.state;
    // Which SQLite driver serves the store, and why the others were passed over: the first question on a new host.
    this.item.tooltip = describeState(state) + (state.kind === 'ready' && state.driver ? `\nSQLite driver: ${state.driver}` : '');
    this.item.backgroundColor = state.kind === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    switch (state.kind) {
      case 'starting':
        this.item.text = '$(loading~spin) Runboard';
        break;
      case 'ready':
        this.item.text = `$(beaker) Runboard: local${this.running > 0 ? ` $(sync~spin) ${this.running} running` : ''}`;
        break;
      case 'failed':
        this.item.text = '$(error) Runboard';
        break;
      case 'stopped':
        this.item.text = '$(debug-stop) Runboard';
        break;
    }
  }

  private renderRemote(remote: RemoteBackend): void {
    if (remote.storeLabel) return this.renderStore(remote, remote.storeLabel);
    const host = hostOf(remote.url);
    const status = remote.status;
    this.item.tooltip = describeRemote(remote);
    this.item.backgroundColor =
      status.kind === 'unreachable' ? new vscode.ThemeColor('statusBarItem.warningBackground') : status.kind === 'refused' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    switch (status.kind) {
      case 'connecting':
        this.item.text = `$(loading~spin) Runboard: remote ${host}`;
        break;
      case 'connected':
        this.item.text = `$(cloud) Runboard: remote ${host}${this.running > 0 ? ` $(sync~spin) ${this.running} running` : ''}`;
        break;
      case 'unreachable':
        this.item.text = `$(debug-disconnect) Runboard: remote ${host} unreachable (stale)`;
        break;
      case 'refused':
        this.item.text = `$(lock) Runboard: remote ${host} refused the credentials`;
        break;
    }
  }

  /** An existing MLflow store served by MLflow's own server: named by its file, stale when that server died. */
  private renderStore(remote: RemoteBackend, label: string): void {
    const status = remote.status;
    const stale = status.kind === 'unreachable' || status.kind === 'refused';
    this.item.tooltip = describeRemote(remote);
    this.item.backgroundColor = stale ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    if (status.kind === 'connecting') this.item.text = `$(loading~spin) Runboard: ${label}`;
    else if (stale) this.item.text = `$(debug-disconnect) Runboard: ${label} stopped (stale)`;
    else this.item.text = `$(database) Runboard: ${label}${this.running > 0 ? ` $(sync~spin) ${this.running} running` : ''}`;
  }
}
