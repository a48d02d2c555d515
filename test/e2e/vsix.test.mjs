// The packaged extension (`vsce package`), as a user installs it, on a host where better-sqlite3's compiled
// module does not load (here: removed from the package, as on any platform it was not built for, or in
// desktop VS Code's Electron). The local store must come up on a driver without an ABI (node:sqlite where the
// host's Node has it, else WebAssembly) and serve a real training script, its artifact and a registered model.
import assert from 'node:assert/strict';
import path from 'node:path';
import * as h from './harness.mjs';
import { packagedExtension } from './packaged.mjs';

const PYTHON = path.join(h.REPO_ROOT, '.venv', 'bin', 'python');
const REGISTER = path.join(h.E2E_DIR, 'fixtures', 'register_manual_run.py');
let extension = '';

const wb = h.useWorkbench({
  name: 'vsix',
  get extensionDevelopmentPath() {
    return extension;
  },
  prepare: () => void (extension = packagedExtension({ remove: ['node_modules/better-sqlite3/build'] })),
  settings: { 'runboard.python': PYTHON },
});

wb.test('the packaged extension serves its store without better-sqlite3 and says which driver runs and why', async ({ page, server }) => {
  await h.openViewContainer(page, 'Runboard');
  await h.treeItem(page, 'Default', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.runCommand(page, 'Runboard: Show Server Log');
  await h.waitForOutputChannel(page, 'Runboard');
  // The channel's own log file: the Output panel wraps this long line.
  let line;
  await h.expectPoll(async () => (line = /SQLite driver: (.*)/.exec(server.channelLog())?.[1]), {
    timeout: 30000, what: 'the "SQLite driver: ..." line in the Runboard log', detail: () => server.channelLog(),
  });
  console.log(`[e2e] SQLite driver: ${line}`);
  // node:sqlite where the extension host's Node has it (VS Code 1.139 on Node 24), else WebAssembly (1.100 on
  // Node 20); better-sqlite3 never, its module is gone, and the reason is named.
  assert.match(line, /^(node:sqlite|wasm; passed over node:sqlite: not in this runtime \(Node [\d.]+\); better-sqlite3: no compiled module for this platform in the package)/);
  await page.screenshot({ path: `${h.RESULTS_DIR}/vsix-driver-log.png` });
});

wb.test('a training script in the terminal logs a run with an artifact and registers a model', async ({ page }) => {
  await h.openTerminal(page);
  await h.typeInTerminal(page, `"${PYTHON}" train_manual.py && "${PYTHON}" "${REGISTER}"`);
  await h.waitForTerminalText(page, /E2E-REGISTERED/, { timeout: 180000 });
  await h.runCommand(page, 'Runboard: Refresh');
  const experiment = h.treeItem(page, 'examples', { view: 'Experiments' });
  await experiment.waitFor({ state: 'visible', timeout: 60000 });
  await experiment.click();
  await h.treeItem(page, 'manual-logging', { view: 'Experiments' }).waitFor({ state: 'visible', timeout: 60000 });
  await h.expandView(page, 'Models');
  await h.treeItem(page, 'lang-e2e-model', { view: 'Models' }).waitFor({ state: 'visible', timeout: 60000 });
  await page.screenshot({ path: `${h.RESULTS_DIR}/vsix-views.png` });
});
