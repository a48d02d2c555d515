// `npm start`: opens the examples workspace with Runboard loaded from this checkout. Desktop VS Code in
// development mode where `code` is on the PATH; else code-server in the browser (its URL is printed).
// Integrated terminals get the pinned mlflow venv first on PATH, so `python train_manual.py` just works.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(root, 'examples');
const venvBin = path.join(root, '.venv', 'bin');
const env = { ...process.env, PATH: `${venvBin}${path.delimiter}${process.env.PATH}` };
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (onPath('code') && !process.env.RUNBOARD_USE_CODE_SERVER) {
  console.log('Opening the examples workspace in VS Code with Runboard in development mode...');
  spawn('code', ['--extensionDevelopmentPath', root, examples], { env, stdio: 'inherit', detached: true }).unref();
  console.log('In its terminal: python train_manual.py (then sweep_hyperopt.py, train_autolog.py) and watch the Runboard view.');
} else {
  const setup = spawnSync(process.execPath, [path.join(root, 'scripts', 'e2e-setup.mjs')], { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
  const { startCodeServer } = await import('../test/e2e/harness.mjs');
  const server = await startCodeServer({ workspace: examples, env, settings: { 'workbench.startupEditor': 'none' } });
  console.log(`\nRunboard in VS Code (code-server) is ready. Open this URL in a browser on this machine:\n\n  ${server.openUrl}\n`);
  console.log('In its terminal: python train_manual.py (then sweep_hyperopt.py, train_autolog.py) and watch the Runboard view.');
  console.log('Press Ctrl-C to stop.');
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
