// A host where no SQLite driver works: VS Code 1.100's Node 20 has no node:sqlite, and the package is left
// without better-sqlite3's compiled module and without the WebAssembly SQLite. The local store cannot run, and
// Runboard must say so with what does work instead (an MLflow server, MLflow's own server on an mlflow.db),
// not a dead end. Only meaningful where the extension host lacks node:sqlite: test:e2e runs it on 1.100.
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import { packagedExtension } from './packaged.mjs';

let extension = '';
const wb = h.useWorkbench({
  name: 'no-sqlite',
  get extensionDevelopmentPath() {
    return extension;
  },
  prepare: () => void (extension = packagedExtension({ remove: ['node_modules/better-sqlite3/build', 'dist/node-sqlite3-wasm.wasm'] })),
});

wb.test('the error names why each driver failed and offers an MLflow server or store; the view says the same', async ({ page, server }) => {
  await h.openViewContainer(page, 'Runboard');
  const toast = h.notification(page, 'The local store cannot run in this VS Code');
  await toast.waitFor({ state: 'visible', timeout: 60000 });
  const text = await toast.innerText();
  assert.match(server.channelLog(), /No SQLite driver works in this runtime: node:sqlite: not in this runtime \(Node 20\.[\d.]+\); better-sqlite3: no compiled module for this platform in the package; wasm: /);
  for (const action of ['Connect to MLflow Server...', 'Open MLflow Store...']) {
    assert.ok(await toast.getByRole('button', { name: action }).isVisible(), `the notification offers ${action}: ${text}`);
  }
  const welcome = h.viewPane(page, 'Experiments');
  await welcome.getByText('No SQLite driver works in this VS Code').waitFor({ state: 'visible', timeout: 30000 });
  await page.screenshot({ path: `${h.RESULTS_DIR}/no-sqlite.png` });
  // The offer leads somewhere: Connect asks for the server's URL.
  await toast.getByRole('button', { name: 'Connect to MLflow Server...' }).click();
  await page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 15000 });
  await page.keyboard.press('Escape');
});
