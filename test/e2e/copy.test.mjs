// Issue 9 "Existing MLflow data" in a real VS Code: the workspace is connected to an `mlflow server` on an
// existing mlflow.db (made by the real mlflow 3.18 client, test/stores); "Runboard: Import into Runboard" copies
// it into the local store with a progress notification and a summary; back on the local store the trees show
// what was imported; "Runboard: Export to Server..." then copies the local store into a `runboard serve` with a
// bearer token, entered through the same prompts as Connect. What arrives is read back through its REST API.
// (test/remote/copy.test.ts compares copies field by field; this file checks the commands a user runs.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { startMlflowServer, startRunboardServe } from '../remote/servers.mjs';
import { makeStore } from '../stores/make-stores.mjs';
import * as h from './harness.mjs';

const wb = h.useWorkbench({ name: 'copy' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-e2e-copy-'));

// The servers start while the workbench starts.
const started = [];
const prepared = h.skipReason()
  ? undefined
  : (async () => {
      const store = await makeStore('mlflow3-sqlite', path.join(tmp, 'source'));
      const [source, target] = await Promise.all([startMlflowServer({ name: 'copy-source', backendStoreUri: store.backendStoreUri }), startRunboardServe({ name: 'copy-target' })]);
      started.push(source, target);
      return { store, source, target };
    })();
prepared?.catch(() => {}); // reported by the first test that awaits it
after(async () => {
  await prepared?.catch(() => {});
  await Promise.allSettled(started.map((server) => server.stop()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const hostOf = (url) => new URL(url).host;

/** Accepts the experiment picker as it opens: every experiment is picked (Enter accepts a multi-pick). */
async function acceptAllExperiments(page) {
  const picker = page.locator('.quick-input-widget', { hasText: /^(Import from|Export to) / });
  await picker.waitFor({ state: 'visible', timeout: 30000 });
  await picker.locator('.monaco-list-row', { hasText: 'seed-registry' }).first().waitFor({ state: 'visible', timeout: 30000 });
  await page.keyboard.press('Enter');
  await picker.waitFor({ state: 'hidden', timeout: 15000 });
}

wb.test('Import into Runboard copies the connected mlflow.db into the local store, with progress and a summary', async ({ page }) => {
  const { source } = await prepared;
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.runCommand(page, 'Runboard: Connect to MLflow Server...', { closes: false });
  await h.answerInputBox(page, source.url, { prompt: 'URL of the MLflow tracking server' });
  await h.pickQuickItem(page, 'No authentication');
  await h.statusBarItem(page, `Runboard: remote ${hostOf(source.url)}`).waitFor({ state: 'visible', timeout: 30000 });
  await h.treeItem(page, 'seed-registry', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 30000 });

  await h.runCommand(page, 'Runboard: Import into Runboard', { closes: false });
  await acceptAllExperiments(page);
  const done = h.notification(page, `Importing from ${hostOf(source.url)} into the local store: done, copied 4 experiments, 13 runs`);
  await done.waitFor({ state: 'visible', timeout: 180000 });
  assert.match(await done.innerText(), /3 model versions/);
  await page.screenshot({ path: `${h.RESULTS_DIR}/copy-imported.png` });

  await h.runCommand(page, 'Runboard: Use Local Store');
  await h.statusBarItem(page, 'Runboard: local').waitFor({ state: 'visible', timeout: 60000 });
  for (const name of ['seed-manual', 'seed-sweep', 'seed-autolog', 'seed-registry']) await h.treeItem(page, name, { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 30000 });
  await h.treeItem(page, 'seed-classifier', { view: 'Models' }).waitFor({ state: 'visible', timeout: 30000 });
}, { timeout: 300_000 });

wb.test('Export to Server... copies the local store into a server the user enters (bearer token)', async ({ page }) => {
  const { target } = await prepared;
  await h.runCommand(page, 'Runboard: Export to Server...', { closes: false });
  await h.answerInputBox(page, target.url, { prompt: 'URL of the MLflow tracking server' });
  await h.pickQuickItem(page, 'Bearer token');
  await h.answerInputBox(page, target.credentials.token, { prompt: 'Token for' });
  await acceptAllExperiments(page);
  const done = h.notification(page, `Exporting to ${hostOf(target.url)}: done, copied 4 experiments, 13 runs`);
  await done.waitFor({ state: 'visible', timeout: 180000 });

  // What arrived, through the target's REST API.
  const call = async (route, body) => {
    const response = await fetch(`${target.url}/api/2.0/mlflow/${route}`, { method: 'POST', headers: { Authorization: `Bearer ${target.credentials.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200, await response.clone().text());
    return response.json();
  };
  const { experiments } = await call('experiments/search', { max_results: 100 });
  const manual = experiments.find((experiment) => experiment.name === 'seed-manual');
  assert.ok(manual, 'seed-manual exported');
  const { runs } = await call('runs/search', { experiment_ids: [manual.experiment_id], run_view_type: 'ALL', max_results: 100 });
  assert.equal(runs.length, 4, 'three runs and the deleted one');
  assert.equal(runs.filter((run) => run.info.lifecycle_stage === 'deleted').length, 1);
  const versions = await (await fetch(`${target.url}/api/2.0/mlflow/model-versions/search?filter=${encodeURIComponent("name = 'seed-classifier'")}`, { headers: { Authorization: `Bearer ${target.credentials.token}` } })).json();
  assert.deepStrictEqual(versions.model_versions.map((version) => [version.version, version.current_stage]).sort(), [['1', 'Archived'], ['2', 'Production']]);
});
