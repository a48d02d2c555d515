// Bundles the extension host entry, the CLI, the Python language server and the webview panels into dist/.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'info',
  // Native module: loaded from node_modules at run time, never bundled.
  external: ['vscode', 'better-sqlite3'],
};

const builds = [
  { ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: { 'server-worker': 'src/server/worker.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { 'gate-worker': 'src/server/gate-worker.ts' }, outdir: 'dist' },
  // Its own process (vscode-languageclient starts it over node IPC); its wasm files and query are copied beside it.
  // web-tree-sitter's ES module build reads import.meta.url, which a CommonJS bundle must provide.
  {
    ...common,
    entryPoints: { 'language-server': 'src/language/main.ts' },
    outdir: 'dist',
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  },
  // The panels' browser code: one entry routes to the panel's app. chart.js, its zoom plugin and VS Code
  // Elements are bundled in (the webview loads nothing from the network); CSS goes to dist/webview/main.css.
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome120'],
    entryPoints: { main: 'src/webview/main.ts' },
    outdir: 'dist/webview',
    tsconfig: 'src/webview/tsconfig.json',
    sourcemap: true,
    minify: production || !watch,
    legalComments: 'linked',
    logLevel: 'info',
    define: { 'process.env.NODE_ENV': '"production"' },
  },
];

/** The codicon font and stylesheet, served to the webviews from dist/webview (localResourceRoots). */
function copyCodicons() {
  const require = createRequire(import.meta.url);
  const css = require.resolve('@vscode/codicons/dist/codicon.css');
  mkdirSync('dist/webview', { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) copyFileSync(join(dirname(css), file), join('dist/webview', file));
}
copyCodicons();

/**
 * The language server's parser: web-tree-sitter's runtime, the Python grammar (same ABI: tree-sitter-python
 * 0.25 with web-tree-sitter 0.25) and the query, found beside dist/language-server.js at run time.
 */
function copyParserFiles() {
  const require = createRequire(import.meta.url);
  mkdirSync('dist', { recursive: true });
  copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), 'dist/tree-sitter.wasm');
  copyFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm'), 'dist/tree-sitter-python.wasm');
  copyFileSync('src/language/python-mlflow.scm', 'dist/python-mlflow.scm');
}
copyParserFiles();

/**
 * The WebAssembly SQLite driver's module: node-sqlite3-wasm is bundled into the server worker and the CLI,
 * and loads its .wasm from the bundle's own folder (its __dirname), so it goes beside them in dist/.
 */
function copySqliteWasm() {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('node-sqlite3-wasm');
  copyFileSync(join(dirname(entry), 'node-sqlite3-wasm.wasm'), 'dist/node-sqlite3-wasm.wasm');
}
copySqliteWasm();

if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
