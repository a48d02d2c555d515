// Issue "Team scale: any MLflow tracking server as Runboard's backend": in a real VS Code, a user connects
// Runboard to the team's `mlflow server` (PostgreSQL, proxied artifacts, MLflow's basic-auth app), mistypes the
// password first, sees the experiments a Python script logged there, charts a run's metrics from there, watches
// a run training elsewhere appear live, then switches to `runboard serve` as the remote (bearer token), loses it
// midway, and goes back to the local store.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after } from 'node:test';
import { ADMIN, lastJsonLine, runPython, startRemoteServers } from '../remote/servers.mjs';
import * as h from './harness.mjs';
import { mlflowRest } from './tracking.mjs';

const FIXTURES = path.join(h.REPO_ROOT, 'test', 'remote', 'fixtures');
const EXPERIMENT = 'team-remote';
const wb = h.useWorkbench({ name: 'remote' });

// The servers start (and the Python client logs into them) while the workbench starts.
let remote;
const prepared = h.skipReason()
  ? undefined
  : (async () => {
      remote = await startRemoteServers({ only: ['mlflow-basic-auth', 'runboard-serve'] });
      await Promise.all(remote.servers.map(async (server) => lastJsonLine(await runPython(path.join(FIXTURES, 'log_runs.py'), [EXPERIMENT], { env: server.env }))));
      return remote.byName;
    })();
prepared?.catch(() => {}); // reported by the first test that awaits it
after(async () => {
  await prepared?.catch(() => {});
  await remote?.stop();
});

/** Connect to MLflow Server... answered through the workbench's own prompts. */
async function connect(page, { url, auth, username, secret }) {
  await h.runCommand(page, 'Runboard: Connect to MLflow Server...', { closes: false });
  await h.answerInputBox(page, url, { prompt: 'URL of the MLflow tracking server' });
  await h.pickQuickItem(page, auth);
  if (username !== undefined) await h.answerInputBox(page, username, { prompt: 'User name on' });
  if (secret !== undefined) await h.answerInputBox(page, secret, { prompt: auth === 'Bearer token' ? 'Token for' : 'Password of' });
}

const hostOf = (url) => new URL(url).host;

wb.test('a wrong password is refused with a clear message; corrected, the tree shows what Python logged on the server', async ({ page }) => {
  const servers = await prepared;
  const server = servers['mlflow-basic-auth'];
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 }); // the local store first

  await connect(page, { url: server.url, auth: 'Username and password', username: ADMIN.username, secret: 'not-the-password' });
  const refused = h.notification(page, `refused the password of ${ADMIN.username} (401)`);
  await refused.waitFor({ state: 'visible', timeout: 30000 });
  await refused.locator('a.monaco-button, .monaco-button', { hasText: 'Edit Connection' }).first().click();
  // Edit Connection: every answer is prefilled but the password.
  await h.answerInputBox(page, server.url, { prompt: 'URL of the MLflow tracking server' });
  await h.pickQuickItem(page, 'Username and password');
  await h.answerInputBox(page, ADMIN.username, { prompt: 'User name on' });
  await h.answerInputBox(page, ADMIN.password, { prompt: 'Password of' });

  await h.statusBarItem(page, `Runboard: remote ${hostOf(server.url)}`).waitFor({ state: 'visible', timeout: 30000 });
  const experiment = h.treeItem(page, EXPERIMENT, { view: 'Experiments' });
  await experiment.waitFor({ state: 'visible', timeout: 30000 });
  await experiment.click();
  for (const run of ['run-a', 'run-b']) {
    const row = h.treeItem(page, run, { view: 'Experiments' });
    await row.waitFor({ state: 'visible', timeout: 30000 });
    assert.match(await row.innerText(), /loss/, `${run} shows its latest metrics`);
  }
  await h.treeItem(page, 'model-run', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 30000 });
  await page.screenshot({ path: `${h.RESULTS_DIR}/remote-connected.png` });
});

wb.test('a run\'s metric charts draw the history the remote server holds', async ({ page }) => {
  const servers = await prepared;
  const rest = mlflowRest(servers['mlflow-basic-auth'].env);
  await h.contextMenu(page, h.treeItem(page, 'run-a', { view: 'Experiments' }), 'Open Metric Charts');
  const frame = await h.panelFrame(page, 'charts', { heading: 'Metrics of run-a' });
  const canvas = (key) => frame.locator(`[data-testid=chart-canvas][data-metric="${key}"]`);
  const runId = await frame.locator('[data-testid=legend-item]').getAttribute('data-run-id');
  const { metrics } = await rest.values(runId);
  assert.deepEqual((await frame.locator('[data-testid=chart-canvas]').evaluateAll((cs) => cs.map((c) => c.dataset.metric))).sort(), Object.keys(metrics).sort(), 'a chart per metric on the server');
  for (const key of Object.keys(metrics)) {
    const history = await rest.history(runId, key);
    await h.expectPoll(async () => (await canvas(key).getAttribute('data-rendered')) === 'true' && (await canvas(key).getAttribute('data-series-count')) !== '0', { what: `the chart of ${key} drawn` });
    const data = await canvas(key).evaluate((c) => ({ ...c.dataset }));
    assert.equal(data.seriesCount, '1', `${key}: one run, one series`);
    assert.equal(Number(data.pointCount), history.length, `${key}: every point the server holds (${history.length})`);
    assert.deepEqual([Number(data.xMin), Number(data.xMax)], [history[0].step, history.at(-1).step], `${key}: the server's steps`);
  }
  await page.locator('.part.editor').screenshot({ path: `${h.RESULTS_DIR}/remote-charts.png` });
  await h.runCommand(page, 'View: Close All Editors');
});

wb.test('a run training elsewhere shows up live, with its metrics, without a refresh', async ({ page }) => {
  const servers = await prepared;
  const t0 = Date.now();
  const training = runPython(path.join(FIXTURES, 'log_live_run.py'), [EXPERIMENT, 'live-run', '16'], { env: servers['mlflow-basic-auth'].env });
  const row = h.treeItem(page, 'live-run', { view: 'Experiments' });
  await row.waitFor({ state: 'visible', timeout: 30000 });
  const seenAfterMs = Date.now() - t0;
  await h.expectPoll(async () => /loss/.test(await row.innerText()), { timeout: 15000, what: 'the live run shows its loss' });
  await training;
  console.log(`[e2e] remote: the live run showed up ${seenAfterMs} ms after its script started (Python import included)`);
});

wb.test('terminals get the remote URI and credentials', async ({ page }) => {
  const servers = await prepared;
  await h.openTerminal(page);
  await h.typeInTerminal(page, 'echo "URI=$MLFLOW_TRACKING_URI USER=$MLFLOW_TRACKING_USERNAME PW=${#MLFLOW_TRACKING_PASSWORD} TOKEN=${MLFLOW_TRACKING_TOKEN:-none}"');
  await h.waitForTerminalText(page, new RegExp(`URI=${servers['mlflow-basic-auth'].url.replace(/[.]/g, '\\.')} USER=${ADMIN.username} PW=${ADMIN.password.length} TOKEN=none`), { timeout: 30000 });
});

wb.test('runboard serve works as the remote too (bearer token); when it goes away the tree keeps its rows, marked stale', async ({ page }) => {
  const servers = await prepared;
  const server = servers['runboard-serve'];
  await connect(page, { url: server.url, auth: 'Bearer token', secret: server.credentials.token });
  await h.statusBarItem(page, `Runboard: remote ${hostOf(server.url)}`).waitFor({ state: 'visible', timeout: 30000 });
  const experiment = h.treeItem(page, EXPERIMENT, { view: 'Experiments' });
  await experiment.waitFor({ state: 'visible', timeout: 30000 });
  await h.expectPoll(async () => (await h.treeItem(page, 'live-run', { view: 'Experiments' }).count()) === 0, { what: 'the basic-auth server\'s rows gone' });
  if ((await h.treeItem(page, 'run-a', { view: 'Experiments' }).count()) === 0) await experiment.click();
  await h.treeItem(page, 'run-a', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 30000 });

  await server.stop(); // the connection is lost midway
  await h.statusBarItem(page, 'unreachable (stale)').waitFor({ state: 'visible', timeout: 45000 });
  await h.viewPane(page, 'Experiments').getByText(/Stale: cannot reach/).first().waitFor({ state: 'visible', timeout: 15000 });
  await h.runCommand(page, 'Runboard: Refresh'); // a user's refresh while it is down
  await page.waitForTimeout(1500);
  assert.equal(await h.treeItem(page, 'run-a', { view: 'Experiments' }).count(), 1, 'the rows loaded before stay');
  assert.equal(await h.treeItem(page, 'Could not load', { view: 'Experiments' }).count(), 0, 'no error rows replace them');
  await page.screenshot({ path: `${h.RESULTS_DIR}/remote-stale.png` });
});

wb.test('Use Local Store goes back to the workspace\'s own store', async ({ page }) => {
  await h.runCommand(page, 'Runboard: Use Local Store');
  await h.statusBarItem(page, 'Runboard: local').waitFor({ state: 'visible', timeout: 60000 });
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.expectPoll(async () => (await h.treeItem(page, EXPERIMENT, { view: 'Experiments' }).count()) === 0, { what: 'the remote experiment gone' });
});
