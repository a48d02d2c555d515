import * as vscode from 'vscode';

// The extension host side lands with the "Runboard in VS Code" issue; for now the bundle only activates.
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('runboard.showServerInfo', () =>
      vscode.window.showInformationMessage('Runboard: run `npx runboard serve --store .runboard` to start a tracking server.'),
    ),
  );
}

export function deactivate(): void {}
