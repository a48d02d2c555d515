import * as vscode from 'vscode';
import { Runboard } from './runboard';

let runboard: Runboard | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  runboard = new Runboard(context);
  context.subscriptions.push(runboard);
  // Views and commands are usable at once; the server starts in its worker without blocking activation.
  void runboard.start();
}

export function deactivate(): void {
  runboard?.dispose();
  runboard = undefined;
}
