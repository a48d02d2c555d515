// The extension as VS Code installs it: `vsce package` of this checkout (dist/ as test:e2e built it), unzipped
// into a tmp folder the harness then loads, with some of its files removed to stand for hosts where they cannot
// load (better-sqlite3's compiled module on another platform or ABI, ...).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as h from './harness.mjs';

const VSCE = path.join(h.E2E_DIR, 'node_modules', '.bin', 'vsce');

/** Packages, unzips, removes `remove` (paths inside the extension) and returns the extension's folder. */
export function packagedExtension({ remove = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-vsix-'));
  const vsix = path.join(dir, 'runboard.vsix');
  execFileSync(VSCE, ['package', '--out', vsix], { cwd: h.REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync('unzip', ['-q', vsix, 'extension/*', '-d', dir]);
  const files = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).split('\n').filter(Boolean);
  console.log(`[e2e] runboard.vsix: ${(fs.statSync(vsix).size / 2 ** 20).toFixed(2)} MB, ${files.length} files`);
  assert.ok(files.includes('extension/dist/node-sqlite3-wasm.wasm'), 'the WebAssembly SQLite ships in the package');
  assert.ok(!files.some((f) => f.endsWith('.map') || f.startsWith('extension/src/') || f.startsWith('extension/.debugpy/')), 'no sources, maps or test tools');
  const extension = path.join(dir, 'extension');
  for (const file of remove) {
    const target = path.join(extension, file);
    assert.ok(fs.existsSync(target), `${file} is in the package`);
    fs.rmSync(target, { recursive: true, force: true });
  }
  return extension;
}
