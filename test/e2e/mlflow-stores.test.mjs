// Issue 9, "open existing MLflow data": a workspace that already has MLflow data made by the real client (an
// mlflow.db from mlflow 3.18 at the top, one from a 2.x client in legacy/, an mlruns/ file store in filestore/).
// In a real VS Code the user is offered the first, opens it, sees its experiments, runs and registered models,
// runs a script in the terminal that keeps logging to it and sees the run appear live; then opens the 2.x store
// (agreeing to MLflow's schema upgrade) and the file store from the palette, and goes back to the local store.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { makeStore } from '../stores/make-stores.mjs';
import * as h from './harness.mjs';

const PYTHON = path.join(h.REPO_ROOT, '.venv', 'bin', 'python');
const LIVE_SCRIPT = path.join(h.REPO_ROOT, 'test', 'remote', 'fixtures', 'log_live_run.py');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-mlflow-stores-'));
const workspace = path.join(root, 'project');
const STARTUP = 180_000; // MLflow's server takes 15-30 s to start on a busy 2-core machine

after(() => {
  if (!process.env.E2E_KEEP_TMP) fs.rmSync(root, { recursive: true, force: true });
});

const wb = h.useWorkbench({
  prepare: async () => {
    await makeStore('mlflow3-sqlite', workspace);
    await makeStore('mlflow2-sqlite', path.join(workspace, 'legacy'));
    await makeStore('mlflow3-filestore', path.join(workspace, 'filestore'));
  },
  prepareTimeout: 900_000,
  name: 'mlflow-stores',
  workspace,
  settings: { 'runboard.python': PYTHON },
  env: { MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
});

/** The MLflow server processes serving a store under `dir` (what "no orphans" means). */
function serversOn(dir) {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(' server --backend-store-uri ') && line.includes(dir));
}

/** Expands a tree row unless it is expanded already (clicking an expanded row would collapse it). */
async function expand(row) {
  if ((await row.getAttribute('aria-expanded', { timeout: 2000 })) === 'false') await row.click({ timeout: 2000 });
}

/** The text of each row, '' for a row not on screen (the tree may be reloading from the new backend). */
function rowTexts(page, view, labels) {
  return Promise.all(labels.map((label) => h.treeItem(page, label, { view }).first().innerText({ timeout: 1000 }).catch(() => '')));
}

/**
 * The seed's experiments and runs in the Experiments tree, and its registered model versions with stage and
 * alias. Polled as a whole: right after a switch the tree reloads, and rows come and go meanwhile.
 */
async function expectSeedShown(page) {
  await h.treeItem(page, 'seed-manual', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.expectPoll(
    async () => {
      const experiments = await rowTexts(page, 'Experiments', ['seed-sweep', 'seed-autolog', 'seed-registry']);
      await expand(h.treeItem(page, 'seed-manual', { view: 'Experiments' }).first());
      const runs = await rowTexts(page, 'Experiments', ['sgd-fast', 'adam-slow', 'diverged']);
      return experiments.every(Boolean) && runs.every(Boolean) && /loss|accuracy/.test(runs[0]);
    },
    { timeout: 60000, interval: 1000, what: 'the seed\'s experiments, and seed-manual\'s runs with their latest metrics' },
  );
  await h.expandView(page, 'Models');
  await h.expectPoll(
    async () => {
      await expand(h.treeItem(page, 'seed-classifier', { view: 'Models' }).first());
      const [v2, v1, regressor] = await rowTexts(page, 'Models', ['Version 2', 'Version 1', 'seed-regressor']);
      return /Production · @champion/.test(v2) && /Archived/.test(v1) && Boolean(regressor);
    },
    { timeout: 60000, interval: 1000, what: 'seed-classifier v2 Production @champion, v1 Archived, and seed-regressor' },
  );
}

/** Runboard: Open MLflow Store... and the store picked by its label. */
async function openFromPalette(page, label) {
  await h.runCommand(page, 'Runboard: Open MLflow Store...', { closes: false });
  await h.pickQuickItem(page, label);
}

wb.test('the workspace\'s mlflow.db is offered; opened, its experiments, runs and models show', async ({ page }) => {
  const offer = h.notification(page, 'This workspace has MLflow data in mlflow.db. Open it in Runboard?');
  await offer.waitFor({ state: 'visible', timeout: 60000 });
  await offer.locator('.monaco-button', { hasText: /^Open$/ }).first().click();
  await h.statusBarItem(page, 'Runboard: mlflow.db').waitFor({ state: 'visible', timeout: STARTUP });
  await h.openViewContainer(page, 'Runboard');
  await expectSeedShown(page);
  assert.equal(serversOn(path.join(workspace, 'mlflow.db')).length > 0, true, 'MLflow\'s server runs on the store');
  await page.screenshot({ path: `${h.RESULTS_DIR}/mlflow-stores-sqlite3.png` });
}, { timeout: 300_000 });

wb.test('an artifact the client wrote next to the store opens in an editor', async ({ page }) => {
  await expand(h.treeItem(page, 'sgd-fast', { view: 'Experiments' }).first());
  await h.openArtifact(page, 'summary.json');
  await h.expectPoll(async () => /"lr": 0\.1/.test(await page.locator('.part.editor .view-lines').first().innerText().then((t) => t.replace(/\u00a0/g, ' '))), { timeout: 30000, what: 'summary.json shows lr 0.1' });
  await h.runCommand(page, 'View: Close All Editors');
});

wb.test('a script in the terminal that keeps logging to the store shows up live', async ({ page }) => {
  await h.openTerminal(page);
  await h.typeInTerminal(page, 'echo "URI=$MLFLOW_TRACKING_URI"');
  await h.waitForTerminalText(page, /URI=http:\/\/127\.0\.0\.1:\d+/, { timeout: 30000 });
  await h.typeInTerminal(page, `${PYTHON} ${LIVE_SCRIPT} seed-manual live-from-terminal 20`);
  const row = h.treeItem(page, 'live-from-terminal', { view: 'Experiments' });
  await row.waitFor({ state: 'visible', timeout: 90000 });
  await h.expectPoll(async () => /loss/.test(await row.innerText()), { timeout: 30000, what: 'the live run shows its loss' });
}, { timeout: 240_000 });

wb.test('the 2.x store opens from the palette after the upgrade the user agrees to; the file store opens too', async ({ page }) => {
  await openFromPalette(page, 'legacy/mlflow.db');
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'was written by an older MLflow' });
  await dialog.waitFor({ state: 'visible', timeout: 60000 });
  assert.match(await dialog.innerText(), /can no longer write to it/);
  await dialog.locator('.monaco-button', { hasText: 'Upgrade and Open' }).click();
  await h.statusBarItem(page, 'Runboard: legacy/mlflow.db').waitFor({ state: 'visible', timeout: STARTUP });
  await h.expectPoll(async () => (await h.treeItem(page, 'live-from-terminal', { view: 'Experiments' }).count()) === 0, { timeout: 30000, what: 'the first store\'s live run gone' });
  await expectSeedShown(page);
  assert.equal(fs.readdirSync(path.join(workspace, 'legacy')).some((name) => name.startsWith('mlflow.db.backup-')), true, 'a backup was kept');
  await h.expectPoll(() => serversOn(path.join(workspace, 'mlflow.db')).length === 0, { timeout: 30000, what: 'the first store\'s server stopped' });
  // A script writing straight into the open mlflow.db (as `sqlite:///mlflow.db` scripts do) shows up too; the
  // experiment it makes also tells the stores apart, whose seeds have the same names.
  execFileSync(PYTHON, ['-c', `import mlflow; mlflow.set_tracking_uri(${JSON.stringify(`sqlite:///${path.join(workspace, 'legacy', 'mlflow.db')}`)}); mlflow.create_experiment("only-in-legacy")`], { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' } });
  await h.treeItem(page, 'only-in-legacy', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });

  await openFromPalette(page, 'filestore/mlruns');
  await h.statusBarItem(page, 'Runboard: filestore/mlruns').waitFor({ state: 'visible', timeout: STARTUP });
  // Until the file store's first load returns, VS Code keeps the previous store's rows on screen.
  await h.expectPoll(async () => (await h.treeItem(page, 'only-in-legacy', { view: 'Experiments' }).count()) === 0, { timeout: 60000, what: 'the rows of the file store, not of legacy/mlflow.db' });
  await expectSeedShown(page);
  await page.screenshot({ path: `${h.RESULTS_DIR}/mlflow-stores-filestore.png` });
}, { timeout: 480_000 });

wb.test('when MLflow\'s server dies the views go stale, and Restart brings the store back', async ({ page }) => {
  const [line] = serversOn(path.join(workspace, 'filestore', 'mlruns'));
  assert.ok(line, 'the file store\'s server runs');
  const pid = Number(line.trim().split(/\s+/)[0]);
  process.kill(-pid, 'SIGKILL'); // the process group, as a crash or an OOM kill would end it
  await h.statusBarItem(page, 'Runboard: filestore/mlruns stopped (stale)').waitFor({ state: 'visible', timeout: 60000 });
  await page.screenshot({ path: `${h.RESULTS_DIR}/mlflow-stores-stale.png` });
  const shown = await h.viewPane(page, 'Experiments').locator('.monaco-list-row[role="treeitem"]').allInnerTexts();
  assert.equal(shown.filter((text) => text.includes('seed-manual')).length, 1, `the rows loaded before stay; shown: ${JSON.stringify(shown)}`);
  const died = h.notification(page, 'MLflow\'s server on filestore/mlruns stopped');
  await died.waitFor({ state: 'visible', timeout: 30000 });
  await died.locator('.monaco-button', { hasText: /^Restart$/ }).first().click();
  await h.statusBarItem(page, /Runboard: filestore\/mlruns\s*$/).waitFor({ state: 'visible', timeout: STARTUP });
  await h.treeItem(page, 'seed-sweep', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 30000 });
}, { timeout: 300_000 });

wb.test('a reloaded window reopens the store it showed, and the old window\'s server is gone', async ({ page }) => {
  const before = serversOn(path.join(workspace, 'filestore', 'mlruns')).map((line) => line.trim().split(/\s+/)[0]);
  assert.equal(before.length, 1);
  await h.runCommand(page, 'Developer: Reload Window');
  await h.waitForWorkbench(page);
  await h.statusBarItem(page, /Runboard: filestore\/mlruns\s*$/).waitFor({ state: 'visible', timeout: STARTUP });
  await h.expectPoll(() => !serversOn(path.join(workspace, 'filestore', 'mlruns')).some((line) => line.trim().split(/\s+/)[0] === before[0]), { timeout: 30000, what: 'the old server gone' });
  assert.equal(serversOn(path.join(workspace, 'filestore', 'mlruns')).length, 1, 'one server on the store');
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'seed-registry', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
}, { timeout: 300_000 });

wb.test('Use Local Store stops MLflow\'s server and shows Runboard\'s own store', async ({ page }) => {
  await h.runCommand(page, 'Runboard: Use Local Store');
  await h.statusBarItem(page, 'Runboard: local').waitFor({ state: 'visible', timeout: 60000 });
  await h.expectPoll(async () => (await h.treeItem(page, 'seed-manual', { view: 'Experiments' }).count()) === 0, { timeout: 30000, what: 'the store\'s experiments gone' });
  await h.expectPoll(() => serversOn(workspace).length === 0, { timeout: 30000, what: 'no MLflow server left on the workspace\'s stores' });
});
