// In-extension-host tests: run by the workbench itself (full `vscode` API, in code-server's Node 20 extension
// host) when opened with the extensionTestsPath payload; driven by ../inhost.test.mjs through harness.runInHost.
// The @vscode/test-electron contract: export run(); a tiny runner (no mocha) writes a JSON report to
// $E2E_RESULT_FILE and throws when a test failed.
'use strict';
// CommonJS on purpose: the extension host require()s the tests module. (The repo's eslint config gives node
// globals to .js/.mjs only.)
/* global require, module, process */
/* eslint-disable @typescript-eslint/no-require-imports */
const vscode = require('vscode');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const EXTENSION_ID = 'runboard.runboard';
const { poll } = require('./poll.cjs');

const tests = {
  async 'the extension is present and activates'() {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  },

  async 'every command in package.json has a handler'() {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    await ext.activate();
    const contributed = ext.packageJSON.contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed commands without a handler: ${missing.join(', ')}`);
  },

  async 'better-sqlite3 loads in this extension host'() {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    const Database = require(path.join(ext.extensionPath, 'node_modules', 'better-sqlite3'));
    const db = new Database(':memory:');
    assert.equal(db.prepare('select 41 + 1 as x').get().x, 42);
    db.close();
  },

  async 'the tracking server creates the store in the workspace'() {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'a workspace folder is open');
    await poll(() => fs.existsSync(path.join(folder, '.runboard', 'runboard.db')), '.runboard/runboard.db in the workspace', 60000);
  },

  async 'runs in the server-side Node extension host of the web workbench'() {
    assert.equal(vscode.env.uiKind, vscode.UIKind.Web);
    assert.match(process.versions.node, /^20\./);
  },
};

async function run() {
  const results = [];
  // The language tests first: they check that no language server runs before a Python document opens.
  const all = { ...tests, ...require('./language.cjs').tests, ...require('./commands.cjs').tests, ...require('./remote.cjs').tests };
  for (const [name, fn] of Object.entries(all)) {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - t0 });
    } catch (e) {
      results.push({ name, ok: false, ms: Date.now() - t0, error: String((e && e.stack) || e) });
    }
  }
  const report = { node: process.version, vscode: vscode.version, remoteName: vscode.env.remoteName, results };
  if (process.env.E2E_RESULT_FILE) fs.writeFileSync(process.env.E2E_RESULT_FILE, JSON.stringify(report, null, 2));
  const failed = results.filter((r) => !r.ok);
  if (failed.length) throw new Error(`${failed.length} in-host test(s) failed`);
}

module.exports = { run };
