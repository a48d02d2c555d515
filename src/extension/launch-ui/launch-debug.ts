import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { MlflowClient } from '../../client/mlflow-client';
import type { LaunchResult } from '../launcher/launch';
import { commandLine, launchEnvironment, newLaunchId, type LaunchRequest } from '../launcher/launch-spec';
import { DebugCapture, type DapMessage } from '../launcher/debug-capture';
import { recordLaunch } from '../launcher/record';

const DEBUGPY_EXTENSION = 'ms-python.debugpy';
/** Marks our debug sessions in their configuration, so the tracker follows only those. */
const LAUNCH_KEY = 'runboardLaunchId';

interface DebugLaunch {
  readonly launchId: string;
  readonly request: LaunchRequest;
  readonly client: MlflowClient;
  readonly capture: DebugCapture;
  readonly startTime: number;
  readonly onDone: (result: LaunchResult) => void;
}

/**
 * "Debug with Runboard": the script under debugpy (the Python Debugger extension), with the launch's
 * environment; a debug adapter tracker captures its output and exit code, and the run is recorded when
 * the session ends. Output goes to the Debug Console (debugpy's internalConsole) so the tracker sees it.
 */
export class DebugLauncher implements vscode.Disposable {
  private readonly launches = new Map<string, DebugLaunch>();
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      vscode.debug.registerDebugAdapterTrackerFactory('debugpy', { createDebugAdapterTracker: (session) => this.trackerFor(session) }),
      vscode.debug.onDidTerminateDebugSession((session) => void this.finish(session)),
    ];
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  /** True when the Python Debugger extension is there; otherwise offers to install it. */
  async ensureDebugger(): Promise<boolean> {
    if (vscode.extensions.getExtension(DEBUGPY_EXTENSION)) return true;
    const answer = await vscode.window.showErrorMessage(
      'Runboard: "Debug with Runboard" needs the Python Debugger extension (ms-python.debugpy). Install it, then debug again; "Run with Runboard" works without it.',
      'Install Python Debugger',
    );
    if (answer) await vscode.commands.executeCommand('workbench.extensions.installExtension', DEBUGPY_EXTENSION);
    return false;
  }

  async start(client: MlflowClient, request: LaunchRequest, logDir: string, onDone: (result: LaunchResult) => void): Promise<void> {
    const launchId = newLaunchId();
    const launch: DebugLaunch = { launchId, request, client, capture: new DebugCapture(join(logDir, `${launchId}.log`)), startTime: Date.now(), onDone };
    this.launches.set(launchId, launch);
    // debugpy adds these to the extension host's environment: pass only ours (PATH extended, not replaced).
    const env = launchEnvironment(request, launchId, { PATH: process.env.PATH });
    const configuration: vscode.DebugConfiguration = {
      type: 'debugpy',
      request: 'launch',
      name: `Debug ${basename(request.script)} with Runboard`,
      program: request.script,
      args: [...request.args],
      cwd: request.cwd,
      python: request.python,
      env,
      console: 'internalConsole',
      [LAUNCH_KEY]: launchId,
    };
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(request.script));
    const started = await vscode.debug.startDebugging(folder, configuration);
    if (!started) {
      this.launches.delete(launchId);
      void launch.capture.finish();
      void vscode.window.showErrorMessage(`Runboard: the debugger did not start ${basename(request.script)}. The Debug Console or the Python Debugger's output says why.`);
    }
  }

  private trackerFor(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    const launch = this.launches.get(String(session.configuration[LAUNCH_KEY] ?? ''));
    if (!launch) return undefined;
    // A subprocess's session adds its output; only the script's own session says how the launch ended.
    const top = session.parentSession === undefined;
    return {
      onDidSendMessage: (message: DapMessage) => (top || message.event === 'output') && launch.capture.fromAdapter(message),
      onWillReceiveMessage: (message: DapMessage) => top && launch.capture.toAdapter(message),
    };
  }

  private async finish(session: vscode.DebugSession): Promise<void> {
    // Subprocess sessions (multiprocessing) end before the script does: the top-level session decides.
    if (session.parentSession) return;
    const launchId = String(session.configuration[LAUNCH_KEY] ?? '');
    const launch = this.launches.get(launchId);
    if (!launch) return;
    this.launches.delete(launchId);
    const outcome = await launch.capture.finish();
    const { request } = launch;
    try {
      const recorded = await recordLaunch(launch.client, {
        launchId,
        script: request.script,
        commandLine: commandLine(request.python, request.script, request.args),
        experimentName: request.experimentName,
        startTime: launch.startTime,
        endTime: Date.now(),
        logPath: launch.capture.logPath,
        outcome,
      });
      launch.onDone({ outcome, recorded, logPath: launch.capture.logPath });
    } catch (error) {
      launch.onDone({ outcome, recordError: error instanceof Error ? error.message : String(error), logPath: launch.capture.logPath });
    }
  }
}
