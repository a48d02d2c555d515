import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { MlflowClient } from '../../client/mlflow-client';
import { describeResult, startLaunch, type Launch, type LaunchResult } from '../launcher/launch';
import { newLaunchId, type LaunchRequest } from '../launcher/launch-spec';

/** The task type of launches (package.json contributes.taskDefinitions). */
export const TASK_TYPE = 'runboard';

/**
 * "Run with Runboard" as a VS Code Task whose terminal is the script's: output live, Ctrl+C or
 * "Terminate Task" (or closing the terminal) stops the script, and the run is recorded when it ends.
 */
export async function runAsTask(client: MlflowClient, request: LaunchRequest, logDir: string, onDone: (result: LaunchResult) => void): Promise<void> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(request.script));
  const task = new vscode.Task(
    // Each launch is its own task (VS Code runs one instance of a task at a time): the same script can run
    // twice at once, with other arguments, each recorded as its own launch. Finished launches' terminals
    // are reused (the shared panel), so they do not pile up.
    { type: TASK_TYPE, script: request.script, launch: newLaunchId() },
    folder ?? vscode.TaskScope.Workspace,
    `Run ${basename(request.script)}`,
    'Runboard',
    new vscode.CustomExecution(async () => new LaunchTerminal(client, request, logDir, onDone)),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Shared, clear: true, focus: false };
  await vscode.tasks.executeTask(task);
}

class LaunchTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private launch: Launch | undefined;

  constructor(
    private readonly client: MlflowClient,
    private readonly request: LaunchRequest,
    private readonly logDir: string,
    private readonly onDone: (result: LaunchResult) => void,
  ) {}

  open(): void {
    const write = (text: string) => this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n'));
    this.launch = startLaunch(this.client, this.request, { logDir: this.logDir, onOutput: write });
    write(`\x1b[2m> ${this.launch.commandLine}\n  experiment ${this.request.experimentName} · logging into ${this.request.trackingEnv.MLFLOW_TRACKING_URI ?? 'the default tracking URI'}\x1b[0m\n`);
    void this.launch.done.then((result) => {
      const ok = result.recorded?.status === 'FINISHED';
      write(`\n\x1b[${ok ? 32 : 31}mRunboard: ${describeResult(result)}\x1b[0m\n`);
      for (const warning of result.recorded?.warnings ?? []) write(`\x1b[33m${warning}\x1b[0m\n`);
      this.onDone(result);
      this.closeEmitter.fire(result.outcome.exitCode ?? 1);
    });
  }

  /** Ctrl+C in the terminal stops the script, as it would in a shell. */
  handleInput(data: string): void {
    if (data === '\x03') {
      this.writeEmitter.fire('^C\r\n');
      this.launch?.stop();
    }
  }

  /** The task was terminated or its terminal closed. */
  close(): void {
    this.launch?.stop();
  }
}
