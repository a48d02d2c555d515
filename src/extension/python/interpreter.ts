import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';

const PYTHON_EXTENSION_ID = 'ms-python.python';

/** The Python a launch, an `mlflow server` or a predict uses, and where that choice came from. */
export interface PythonInterpreter {
  readonly command: string;
  readonly source: 'python-extension' | 'setting' | 'default';
}

/**
 * The interpreter the user chose, in the order they expect: the Python extension's selected environment for
 * the file (when that extension is installed), else the `runboard.python` setting, else `python3` on PATH.
 * The Python extension is only asked when it is installed, so activating it is never our side effect.
 */
export async function resolvePythonInterpreter(resource?: vscode.Uri): Promise<PythonInterpreter> {
  const fromExtension = await interpreterOfPythonExtension(resource);
  if (fromExtension) return { command: fromExtension, source: 'python-extension' };
  const setting = vscode.workspace.getConfiguration('runboard', resource).get<string>('python', '').trim();
  if (setting) return { command: expandHome(setting), source: 'setting' };
  return { command: 'python3', source: 'default' };
}

async function interpreterOfPythonExtension(resource: vscode.Uri | undefined): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return undefined;
  try {
    const api = await PythonExtension.api();
    const environment = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(resource));
    return environment?.executable.uri?.fsPath;
  } catch {
    // A broken or still-loading Python extension must not stop a launch: the setting or python3 still work.
    return undefined;
  }
}

function expandHome(command: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  return home && (command === '~' || command.startsWith('~/')) ? home + command.slice(1) : command;
}
