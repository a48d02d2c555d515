// In-host tests of the Python language server through VS Code's own providers: it starts only when a Python
// document opens, its lenses carry the launcher's `{ uri }` as a vscode.Uri and obey runboard.codeLens.enabled,
// its hovers and diagnostics reach the editor. Runs before any other in-host test opens a Python file.
'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports */
const vscode = require('vscode');
const assert = require('node:assert/strict');
const path = require('node:path');

const EXTENSION_ID = 'runboard.runboard';
const { poll } = require('./poll.cjs');

async function runboard() {
  const exports = await vscode.extensions.getExtension(EXTENSION_ID).activate();
  await exports.started;
  return exports.runboard;
}

function script(name) {
  return vscode.Uri.file(path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, name));
}

const runboardLenses = async (uri) => ((await vscode.commands.executeCommand('vscode.executeCodeLensProvider', uri)) ?? []).filter((lens) => /Runboard/.test(lens.command?.title ?? ''));

const tests = {
  async 'the Python language server starts when the first Python document opens'() {
    const { python } = await runboard();
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.languageId === 'python'), 'no Python document is open yet');
    assert.equal(python.languageClient, undefined, 'no language server before a Python document opens');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(script('train_manual.py')));
    await poll(() => python.languageClient?.isRunning(), 'the language client running', 60000);
  },

  async 'lenses of a training script: the launcher gets a vscode.Uri, runboard.codeLens.enabled hides them'() {
    const uri = script('train_manual.py');
    const lenses = await poll(async () => {
      const found = await runboardLenses(uri);
      return found.length >= 2 && found;
    }, 'the Run/Debug with Runboard lenses', 60000);
    const run = lenses.find((lens) => lens.command.command === 'runboard.runScript');
    assert.ok(run, 'a Run with Runboard lens');
    assert.ok(run.command.arguments[0].uri instanceof vscode.Uri, 'the launcher argument is { uri: vscode.Uri }');
    assert.equal(run.command.arguments[0].uri.fsPath, uri.fsPath);
    const settings = vscode.workspace.getConfiguration('runboard');
    await settings.update('codeLens.enabled', false, vscode.ConfigurationTarget.Global);
    try {
      assert.deepEqual(await runboardLenses(uri), []);
    } finally {
      await settings.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.ok((await runboardLenses(uri)).length >= 2, 'the lenses come back');
  },

  async 'a models:/ literal of a model that does not exist: hover and error diagnostic'() {
    const document = await vscode.workspace.openTextDocument({ language: 'python', content: 'import mlflow\nm = mlflow.pyfunc.load_model("models:/inhost-missing/1")\n' });
    await vscode.window.showTextDocument(document);
    const at = new vscode.Position(1, 40);
    const hovers = await poll(async () => {
      const found = (await vscode.commands.executeCommand('vscode.executeHoverProvider', document.uri, at)) ?? [];
      const text = found.flatMap((hover) => hover.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      return /inhost-missing/.test(text) && text;
    }, 'the hover of models:/inhost-missing/1', 60000);
    assert.match(hovers, /Registered model 'inhost-missing' does not exist/);
    const diagnostics = await poll(() => {
      const found = vscode.languages.getDiagnostics(document.uri).filter((d) => d.source === 'runboard');
      return found.length > 0 && found;
    }, 'the diagnostic of models:/inhost-missing/1', 60000);
    assert.equal(diagnostics[0].severity, vscode.DiagnosticSeverity.Error);
    assert.equal(diagnostics[0].range.start.line, 1);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  },
};

module.exports = { tests };
