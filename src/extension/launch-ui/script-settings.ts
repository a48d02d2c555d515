import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { MlflowClient } from '../../client/mlflow-client';
import { parseEnvLines, splitArguments } from '../launcher/launch-spec';

/** What is remembered per script (workspaceState): its experiment, arguments and extra environment. */
export interface ScriptSettings {
  readonly experimentName?: string;
  /** The arguments line as typed, e.g. `--lr 0.1 --name "my run"`. */
  readonly args?: string;
  /** `KEY=value` words, space separated, as typed. */
  readonly env?: string;
}

const KEY_PREFIX = 'runboard.launch.script:';

export function loadScriptSettings(state: vscode.Memento, script: string): ScriptSettings {
  return state.get<ScriptSettings>(KEY_PREFIX + script) ?? {};
}

export async function saveScriptSettings(state: vscode.Memento, script: string, settings: ScriptSettings): Promise<void> {
  await state.update(KEY_PREFIX + script, settings);
}

/** The remembered arguments and environment, parsed; throws with a message saying which is wrong. */
export function parsedSettings(settings: ScriptSettings): { args: string[]; env: Record<string, string> } {
  return { args: splitArguments(settings.args ?? ''), env: parseEnvLines(splitArguments(settings.env ?? '').join('\n')) };
}

interface ExperimentItem extends vscode.QuickPickItem {
  readonly name: string;
}

/**
 * The experiment of a script's first launch: one Enter takes the first item, an experiment named after the
 * script's folder (made on first use); the others are the server's experiments and whatever name is typed.
 */
export async function pickExperiment(client: MlflowClient, script: string, current?: string): Promise<string | undefined> {
  const folderName = basename(dirname(script));
  const pick = vscode.window.createQuickPick<ExperimentItem>();
  pick.title = `Runboard: experiment for ${basename(script)}`;
  pick.placeholder = 'Pick an experiment, or type a new name (remembered for this script; scripts that call mlflow.set_experiment keep theirs)';
  pick.busy = true;
  const suggested = current ?? folderName;
  let existing: string[] = [];
  const build = (typed: string) => {
    const names = new Set(existing);
    const items: ExperimentItem[] = [];
    const add = (name: string, description: string) => {
      if (!name || items.some((item) => item.name === name)) return;
      items.push({ label: name, description: names.has(name) ? description : `${description ? `${description} · ` : ''}new`, name });
    };
    if (typed.trim()) add(typed.trim(), 'typed');
    add(suggested, current ? 'last used' : 'the script’s folder');
    add('Default', '');
    for (const name of existing) add(name, '');
    return items;
  };
  pick.items = build('');
  pick.onDidChangeValue((value) => (pick.items = build(value)));
  const chosen = new Promise<string | undefined>((resolve) => {
    pick.onDidAccept(() => {
      resolve(pick.activeItems[0]?.name);
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
  });
  pick.show();
  client
    .searchExperiments({ viewType: 'ACTIVE_ONLY', maxResults: 1000 })
    .then((page) => {
      existing = page.items.map((experiment) => experiment.name);
      pick.items = build(pick.value);
    })
    .catch((error: unknown) => (pick.placeholder = `Could not list experiments (${error instanceof Error ? error.message : String(error)}); type a name`))
    .finally(() => (pick.busy = false));
  return chosen;
}

/** "Run Python File with Arguments...": edits the remembered arguments and environment of a script. */
export async function editScriptSettings(script: string, settings: ScriptSettings): Promise<ScriptSettings | undefined> {
  const args = await vscode.window.showInputBox({
    title: `Runboard: arguments for ${basename(script)}`,
    prompt: 'Command-line arguments, as in a shell (quotes group words). Remembered for this script.',
    value: settings.args ?? '',
    validateInput: (value) => invalid(() => splitArguments(value)),
  });
  if (args === undefined) return undefined;
  const env = await vscode.window.showInputBox({
    title: `Runboard: environment for ${basename(script)}`,
    prompt: 'Extra environment variables as KEY=value words, e.g. CUDA_VISIBLE_DEVICES=0 SEED=1. Remembered for this script.',
    value: settings.env ?? '',
    validateInput: (value) => invalid(() => parseEnvLines(splitArguments(value).join('\n'))),
  });
  if (env === undefined) return undefined;
  return { ...settings, args, env };
}

function invalid(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
