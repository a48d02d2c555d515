import * as vscode from 'vscode';
import type { ServerHost } from './server-host';
import type { Services } from './services';
import { describeState } from './runboard';

/** Server state and runs in progress, in one status bar item that opens the server menu. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('runboard.server', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[] = [];
  private running = 0;

  constructor(private readonly services: Services & { readonly host: ServerHost }) {
    this.item.name = 'Runboard Tracking Server';
    this.item.command = 'runboard.serverMenu';
    this.subscriptions.push(services.host.onDidChangeState(() => this.render()));
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
    const state = this.services.host.state;
    this.item.tooltip = describeState(state);
    this.item.backgroundColor = state.kind === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    switch (state.kind) {
      case 'starting':
        this.item.text = '$(loading~spin) Runboard';
        break;
      case 'ready':
        this.item.text = this.running > 0 ? `$(beaker) Runboard $(sync~spin) ${this.running} running` : '$(beaker) Runboard';
        break;
      case 'failed':
        this.item.text = '$(error) Runboard';
        break;
      case 'stopped':
        this.item.text = '$(debug-stop) Runboard';
        break;
    }
  }
}
