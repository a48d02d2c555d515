// Drives the in-extension-host suite (inhost/index.cjs) and reports each of its tests as a node:test subtest.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import * as h from './harness.mjs';

test('in-extension-host suite', { timeout: 300_000, skip: h.skipReason() }, async (t) => {
  const report = await h.runInHost({ testsPath: path.join(h.E2E_DIR, 'inhost', 'index.cjs'), name: 'inhost' });
  console.log(`[e2e] in-host: node ${report.node}, vscode ${report.vscode}, remoteName ${report.remoteName}`);
  assert.ok(report.results.length > 0, 'the in-host suite ran tests');
  let failed = false;
  for (const r of report.results) {
    await t.test(r.name, () => assert.ok(r.ok, r.error));
    failed ||= !r.ok;
  }
  if (failed) console.log(report.extHostLogTail().split('\n').map((l) => `  exthost| ${l}`).join('\n'));
});
