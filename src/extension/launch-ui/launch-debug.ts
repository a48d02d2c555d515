import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { MlflowClient } from '../../client/mlflow-client';
import type { LaunchResult } from '../launcher/launch';
import { commandLine, launchEnvironment, newLaunchId, type LaunchRequest } from '../launcher/launch-spec';
import type { ProcessOutcome } from '../launcher/process';
import { recordLaunch } from '../launcher/record';

const DEBUGPY_EXTENSION = 'ms-python.debugpy';
/** Marks our debug sessions in their configuration, so the tracker follows only those. */
const LAUNCH_KEY = 'runboardLaunchId';

interface DebugLaunch {
  readonly launchId: string;
  readonly request: LaunchRequest;
  readonly client: MlflowClient;
  readonly logPath: string;
  readonly log: WriteStream;
  readonly startTime: number;
  readonly onDone: (result: LaunchResult) => void;
  exitCode: number | null;
  stopped: boolean;
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
    mkdirSync(logDir, { recursive: true });
    const logPath = join(logDir, `${launchId}.log`);
    const launch: DebugLaunch = { launchId, request, client, logPath, log: createWriteStream(logPath), startTime: Date.now(), onDone, exitCode: null, stopped: false };
    this.launches.set(launchId, launch);
    const env = launchEnvironment(request, launchId, {});
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
      launch.log.end();
      void vscode.window.showErrorMessage(`Runboard: the debugger did not start ${basename(request.script)}. The Debug Console or the Python Debugger's output says why.`);
    }
  }

  private trackerFor(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    const launch = this.launches.get(String(session.configuration[LAUNCH_KEY] ?? ''));
    if (!launch) return undefined;
    return {
      onDidSendMessage: (message: { type?: string; event?: string; body?: { output?: string; category?: string; exitCode?: number } }) => {
        if (message.type !== 'event') return;
        if (message.event === 'output' && message.body?.output && message.body.category !== 'telemetry') launch.log.write(message.body.output);
        if (message.event === 'exited' && typeof message.body?.exitCode === 'number') launch.exitCode = message.body.exitCode;
      },
      onWillReceiveMessage: (message: { type?: string; command?: string }) => {
        // The user pressed Stop (or Restart) before the script ended by itself.
        if (message.type === 'request' && (message.command === 'disconnect' || message.command === 'terminate') && launch.exitCode === null) launch.stopped = true;
      },
    };
  }

  private async finish(session: vscode.DebugSession): Promise<void> {
    // Subprocess sessions (multiprocessing) end before the script does: the top-level session decides.
    if (session.parentSession) return;
    const launchId = String(session.configuration[LAUNCH_KEY] ?? '');
    const launch = this.launches.get(launchId);
    if (!launch) return;
    this.launches.delete(launchId);
    await new Promise<void>((resolve) => launch.log.end(resolve));
    const outcome: ProcessOutcome = { exitCode: launch.exitCode, signal: null, stopped: launch.stopped || launch.exitCode === null };
    const { request } = launch;
    try {
      const recorded = await recordLaunch(launch.client, {
        launchId,
        script: request.script,
        commandLine: commandLine(request.python, request.script, request.args),
        experimentName: request.experimentName,
        startTime: launch.startTime,
        endTime: Date.now(),
        logPath: launch.logPath,
        outcome,
      });
      launch.onDone({ outcome, recorded, logPath: launch.logPath });
    } catch (error) {
      launch.onDone({ outcome, recordError: error instanceof Error ? error.message : String(error), logPath: launch.logPath });
    }
  }
}
