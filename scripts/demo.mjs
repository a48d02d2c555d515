// `npm start`: serves a Runboard store for the examples workspace and runs its training scripts into it
// with the real mlflow client, then keeps serving so you can point any MLflow tool at it.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const examples = join(root, 'examples');
execFileSync(process.execPath, [join(root, 'scripts/python-env.mjs')], { stdio: 'inherit' });

const token = randomBytes(16).toString('hex');
const server = spawn(process.execPath, [join(root, 'dist/cli.js'), 'serve', '--store', join(examples, '.runboard'), '--port', '0', '--token', token], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`runboard serve exited with ${code}`)));
  createInterface({ input: server.stdout }).on('line', (line) => {
    const match = /listening on (\S+)/.exec(line);
    if (match) resolve(match[1]);
  });
});

const env = { ...process.env, MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: token, MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR: 'false', MLFLOW_DISABLE_TELEMETRY: 'true' };
for (const script of ['train_manual.py', 'sweep_hyperopt.py', 'train_autolog.py']) {
  console.log(`\n== python ${script}`);
  execFileSync(join(root, '.venv/bin/python'), [script], { cwd: examples, env, stdio: 'inherit' });
}
console.log(`\nRunboard is serving the examples store at ${url}. In another terminal:\n`);
console.log(`  export MLFLOW_TRACKING_URI=${url} MLFLOW_TRACKING_TOKEN=${token}`);
console.log(`  .venv/bin/python -c "import mlflow; print(mlflow.search_runs(search_all_experiments=True)[['run_id','status','tags.mlflow.runName']])"`);
console.log('\nPress Ctrl-C to stop.');
process.on('SIGINT', () => server.kill('SIGINT'));
server.on('exit', () => process.exit(0));
