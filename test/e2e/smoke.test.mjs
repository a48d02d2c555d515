// UI smoke test: Runboard in a real VS Code (code-server) on a fresh copy of examples/, through chromium.
// node --test test/e2e/smoke.test.mjs      (needs `node scripts/e2e-setup.mjs` and `npm run build` first)
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

const wb = h.useWorkbench({ name: 'smoke' });

wb.test('the Runboard activity bar item shows the Experiments and Models views', async ({ page, server }) => {
  const t0 = Date.now();
  await h.openViewContainer(page, 'Runboard');
  await h.viewPaneHeader(page, 'Experiments').waitFor({ state: 'visible', timeout: 30000 });
  await h.viewPaneHeader(page, 'Models').waitFor({ state: 'visible', timeout: 30000 });
  const headersMs = Date.now() - t0;
  const titles = await page.locator('.part.sidebar .pane-header h3.title').allTextContents();
  assert.deepEqual(titles.map((t) => t.trim().toLowerCase()), ['experiments', 'models']);
  // Once the tracking server is up, the Experiments view lists the store's Default experiment.
  await h.treeItem(page, 'Default').waitFor({ state: 'visible', timeout: 60000 });
  console.log(`[e2e] view headers ${headersMs} ms, Default experiment listed ${Date.now() - t0} ms after the click (${Date.now() - server.t0} ms after spawn)`);
  await page.screenshot({ path: `${h.RESULTS_DIR}/smoke.png` });
});

wb.test('"Runboard: Show Server Log" opens the Output panel on the Runboard channel', async ({ page }) => {
  await h.runCommand(page, 'Runboard: Show Server Log');
  await h.waitForOutputChannel(page, 'Runboard');
  await h.expectPoll(async () => /Tracking server ready at http:\/\/127\.0\.0\.1:\d+/.test(await h.outputText(page)), {
    timeout: 60000, what: '"Tracking server ready at ..." in the Runboard log', detail: () => h.outputText(page),
  });
  const ready = /Activation to server ready: (\d+) ms/.exec(await h.outputText(page));
  assert.ok(ready, 'the log says how long the server took to be ready after activation');
  console.log(`[e2e] activation to server ready: ${ready[1]} ms`);
  await page.screenshot({ path: `${h.RESULTS_DIR}/smoke-server-log.png` });
});

wb.test('a new terminal gets MLFLOW_TRACKING_URI pointing at the workspace server', async ({ page }) => {
  await h.openTerminal(page);
  await h.typeInTerminal(page, 'echo "uri=[$MLFLOW_TRACKING_URI] token=${#MLFLOW_TRACKING_TOKEN}"');
  const m = await h.waitForTerminalText(page, /uri=\[(http:\/\/127\.0\.0\.1:\d+)\] token=(\d+)/);
  assert.ok(Number(m[2]) > 0, 'MLFLOW_TRACKING_TOKEN is set');
  // the server answers on that URI
  const res = await fetch(`${m[1]}/health`);
  assert.equal(res.status, 200);
});
