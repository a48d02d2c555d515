// Issue 6, the launcher: "Runboard: Run Python File with Runboard" on examples/train_manual.py in a real VS Code
// runs it as a task with the real mlflow client, and the run appears in the Experiments tree, finished, with
// the script's output as its log artifact. Then "Predict with Model..." is reachable from a model version row.
import assert from 'node:assert/strict';
import path from 'node:path';
import * as h from './harness.mjs';

const PYTHON = path.join(h.REPO_ROOT, '.venv', 'bin', 'python');
const wb = h.useWorkbench({ name: 'launcher', settings: { 'runboard.python': PYTHON } });

async function openFile(page, name) {
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } }).catch(() => {});
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 15000 });
  await page.keyboard.press('Enter');
  await h.editorTab(page, name).waitFor({ state: 'visible', timeout: 30000 });
}

wb.test('Run Python File with Runboard: the run appears finished, with its output log artifact', async ({ page }) => {
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await openFile(page, 'train_manual.py');
  await h.runCommand(page, 'Runboard: Run Python File with Runboard', { closes: false });
  // First launch of this script: the experiment pick, where one Enter takes the suggested experiment.
  const pick = page.locator('.quick-input-widget', { hasText: 'experiment for train_manual.py' });
  await pick.waitFor({ state: 'visible', timeout: 15000 });
  await page.keyboard.press('Enter');
  // The task's terminal shows the script's own output live, then how the launch was recorded.
  await h.waitForTerminalText(page, /"final_loss"/, { timeout: 180000 });
  const summary = await h.waitForTerminalText(page, /Runboard: exit code 0 → FINISHED \(run ([0-9a-f]{32})\)/, { timeout: 60000 });
  assert.ok(summary[1]);

  const experiment = h.treeItem(page, 'examples', { view: 'Experiments' });
  await experiment.waitFor({ state: 'visible', timeout: 30000 });
  await experiment.click();
  const run = h.treeItem(page, 'manual-logging', { view: 'Experiments' });
  await run.waitFor({ state: 'visible', timeout: 30000 });
  await h.expectPoll(async () => (await run.locator('.codicon-pass').count()) > 0, { timeout: 30000, what: 'the run shows as finished' });
  await run.click();
  const artifacts = h.treeItem(page, 'Artifacts', { view: 'Experiments' }).first();
  await artifacts.waitFor({ state: 'visible', timeout: 30000 });
  await artifacts.click();
  const log = h.treeItem(page, 'output.log', { view: 'Experiments' }).first();
  await log.waitFor({ state: 'visible', timeout: 30000 });
  await log.click();
  await h.editorTab(page, 'output.log').waitFor({ state: 'visible', timeout: 30000 });
  await h.expectPoll(async () => /final_loss/.test(await page.locator('.part.editor .view-lines').first().innerText().catch(() => '')), { timeout: 30000, what: 'the log artifact holds the script output' });
  await page.screenshot({ path: `${h.RESULTS_DIR}/launcher-run.png` });
});

wb.test('a second run of the same script reuses its experiment without asking', async ({ page }) => {
  await h.editorTab(page, 'train_manual.py').click();
  await h.runCommand(page, 'Runboard: Run Python File with Runboard');
  await h.waitForTerminalText(page, /Runboard: exit code 0 → FINISHED/, { timeout: 180000 });
  await h.expectPoll(async () => (await h.treeItem(page, 'manual-logging', { view: 'Experiments' }).count()) >= 2, { timeout: 30000, what: 'two manual-logging runs in the tree' });
});
