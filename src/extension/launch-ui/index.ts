import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { LaunchResult } from '../launcher/launch';
import type { LaunchRequest } from '../launcher/launch-spec';
import { resolvePythonInterpreter } from '../python/interpreter';
import type { Services } from '../services';
import { DebugLauncher } from './launch-debug';
import { runAsTask } from './launch-task';
import { registerModelCommands } from './model-commands';
import { readyClient } from './ready-client';
import { editScriptSettings, loadScriptSettings, parsedSettings, pickExperiment, saveScriptSettings } from './script-settings';

export const LAUNCH_COMMANDS = {
  run: 'runboard.runScript',
  runWithArguments: 'runboard.runScriptWithArguments',
  debug: 'runboard.debugScript',
} as const;

/** What the commands take: a CodeLens or a caller passes `{ uri }` (and may name the experiment). */
interface LaunchArgs {
  readonly uri?: vscode.Uri | string;
  readonly experimentName?: string;
}

type Mode = 'run' | 'runWithArguments' | 'debug';

/** "Run with Runboard", "Debug with Runboard", "Run Python File with Arguments...", predict and serve. */
export function registerLaunchCommands(context: vscode.ExtensionContext, services: Services): vscode.Disposable {
  const debug = new DebugLauncher();
  const logDir = join(context.globalStorageUri.fsPath, 'launch-logs');
  const launch = (mode: Mode) => async (arg?: unknown) => {
    try {
      await launchScript(context, services, mode, arg, logDir, debug);
    } catch (error) {
      void vscode.window.showErrorMessage(`Runboard: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  return vscode.Disposable.from(
    debug,
    vscode.commands.registerCommand(LAUNCH_COMMANDS.run, launch('run')),
    vscode.commands.registerCommand(LAUNCH_COMMANDS.runWithArguments, launch('runWithArguments')),
    vscode.commands.registerCommand(LAUNCH_COMMANDS.debug, launch('debug')),
    registerModelCommands(services),
  );
}

async function launchScript(context: vscode.ExtensionContext, services: Services, mode: Mode, arg: unknown, logDir: string, debug: DebugLauncher): Promise<void> {
  const uri = scriptUri(arg);
  if (!uri) {
    void vscode.window.showErrorMessage('Runboard: open a Python file (or pick one in the Explorer) to run it with Runboard.');
    return;
  }
  if (uri.scheme !== 'file' || !uri.fsPath.toLowerCase().endsWith('.py')) {
    void vscode.window.showErrorMessage(`Runboard: only Python files on disk can be run with Runboard (${uri.fsPath || uri.toString()} is not one).`);
    return;
  }
  if (mode === 'debug' && !(await debug.ensureDebugger())) return;
  const client = await readyClient(services);
  if (!client) return;
  const script = uri.fsPath;
  const document = vscode.workspace.textDocuments.find((doc) => doc.uri.fsPath === script);
  if (document?.isDirty) await document.save();

  let settings = loadScriptSettings(context.workspaceState, script);
  if (mode === 'runWithArguments') {
    const edited = await editScriptSettings(script, settings);
    if (!edited) return;
    settings = edited;
  }
  const named = typeof arg === 'object' && arg !== null && 'experimentName' in arg ? (arg as LaunchArgs).experimentName : undefined;
  const experimentName = named ?? (mode !== 'runWithArguments' ? settings.experimentName : undefined) ?? (await pickExperiment(client, script, settings.experimentName));
  if (!experimentName) return;
  settings = { ...settings, experimentName };
  await saveScriptSettings(context.workspaceState, script, settings);
  const { args, env } = parsedSettings(settings);

  const python = await resolvePythonInterpreter(uri);
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
  const request: LaunchRequest = {
    python: python.command,
    script,
    args,
    // Where the user would run it from: the workspace folder (relative data paths), else the script's folder.
    cwd: folder ?? dirname(script),
    userEnv: env,
    trackingEnv: services.backend?.environment ?? {},
    ownServer: services.backend?.kind === 'local',
    experimentName,
  };
  const onDone = (result: LaunchResult) => reportLaunch(services, result);
  if (mode === 'debug') await debug.start(client, request, logDir, onDone);
  else await runAsTask(client, request, logDir, onDone);
}

function scriptUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'object' && arg !== null && 'uri' in arg) {
    const uri = (arg as LaunchArgs).uri;
    if (uri instanceof vscode.Uri) return uri;
    if (typeof uri === 'string') return uri.includes('://') || uri.startsWith('file:') ? vscode.Uri.parse(uri) : vscode.Uri.file(uri);
  }
  return vscode.window.activeTextEditor?.document.uri;
}

function reportLaunch(services: Services, result: LaunchResult): void {
  // The views of a remote server are polled: show the launch's runs now.
  void vscode.commands.executeCommand('runboard.refresh');
  if (!result.recorded) {
    services.log.error(`Launch not recorded: ${result.recordError}`);
    void vscode.window.showErrorMessage(`Runboard: the script ended but its run could not be recorded: ${result.recordError} Its output is in ${result.logPath}.`);
    return;
  }
  for (const warning of result.recorded.warnings) services.log.warn(warning);
  if (result.recorded.status === 'FAILED') {
    const runId = result.recorded.runId;
    void vscode.window.showErrorMessage(`Runboard: the script failed${result.outcome.exitCode !== null ? ` (exit code ${result.outcome.exitCode})` : ''}. Its output is saved with the run.`, 'Open Run').then((answer) => {
      if (answer) void vscode.commands.executeCommand('runboard.openRunDetails', runId);
    });
  }
}
