import * as vscode from 'vscode';
import type { MlflowClient, Run } from '../../client/mlflow-client';
import { formatMetricValue, runLabel } from '../trees/format';
import type { ExperimentNames } from './data';

const RECENT_RUNS = 500;

export interface RunItem extends vscode.QuickPickItem {
  runId: string;
}

function statusIcon(status: string): string {
  return status === 'RUNNING' ? '$(sync~spin)' : status === 'FINISHED' ? '$(pass)' : status === 'FAILED' ? '$(error)' : status === 'KILLED' ? '$(circle-slash)' : '$(circle-outline)';
}

function runItem(run: Run, experimentName: string): RunItem {
  const metrics = run.data.metrics
    .filter((m) => !m.key.startsWith('system/'))
    .slice(0, 3)
    .map((m) => `${m.key} ${formatMetricValue(m.value)}`)
    .join(' · ');
  const started = run.info.start_time ? new Date(Number(run.info.start_time)).toLocaleString() : '';
  return {
    label: `${statusIcon(run.info.status)} ${runLabel(run.info.run_name, run.info.run_id)}`,
    description: [experimentName, started].filter(Boolean).join(' · '),
    detail: [run.info.run_id.slice(0, 12), metrics].filter(Boolean).join('  ·  '),
    runId: run.info.run_id,
  };
}

/** Recent runs of every active experiment, newest first (optionally only runs matching a filter). */
async function recentRuns(client: MlflowClient, names: ExperimentNames, filter?: string): Promise<RunItem[]> {
  const experiments = (await client.searchExperiments({ viewType: 'ACTIVE_ONLY', maxResults: 1000 })).items;
  if (experiments.length === 0) return [];
  const ids = experiments.map((e) => e.experiment_id);
  const page = await client.searchRuns({ experimentIds: ids, filter, orderBy: ['attributes.start_time DESC'], viewType: 'ACTIVE_ONLY', maxResults: RECENT_RUNS });
  const nameOf = new Map(experiments.map((e) => [e.experiment_id, e.name]));
  return Promise.all(page.items.map(async (run) => runItem(run, nameOf.get(run.info.experiment_id) ?? (await names.of(client, run.info.experiment_id)))));
}

/**
 * A quick pick of recent runs that opens at once and fills in as the server answers. Resolves with the
 * picked run ids ([] when cancelled).
 */
export async function pickRuns(
  client: MlflowClient,
  names: ExperimentNames,
  options: { title: string; placeholder: string; many: boolean; preselected?: readonly string[]; filter?: string; only?: (items: RunItem[]) => Promise<RunItem[]>; empty?: string },
): Promise<string[]> {
  const pick = vscode.window.createQuickPick<RunItem>();
  pick.title = options.title;
  pick.placeholder = options.placeholder;
  pick.canSelectMany = options.many;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.busy = true;
  pick.ignoreFocusOut = options.many;
  const result = new Promise<string[]>((resolve) => {
    let accepted = false;
    pick.onDidAccept(() => {
      const chosen = options.many ? pick.selectedItems : pick.activeItems.slice(0, 1);
      if (chosen.length === 0) return;
      accepted = true;
      resolve(chosen.map((item) => item.runId));
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!accepted) resolve([]);
      pick.dispose();
    });
  });
  pick.show();
  try {
    let items = await recentRuns(client, names, options.filter);
    if (options.only) items = await options.only(items);
    const preselected = new Set(options.preselected ?? []);
    // Runs asked for that are not recent still show, first.
    const missing = [...preselected].filter((id) => !items.some((item) => item.runId === id));
    const extra = await Promise.all(missing.map(async (id) => client.getRun(id).then(async (run) => runItem(run, await names.of(client, run.info.experiment_id)), () => undefined)));
    items = [...extra.filter((i): i is RunItem => i !== undefined), ...items];
    pick.items = items;
    if (options.many) pick.selectedItems = items.filter((item) => preselected.has(item.runId));
    if (items.length === 0) pick.placeholder = options.empty ?? 'No runs yet: run a training script that uses mlflow first.';
  } catch (error) {
    pick.placeholder = `Could not list runs: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    pick.busy = false;
  }
  return result;
}

/** Runs with child runs (sweeps): the parents of recent nested runs, with their number of trials. */
export async function sweepParents(client: MlflowClient, names: ExperimentNames, items: RunItem[]): Promise<RunItem[]> {
  const experiments = (await client.searchExperiments({ viewType: 'ACTIVE_ONLY', maxResults: 1000 })).items.map((e) => e.experiment_id);
  if (experiments.length === 0) return [];
  const children = await client.searchRuns({ experimentIds: experiments, filter: 'tags.mlflow.parentRunId IS NOT NULL', orderBy: ['attributes.start_time DESC'], maxResults: 2000 });
  const counts = new Map<string, number>();
  for (const child of children.items) {
    const parent = child.data.tags.find((t) => t.key === 'mlflow.parentRunId')?.value;
    if (parent) counts.set(parent, (counts.get(parent) ?? 0) + 1);
  }
  const present = items.filter((item) => counts.has(item.runId));
  // Parents older than the recent runs listed.
  const missing = [...counts.keys()].filter((id) => !present.some((item) => item.runId === id)).slice(0, 50);
  const extra = await Promise.all(missing.map((id) => client.getRun(id).then(async (run) => runItem(run, await names.of(client, run.info.experiment_id)), () => undefined)));
  return [...present, ...extra.filter((item): item is RunItem => item !== undefined)].map((item) => {
    const n = counts.get(item.runId) ?? 0;
    return { ...item, description: `${n}${n >= 2000 ? '+' : ''} trial${n === 1 ? '' : 's'} · ${item.description ?? ''}` };
  });
}
