import type { CodeLens, Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { LensCommands, type ScriptRun, type ScriptRunsResult } from '../api/language-protocol';
import type { ScriptFacts } from './analysis';
import { formatNumber, runLabel } from './format';
import { lensAnchor } from './locate';
import type { StoreView } from './store-view';

/** Keys that usually say how good a run is, in the order they are preferred for "best". */
const QUALITY_KEYS = /^(?:val_|valid_|validation_|test_|eval_)?(accuracy|acc|f1|auc|roc_auc|r2|precision|recall|loss|rmse|mse|mae|error)$/i;
const LOWER_IS_BETTER = /loss|error|err$|rmse|mse|mae|perplexity/i;
const COMPARE_MAX = 20;

/** The metric a run history is judged by, and the best value among the runs. */
export function bestMetric(runs: readonly ScriptRun[]): { key: string; value: number } | undefined {
  const counts = new Map<string, number>();
  for (const run of runs) for (const key of Object.keys(run.metrics)) if (!key.startsWith('system/')) counts.set(key, (counts.get(key) ?? 0) + 1);
  const keys = [...counts.keys()];
  if (keys.length === 0) return undefined;
  const byUse = (a: string, b: string) => counts.get(b)! - counts.get(a)! || a.localeCompare(b);
  const quality = keys.filter((k) => QUALITY_KEYS.test(k)).sort((a, b) => {
    const rank = (k: string) => (LOWER_IS_BETTER.test(k) ? 1 : 0);
    return rank(a) - rank(b) || byUse(a, b);
  });
  const key = quality[0] ?? keys.sort(byUse)[0]!;
  const lower = LOWER_IS_BETTER.test(key);
  const values = runs.map((run) => run.metrics[key]).filter((v): v is number => v !== undefined && !Number.isNaN(v));
  if (values.length === 0) return undefined;
  return { key, value: lower ? Math.min(...values) : Math.max(...values) };
}

/**
 * Lenses of a training script: run and debug it with Runboard (a file that imports mlflow or has an
 * `if __name__ == "__main__":` block), and its run history above the first start_run/autolog (or the import).
 */
export async function lenses(document: TextDocument, facts: ScriptFacts, store: StoreView): Promise<CodeLens[]> {
  const anchor = lensAnchor(facts) ?? facts.mainBlock;
  if (!anchor || !document.uri.startsWith('file:')) return [];
  const line = document.positionAt(anchor.start).line;
  const range: Range = { start: { line, character: 0 }, end: { line, character: 0 } };
  const script = { uri: document.uri };
  const result: CodeLens[] = [
    { range, command: { title: '$(play) Run with Runboard', command: LensCommands.runScript, arguments: [script] } },
    { range, command: { title: '$(debug-alt) Debug with Runboard', command: LensCommands.debugScript, arguments: [script] } },
  ];
  if (!facts.mlflowImport) return result;
  const history = await store.scriptRuns(document.uri);
  if (history) result.push(...historyLenses(range, history));
  return result;
}

function historyLenses(range: Range, history: ScriptRunsResult): CodeLens[] {
  const lens = (title: string, command: string, args: unknown, tooltip?: string): CodeLens => ({ range, command: { title, command, arguments: [args], ...(tooltip ? { tooltip } : {}) } });
  const { runs } = history;
  if (runs.length === 0) return [{ range, command: { title: 'Runboard: no runs of this script yet', command: '' } }];
  const topLevel = runs.filter((run) => !run.parentRunId);
  const shown = topLevel.length > 0 ? topLevel : runs;
  const latest = shown[0]!;
  const more = history.truncated ? '+' : '';
  const best = bestMetric(shown);
  const lenses: CodeLens[] = [
    lens(
      `$(history) ${shown.length}${more} run${shown.length === 1 ? '' : 's'}${best ? ` · best ${best.key} ${formatNumber(best.value)}` : ''}`,
      shown.length > 1 ? LensCommands.compareRuns : LensCommands.openRunDetails,
      shown.length > 1 ? { runIds: shown.slice(0, COMPARE_MAX).map((r) => r.runId) } : { runId: latest.runId },
      shown.length > 1 ? `Compare this script's last ${Math.min(shown.length, COMPARE_MAX)} runs` : 'Open the run details',
    ),
  ];
  const summary = Object.entries(latest.metrics)
    .filter(([key]) => !key.startsWith('system/'))
    .slice(0, 2)
    .map(([key, value]) => `${key} ${formatNumber(value)}`)
    .join(' · ');
  const status = latest.status === 'RUNNING' ? '$(sync~spin) running' : latest.status.toLowerCase();
  lenses.push(lens(`$(pulse) Last run: ${runLabel(latest.runName, latest.runId)} · ${status}${summary ? ` · ${summary}` : ''}`, LensCommands.openRunDetails, { runId: latest.runId }, 'Open the run details'));
  if (Object.keys(latest.metrics).length > 0) lenses.push(lens('$(graph-line) Charts', LensCommands.openMetricChart, { runIds: [latest.runId] }, 'Metric charts of the last run'));
  const children = runs.filter((run) => run.parentRunId === latest.runId).length;
  if (children > 0) lenses.push(lens(`$(list-tree) Sweep (${children}${more} trials)`, LensCommands.openSweep, { runId: latest.runId }, 'Trials ranked, the best marked'));
  return lenses;
}
