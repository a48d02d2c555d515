// Issue "Python language server": the lenses, hovers and launcher of a training script in a real VS Code.
// The language server starts when the first Python file opens; its data comes from the extension host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './harness.mjs';

const PYTHON = path.join(h.REPO_ROOT, '.venv', 'bin', 'python');
const REGISTER = path.join(h.E2E_DIR, 'fixtures', 'register_manual_run.py');
// A copy of examples/ plus a script that loads a registered model by URI.
const workspace = h.makeWorkspace();
fs.writeFileSync(path.join(workspace, 'serve_model.py'), 'import mlflow\n\nmodel = mlflow.pyfunc.load_model("models:/lang-e2e-model@champion")\n');
// The launcher runs scripts with runboard.python (no Python extension here).
const wb = h.useWorkbench({ name: 'codelens', workspace, settings: { 'runboard.python': PYTHON } });

/** A lens of the active editor whose text contains `text`. */
function lens(page, text) {
  return page.locator('.editor-group-container.active .codelens-decoration a', { hasText: text }).first();
}

wb.test('a training script run in a terminal gets its run history lens above start_run', async ({ page }) => {
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.openTerminal(page);
  await h.typeInTerminal(page, `"${PYTHON}" train_manual.py && "${PYTHON}" "${REGISTER}"`);
  await h.waitForTerminalText(page, /E2E-REGISTERED/, { timeout: 180000 });
  await h.openFile(page, 'train_manual.py');
  await lens(page, 'Run with Runboard').waitFor({ state: 'visible', timeout: 60000 });
  await lens(page, 'Debug with Runboard').waitFor({ state: 'visible', timeout: 30000 });
  const history = lens(page, '1 run · best accuracy');
  await history.waitFor({ state: 'visible', timeout: 60000 });
  await lens(page, 'Last run: manual-logging').waitFor({ state: 'visible', timeout: 30000 });
  await page.screenshot({ path: `${h.RESULTS_DIR}/codelens-lenses.png` });
});

wb.test('clicking the run history lens opens the run', async ({ page }) => {
  await lens(page, '1 run · best accuracy').click();
  await h.editorTab(page, 'Run manual-logging').waitFor({ state: 'visible', timeout: 60000 });
});

wb.test('hovering a models:/ literal shows the version it loads', async ({ page }) => {
  await h.openFile(page, 'serve_model.py');
  const literal = page.locator('.editor-group-container.active .view-line span span', { hasText: 'models:/lang-e2e-model@champion' }).first();
  await literal.waitFor({ state: 'visible', timeout: 30000 });
  const hover = page.locator('.monaco-hover', { hasText: 'lang-e2e-model' });
  // The cursor in the literal, then Show or Focus Hover (what the mouse does, without its timing); the first
  // ask may come before the server has parsed the file, so ask until it answers.
  await h.expectPoll(
    async () => {
      await literal.click();
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      return hover.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false);
    },
    { timeout: 60000, what: 'the hover of models:/lang-e2e-model@champion', detail: () => page.locator('.monaco-hover').allInnerTexts() },
  );
  const text = await hover.innerText();
  assert.match(text, /version 1/);
  assert.match(text, /@champion/);
  assert.match(text, /Source run/);
  await page.screenshot({ path: `${h.RESULTS_DIR}/codelens-hover.png` });
  await page.keyboard.press('Escape');
});

// Needs runboard.runScript (the launcher, issue 6's other half): the click runs the script with the backend's
// environment and its run appears in the tree.
wb.test('clicking "Run with Runboard" runs the script and its run appears in the tree', async ({ page }) => {
  await h.openFile(page, 'train_manual.py');
  await lens(page, 'Run with Runboard').click();
  // Without the launcher VS Code says the command is unknown: fail at once, saying so.
  const unknown = h.notification(page, "command 'runboard.runScript' not found");
  if (await unknown.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) {
    assert.fail('runboard.runScript is not registered in this build (the launcher of issue 6 provides it)');
  }
  // The launcher's first launch of a script asks for its experiment; Enter takes the suggested one (the script
  // sets its own anyway).
  await page.locator('.quick-input-widget', { hasText: 'experiment for train_manual.py' }).waitFor({ state: 'visible', timeout: 30000 });
  await page.keyboard.press('Enter');
  await h.waitForTerminalText(page, /exit code 0 → FINISHED/, { timeout: 180000 });
  await h.openViewContainer(page, 'Runboard');
  const experiment = h.treeItem(page, 'examples', { view: 'Experiments' });
  await experiment.waitFor({ state: 'visible', timeout: 60000 });
  if ((await experiment.getAttribute('aria-expanded')) !== 'true') await experiment.click();
  // The experiment's run rows (one level below it): the terminal's run, then the launched one.
  const runs = h.viewPane(page, 'Experiments').locator('.monaco-list-row[role="treeitem"][aria-level="2"]');
  await h.expectPoll(async () => (await runs.count()) >= 2, { timeout: 60000, what: 'the launched run in the tree' });
  await h.openFile(page, 'train_manual.py');
  await lens(page, '2 runs · best accuracy').waitFor({ state: 'visible', timeout: 60000 });
  await page.screenshot({ path: `${h.RESULTS_DIR}/codelens-launched.png` });
}, { timeout: 300000 });
