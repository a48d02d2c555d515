// Bundles the extension host entry, the CLI and the webview panels into dist/ (language server later).
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

if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
