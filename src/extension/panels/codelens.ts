import * as vscode from 'vscode';
import type { MlflowClient, Run } from '../../client/mlflow-client';
import { formatMetricValue, quoteFilterString, runLabel } from '../trees/format';
import type { Services } from '../services';
import { sourceMatches } from './args';
import { PARENT_TAG, tagOf } from './data';

const CACHE_MS = 5000;
const MAX_RUNS = 50;
const ANCHOR = /^\s*(?:with\s+)?(?:mlflow\.start_run|mlflow\.autolog|mlflow\.\w+\.autolog)\s*\(/;
const IMPORT = /^\s*(?:import\s+mlflow\b|from\s+mlflow\b)/;

/**
 * Lenses above a script's `mlflow.start_run(` (or autolog, or its `import mlflow`): its last run (click:
 * run details), its charts, its sweep, and a comparison of its last runs. Runs are found by the script
 * path MLflow records in `mlflow.source.name`.
 */
export class RunsCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;
  private readonly cache = new Map<string, { at: number; runs: Promise<Run[]> }>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly services: Services) {
    this.disposables.push(
      services.onDidChangeData((change) => {
        if (change.kind === 'run' || change.kind === 'all' || change.kind === 'experiment') this.refreshSoon();
      }),
      services.onDidChangeClient(() => this.refreshSoon()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('runboard.codeLens.enabled')) this.refreshSoon();
      }),
    );
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const disposable of this.disposables) disposable.dispose();
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!vscode.workspace.getConfiguration('runboard', document.uri).get<boolean>('codeLens.enabled', true)) return [];
    const client = this.services.client;
    if (!client || document.uri.scheme !== 'file') return [];
    const line = this.anchorLine(document);
    if (line === undefined) return [];
    let runs: Run[];
    try {
      runs = await this.runsOf(client, document.uri.fsPath);
    } catch {
      return [];
    }
    if (token.isCancellationRequested) return [];
    const range = document.lineAt(line).range;
    if (runs.length === 0) return [new vscode.CodeLens(range, { title: 'Runboard: no runs of this script yet', command: '' })];
    const topLevel = runs.filter((run) => !tagOf(run, PARENT_TAG));
    const latest = topLevel[0] ?? runs[0]!;
    const children = runs.filter((run) => tagOf(run, PARENT_TAG) === latest.info.run_id).length;
    const summary = latest.data.metrics
      .filter((m) => !m.key.startsWith('system/'))
      .slice(0, 2)
      .map((m) => `${m.key} ${formatMetricValue(m.value)}`)
      .join(' · ');
    const status = latest.info.status === 'RUNNING' ? '$(sync~spin) running' : latest.info.status.toLowerCase();
    const lenses = [
      new vscode.CodeLens(range, {
        title: `$(pulse) Last run: ${runLabel(latest.info.run_name, latest.info.run_id)} · ${status}${summary ? ` · ${summary}` : ''}`,
        tooltip: 'Open the run details',
        command: 'runboard.openRunDetails',
        arguments: [{ runId: latest.info.run_id }],
      }),
    ];
    if (latest.data.metrics.length > 0) {
      lenses.push(new vscode.CodeLens(range, { title: '$(graph-line) Charts', tooltip: 'Metric charts of the last run', command: 'runboard.openMetricChart', arguments: [{ runIds: [latest.info.run_id] }] }));
    }
    if (children > 0) {
      lenses.push(new vscode.CodeLens(range, { title: `$(list-tree) Sweep (${children}${runs.length >= MAX_RUNS ? '+' : ''} trials)`, tooltip: 'Trials ranked, the best marked', command: 'runboard.openSweep', arguments: [{ runId: latest.info.run_id }] }));
    }
    if (topLevel.length >= 2) {
      const last = topLevel.slice(0, 5).map((run) => run.info.run_id);
      lenses.push(new vscode.CodeLens(range, { title: `$(diff) Compare last ${last.length} runs`, command: 'runboard.compareRuns', arguments: [{ runIds: last }] }));
    }
    return lenses;
  }

  private refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.cache.clear();
      this.emitter.fire();
    }, 1000);
  }

  private anchorLine(document: vscode.TextDocument): number | undefined {
    if (!document.getText().includes('mlflow')) return undefined;
    let imported: number | undefined;
    for (let i = 0; i < document.lineCount; i++) {
      const text = document.lineAt(i).text;
      if (ANCHOR.test(text)) return i;
      if (imported === undefined && IMPORT.test(text)) imported = i;
    }
    return imported;
  }

  private runsOf(client: MlflowClient, fsPath: string): Promise<Run[]> {
    const cached = this.cache.get(fsPath);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.runs;
    const runs = this.search(client, fsPath);
    this.cache.set(fsPath, { at: Date.now(), runs });
    runs.catch(() => this.cache.delete(fsPath));
    return runs;
  }

  private async search(client: MlflowClient, fsPath: string): Promise<Run[]> {
    const experiments = (await client.searchExperiments({ viewType: 'ACTIVE_ONLY', maxResults: 1000 })).items.map((e) => e.experiment_id);
    if (experiments.length === 0) return [];
    const base = fsPath.replace(/\\/g, '/').split('/').pop() ?? fsPath;
    const page = await client.searchRuns({
      experimentIds: experiments,
      filter: `tags.mlflow.source.name LIKE ${quoteFilterString(`%${base}`)}`,
      orderBy: ['attributes.start_time DESC'],
      viewType: 'ACTIVE_ONLY',
      maxResults: MAX_RUNS,
    });
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    return page.items.filter((run) => sourceMatches(tagOf(run, 'mlflow.source.name') ?? '', fsPath, folders));
  }
}
