// Issue "Runboard in VS Code": a user opens the examples workspace, trains in a terminal with the real mlflow
// client, and watches runs and models appear in the sidebar without refreshing.
import assert from 'node:assert/strict';
import path from 'node:path';
import * as h from './harness.mjs';

const PYTHON = path.join(h.REPO_ROOT, '.venv', 'bin', 'python');
const SCRIPT = path.join(h.E2E_DIR, 'fixtures', 'log_two_runs.py');
const wb = h.useWorkbench({ name: 'sidebar' });

wb.test('a script run in a VS Code terminal logs two runs that appear with their metrics, no refresh needed', async ({ page }) => {
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.openTerminal(page);
  await h.typeInTerminal(page, `"${PYTHON}" "${SCRIPT}"`);
  await h.waitForTerminalText(page, /E2E-LOGGED-OK/, { timeout: 180000 });
  const experiment = h.treeItem(page, 'e2e-sidebar', { view: 'Experiments' });
  await experiment.waitFor({ state: 'visible', timeout: 30000 });
  await experiment.click();
  for (const run of ['first-run', 'second-run']) {
    const row = h.treeItem(page, run, { view: 'Experiments' });
    await row.waitFor({ state: 'visible', timeout: 30000 });
    assert.match(await row.innerText(), /loss/, `${run} shows its latest loss`);
  }
  await page.screenshot({ path: `${h.RESULTS_DIR}/sidebar-runs.png` });
});

wb.test('a run is renamed from its context menu', async ({ page }) => {
  const row = h.treeItem(page, 'first-run', { view: 'Experiments' });
  await h.contextMenu(page, row, 'Rename Run...');
  await h.answerInputBox(page, 'renamed-run');
  await h.treeItem(page, 'renamed-run', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 30000 });
});

wb.test('a PNG artifact opens in the image preview', async ({ page }) => {
  await h.treeItem(page, 'second-run', { view: 'Experiments' }).click();
  await h.openArtifact(page, 'plot.png');
  // VS Code's image preview draws the PNG in a webview: it must have decoded to a real size.
  const image = h.webviewFrame(page).locator('img');
  await image.waitFor({ state: 'visible', timeout: 30000 });
  await h.expectPoll(async () => (await image.evaluate((img) => img.naturalWidth)) > 0, { what: 'the PNG decoded' });
  await page.screenshot({ path: `${h.RESULTS_DIR}/sidebar-artifact.png` });
});

wb.test('the Models view shows the registered model and its version', async ({ page }) => {
  await h.expandView(page, 'Models');
  const model = h.treeItem(page, 'e2e-model', { view: 'Models' });
  await model.waitFor({ state: 'visible', timeout: 30000 });
  await model.click();
  await h.treeItem(page, 'Version 1', { view: 'Models' }).waitFor({ state: 'visible', timeout: 30000 });
  await page.screenshot({ path: `${h.RESULTS_DIR}/sidebar-models.png` });
});
