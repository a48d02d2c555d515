import * as vscode from 'vscode';
import { Runboard } from './runboard';

let runboard: Runboard | undefined;

/** What activation returns: for other extensions and for the in-host tests. */
export interface RunboardApi {
  readonly runboard: Runboard;
  /** Resolves once the first server start settled (ready or failed). */
  readonly started: Promise<void>;
}

export function activate(context: vscode.ExtensionContext): RunboardApi {
  runboard = new Runboard(context);
  context.subscriptions.push(runboard);
  // Views and commands are usable at once; the server starts in its worker without blocking activation.
  const started = runboard.start();
  return { runboard, started };
}

export function deactivate(): void {
  runboard?.dispose();
  runboard = undefined;
}
