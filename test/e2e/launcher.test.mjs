// Issue 6, the launcher: "Runboard: Run Python File with Runboard" on examples/train_manual.py in a real VS Code
// runs it as a task with the real mlflow client, and the run appears in the Experiments tree, finished, with
// the script's output as its log artifact; Terminate Task stops a script and its run is KILLED; a model
// version's context menu predicts on a CSV (a table of predictions) and serves it (answering the curl call).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as h from './harness.mjs';

const PYTHON = path.join(h.REPO_ROOT, '.venv', 'bin', 'python');
const FIXTURES = path.join(h.REPO_ROOT, 'test', 'unit', 'fixtures', 'launcher');
// The examples, plus a script that runs until stopped and one that registers an iris model.
const workspace = h.makeWorkspace();
for (const name of ['slow.py', 'register_iris.py']) fs.copyFileSync(path.join(FIXTURES, name), path.join(workspace, name));
const wb = h.useWorkbench({ name: 'launcher', workspace, settings: { 'runboard.python': PYTHON } });

/** Expands a tree row (a click on an expanded row would collapse it). */
async function expand(row) {
  await row.waitFor({ state: 'visible', timeout: 30000 });
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
}

wb.test('Run Python File with Runboard: the run appears finished, with its output log artifact', async ({ page }) => {
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.openFile(page, 'train_manual.py');
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
  await expand(experiment);
  const run = h.treeItem(page, 'manual-logging', { view: 'Experiments' });
  await run.waitFor({ state: 'visible', timeout: 30000 });
  await h.expectPoll(async () => (await run.locator('.codicon-pass').count()) > 0, { timeout: 30000, what: 'the run shows as finished' });
  await run.click();
  await h.openArtifact(page, 'output.log');
  await h.expectPoll(async () => /final_loss/.test(await page.locator('.part.editor .view-lines').first().innerText().catch(() => '')), { timeout: 30000, what: 'the log artifact holds the script output' });
  await page.screenshot({ path: `${h.RESULTS_DIR}/launcher-run.png` });
});

wb.test('a second run of the same script reuses its experiment without asking', async ({ page }) => {
  await h.openFile(page, 'train_manual.py');
  await h.runCommand(page, 'Runboard: Run Python File with Runboard');
  await h.waitForTerminalText(page, /Runboard: exit code 0 → FINISHED/, { timeout: 180000 });
  await h.expectPoll(async () => (await h.treeItem(page, 'manual-logging', { view: 'Experiments' }).count()) >= 2, { timeout: 30000, what: 'two manual-logging runs in the tree' });
});

wb.test('Run Python File with Arguments...: arguments and environment are asked, remembered and used by the next plain run', async ({ page }) => {
  await h.openFile(page, 'train_manual.py');
  await h.runCommand(page, 'Runboard: Run Python File with Arguments...', { closes: false });
  await h.answerInputBox(page, '--note "hello world"', { prompt: 'Command-line arguments' });
  await h.answerInputBox(page, 'SEED=3', { prompt: 'Extra environment variables' });
  await page.locator('.quick-input-widget', { hasText: 'experiment for train_manual.py' }).waitFor({ state: 'visible', timeout: 15000 });
  await page.keyboard.press('Enter');
  await h.waitForTerminalText(page, /train_manual\.py --note 'hello world'/, { timeout: 60000 });
  await h.waitForTerminalText(page, /Runboard: exit code 0 → FINISHED/, { timeout: 180000 });
  await h.expectPoll(async () => (await h.treeItem(page, 'manual-logging', { view: 'Experiments' }).count()) >= 3, { timeout: 30000, what: 'the third manual-logging run in the tree' });
  await h.runCommand(page, 'Runboard: Run Python File with Runboard');
  await h.expectPoll(async () => (await h.treeItem(page, 'manual-logging', { view: 'Experiments' }).count()) >= 4, { timeout: 180000, what: 'the fourth manual-logging run in the tree' });
  await h.waitForTerminalText(page, /train_manual\.py --note 'hello world'[\s\S]*Runboard: exit code 0 → FINISHED/, { timeout: 180000 });
});

wb.test('Terminate Task stops a running script and its run shows as killed', async ({ page }) => {
  await h.openFile(page, 'slow.py');
  await h.runCommand(page, 'Runboard: Run Python File with Runboard', { closes: false });
  await page.locator('.quick-input-widget', { hasText: 'experiment for slow.py' }).waitFor({ state: 'visible', timeout: 15000 });
  await page.keyboard.press('Enter');
  await h.waitForTerminalText(page, /^ready$/m, { timeout: 120000 });
  await h.runCommand(page, 'Tasks: Terminate Task', { closes: false });
  // With one task running VS Code may terminate it at once, or ask which.
  const which = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Run slow.py' }).first();
  if (await which.isVisible().catch(() => false)) await which.click();
  // The suggested experiment is named after the script's folder.
  await expand(h.treeItem(page, path.basename(workspace), { view: 'Experiments' }));
  const run = h.treeItem(page, 'slow', { view: 'Experiments' }).first();
  await run.waitFor({ state: 'visible', timeout: 30000 });
  await h.expectPoll(async () => (await run.locator('.codicon-circle-slash').count()) > 0, { timeout: 60000, what: 'the stopped run shows as killed' });
});

wb.test('Predict with Model... on a version row: a table of predictions, saved beside the CSV; Serve Model answers', async ({ page }) => {
  // Terminals opened once the server is up log into it.
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.openTerminal(page);
  await h.typeInTerminal(page, `"${PYTHON}" register_iris.py e2e-iris data/iris_sample.csv`);
  await h.waitForTerminalText(page, /"predictions": \[/, { timeout: 180000 });
  const expected = JSON.parse((await h.terminalText(page)).match(/\{"version": .*\]\}/)[0]);
  await h.expandView(page, 'Models');
  const model = h.treeItem(page, 'e2e-iris', { view: 'Models' });
  await expand(model);
  const version = h.treeItem(page, 'Version 1', { view: 'Models' });
  await version.waitFor({ state: 'visible', timeout: 30000 });

  await h.contextMenu(page, version, 'Predict with Model...');
  const csv = path.join(workspace, 'data', 'iris_sample.csv');
  // code-server's own file dialog: the path typed into its input, then its "Predict" button.
  const dialog = page.locator('.quick-input-widget', { hasText: 'Input for e2e-iris v1' });
  await dialog.waitFor({ state: 'visible', timeout: 15000 });
  // The dialog fills its own input as it lists the folder: type the path again until it is accepted.
  await h.expectPoll(async () => {
    if (!(await dialog.isVisible())) return true;
    await dialog.locator('.quick-input-box input').fill(csv);
    await new Promise((resolve) => setTimeout(resolve, 500));
    if ((await dialog.locator('.quick-input-box input').inputValue()) === csv) await dialog.locator('.monaco-button', { hasText: 'Predict' }).click();
    return false;
  }, { timeout: 30000, interval: 500, what: 'the file dialog to take the CSV path' });
  const table = h.webviewFrame(page).locator('[data-testid="predictions-table"]');
  await table.waitFor({ state: 'visible', timeout: 180000 });
  const predicted = await table.locator('tbody tr td.prediction').allInnerTexts();
  assert.deepEqual(predicted.map(Number), expected.predictions);
  assert.equal(await table.locator('thead th.input').count(), 4, 'the input columns beside the predictions');
  assert.ok(fs.existsSync(`${csv}.predictions.json`), 'saved beside the input');
  await page.screenshot({ path: `${h.RESULTS_DIR}/launcher-predictions.png` });

  await h.contextMenu(page, version, 'Serve Model');
  const toast = h.notification(page, 'Copy curl command');
  await toast.waitFor({ state: 'visible', timeout: 60000 });
  const port = Number((await toast.innerText()).match(/127\.0\.0\.1:(\d+)/)[1]);
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
  const body = JSON.stringify({ dataframe_split: { columns: rows[0].split(','), data: rows.slice(1).map((line) => line.split(',').map(Number)) } });
  let answer;
  await h.expectPoll(async () => {
    answer = await fetch(`http://127.0.0.1:${port}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }).then((r) => (r.ok ? r.json() : undefined), () => undefined);
    return answer !== undefined;
  }, { timeout: 180000, interval: 1000, what: 'the served model answers /invocations' });
  assert.deepEqual(answer.predictions, expected.predictions);
  await page.screenshot({ path: `${h.RESULTS_DIR}/launcher-serve.png` });
}, { timeout: 600000 });

wb.test('Debug with Runboard without the Python Debugger extension says what to install', async ({ page }) => {
  await h.openFile(page, 'train_manual.py');
  await h.runCommand(page, 'Runboard: Debug Python File with Runboard');
  const toast = h.notification(page, 'needs the Python Debugger extension (ms-python.debugpy)');
  await toast.waitFor({ state: 'visible', timeout: 30000 });
  assert.match(await toast.innerText(), /Install Python Debugger/);
});
