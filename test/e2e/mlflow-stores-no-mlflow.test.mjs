// Issue 9, "open existing MLflow data", when the interpreter has no mlflow: the workspace's mlflow.db is offered,
// Open says which interpreter lacks mlflow (and where that choice came from), and Install mlflow runs pip with
// that interpreter in a terminal; nothing switches. The interpreter is a venv without mlflow (nor pip: the
// terminal's pip then fails on its own, with no network use), chosen by the folder's runboard.python setting.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { makeStore } from '../stores/make-stores.mjs';
import * as h from './harness.mjs';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-no-mlflow-'));
const workspace = path.join(root, 'project');
const bare = path.join(root, 'bare-venv', 'bin', 'python');

after(() => {
  if (!process.env.E2E_KEEP_TMP) fs.rmSync(root, { recursive: true, force: true });
});

const wb = h.useWorkbench({
  name: 'mlflow-stores-no-mlflow',
  workspace,
  prepare: async () => {
    await makeStore('mlflow3-sqlite', workspace);
    execFileSync('python3', ['-m', 'venv', '--without-pip', path.dirname(path.dirname(bare))]);
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'runboard.python': bare }));
  },
  prepareTimeout: 600_000,
});

wb.test('Open names the interpreter without mlflow; Install mlflow runs pip there in a terminal', async ({ page }) => {
  const offer = h.notification(page, 'This workspace has MLflow data in mlflow.db. Open it in Runboard?');
  await offer.waitFor({ state: 'visible', timeout: 60000 });
  await offer.locator('.monaco-button', { hasText: /^Open$/ }).first().click();
  const error = h.notification(page, `mlflow is not installed in the Python interpreter ${bare}.`);
  await error.waitFor({ state: 'visible', timeout: 60000 });
  assert.match(await error.innerText(), /from the runboard\.python setting: install mlflow there, or choose an interpreter that has it/);
  await error.locator('.monaco-button', { hasText: 'Install mlflow' }).first().click();
  await h.waitForTerminalText(page, new RegExp(`${bare.replace(/[.]/g, '\\.')} -m pip install mlflow`), { timeout: 30000 });
  await h.statusBarItem(page, 'Runboard: local').waitFor({ state: 'visible', timeout: 60000 }); // nothing switched
  await page.screenshot({ path: `${h.RESULTS_DIR}/mlflow-stores-no-mlflow.png` });
});
