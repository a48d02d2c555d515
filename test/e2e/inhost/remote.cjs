// In-host tests of the remote backend (issue "Team scale"): Connect to MLflow Server... against a real
// `runboard serve` child process with a token, the prompts answered by stubs; live changes through polling;
// the server lost and back; Use Local Store. Run after commands.cjs (they end on the local store).
'use strict';
/* global require, module, process, URL, fetch */
/* eslint-disable @typescript-eslint/no-require-imports */
const vscode = require('vscode');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const EXTENSION_ID = 'runboard.runboard';
const TOKEN = 'inhost-remote-token-0123456789';
const { poll, sleep } = require('./poll.cjs');

async function api() {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  const exports = await extension.activate();
  await exports.started;
  return { runboard: exports.runboard, extension };
}

/** `runboard serve` on a store of its own: the "team server" of these tests. Restartable on the same port. */
const remote = {
  proc: undefined,
  store: fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-inhost-remote-')),
  port: 0,
  url: '',
  async start(extensionPath) {
    const cli = path.join(extensionPath, 'dist', 'cli.js');
    const proc = spawn(process.execPath, [cli, 'serve', '--store', this.store, '--port', String(this.port), '--token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let out = '';
    this.url = await new Promise((resolve, reject) => {
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
        if (m) resolve(m[1]);
      });
      proc.on('exit', (code) => reject(new Error(`runboard serve exited (${code}): ${out}`)));
    });
    this.port = Number(new URL(this.url).port);
  },
  async stop() {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  },
  async call(route, body) {
    const response = await fetch(`${this.url}/api/2.0/mlflow/${route}`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok(response.ok, `${route}: ${response.status} ${await response.clone().text()}`);
    return response.json();
  },
};

/** Stubs the prompts: input boxes and quick picks answered in order, error messages answered by `onError`. */
async function prompting(answers, onError, fn) {
  const window = vscode.window;
  const saved = { showInputBox: window.showInputBox, showQuickPick: window.showQuickPick, showErrorMessage: window.showErrorMessage, showInformationMessage: window.showInformationMessage };
  const queue = [...answers];
  const said = [];
  window.showInputBox = async (options) => {
    const answer = queue.shift();
    assert.equal(typeof answer, 'string', `unexpected input box: ${options?.title} ${options?.prompt}`);
    const problem = options?.validateInput ? await options.validateInput(answer) : undefined;
    assert.ok(!problem, `refused "${answer}": ${problem}`);
    said.push(`input: ${options.prompt} [${options.value ?? ''}]`);
    return answer;
  };
  window.showQuickPick = async (items) => {
    const answer = queue.shift();
    const list = await items;
    const found = list.find((item) => item.label.includes(answer?.pick));
    assert.ok(found, `no quick pick item ${JSON.stringify(answer)}`);
    said.push(`pick: ${found.label}`);
    return found;
  };
  window.showErrorMessage = async (message, ...buttons) => {
    said.push(`error: ${message}`);
    return onError(message, buttons);
  };
  window.showInformationMessage = async (message) => {
    said.push(`info: ${message}`);
    return undefined;
  };
  try {
    await fn();
  } finally {
    Object.assign(window, saved);
  }
  assert.deepEqual(queue, [], `unused answers; said: ${said.join(' | ')}`);
  return said;
}

function environmentOf(runboard) {
  const variables = {};
  runboard.context.environmentVariableCollection.forEach((name, mutator) => (variables[name] = mutator.value));
  return variables;
}

const tests = {
  async 'Connect to MLflow Server: a wrong token is refused with what to do; edited, Runboard uses the remote'() {
    const { runboard, extension } = await api();
    await remote.start(extension.extensionPath);
    await remote.call('experiments/create', { name: 'only-on-the-team-server' });
    let errors = 0;
    const said = await prompting(
      [remote.url, { pick: 'Bearer token' }, 'not-the-token', remote.url, { pick: 'Bearer token' }, TOKEN],
      (message, buttons) => {
        errors++;
        assert.match(message, /could not connect to 127\.0\.0\.1:\d+\. .*refused the token \(401\)\. Edit the connection/);
        assert.deepEqual(buttons, ['Retry', 'Edit Connection']);
        return 'Edit Connection';
      },
      () => vscode.commands.executeCommand('runboard.connectServer'),
    );
    assert.equal(errors, 1);
    assert.ok(said.some((line) => line.startsWith('info: Runboard: connected to the MLflow server at')), said.join(' | '));
    assert.ok(said.includes(`input: URL of the MLflow tracking server (what MLFLOW_TRACKING_URI would be) [${remote.url}]`), 'Edit Connection prefills the URL');
    assert.equal(runboard.remote?.url, remote.url);
    assert.equal(runboard.client.baseUrl, remote.url);
    assert.equal(runboard.host.state.kind, 'stopped', 'no local server while remote');
    assert.deepEqual(environmentOf(runboard), { MLFLOW_TRACKING_URI: remote.url, MLFLOW_TRACKING_TOKEN: TOKEN });
    assert.deepEqual(runboard.backend.environment, { MLFLOW_TRACKING_URI: remote.url, MLFLOW_TRACKING_TOKEN: TOKEN });
    assert.equal(runboard.context.workspaceState.get('runboard.backend').url, remote.url);
    assert.ok(!JSON.stringify(runboard.context.workspaceState.get('runboard.backend')).includes(TOKEN), 'no secret in workspace state');
    const names = await poll(async () => {
      const rows = await runboard.trees.experiments.getChildren();
      const labels = rows.map((row) => row.experiment?.name);
      return labels.includes('only-on-the-team-server') && labels;
    }, 'the remote experiment in the tree');
    assert.ok(names.includes('only-on-the-team-server'));
    await poll(() => runboard.remote.status.kind === 'connected', 'the remote status connected');
  },

  async 'a run started elsewhere on the remote reaches the views within seconds (polling)'() {
    const { runboard } = await api();
    const experiment = (await runboard.client.getExperimentByName('only-on-the-team-server')).experiment_id;
    await runboard.remote.pollNow(); // the baseline
    const events = [];
    const subscription = runboard.onDidChangeData((change) => events.push(change));
    try {
      const t0 = Date.now();
      const { run } = await remote.call('runs/create', { experiment_id: experiment, run_name: 'trained-elsewhere', start_time: Date.now() });
      await poll(() => events.length > 0, 'a change event from polling', 15000);
      assert.ok(events.some((e) => e.kind === 'all' || (e.kind === 'run' && e.id === run.info.run_id)), JSON.stringify(events));
      runboard.log.info(`in-host: a run created elsewhere was reported after ${Date.now() - t0} ms`);
    } finally {
      subscription.dispose();
    }
  },

  async 'the remote going away: the views keep their rows and say they are stale; back, everything refreshes'() {
    const { runboard, extension } = await api();
    const tree = runboard.trees.experiments;
    const before = (await tree.getChildren()).map((row) => row.experiment?.name);
    await remote.stop();
    runboard.refresh();
    await poll(() => runboard.remote.status.kind === 'unreachable', 'the status unreachable');
    assert.match(tree.view.message, /^Stale: cannot reach 127\.0\.0\.1:\d+ since .*Showing what was loaded before/);
    assert.match(runboard.trees.models.view.message, /^Stale:/);
    assert.match(runboard.backend.stale, /^Stale:/);
    await sleep(800); // the refresh's reload has run (debounce 400 ms) and failed
    assert.deepEqual((await tree.getChildren()).map((row) => row.experiment?.name), before, 'the rows shown before stay, no error row');

    await remote.start(extension.extensionPath); // same port, same store
    await poll(() => runboard.remote.status.kind === 'connected', 'connected again', 40000);
    assert.equal(tree.view.message, undefined);
    assert.equal(runboard.backend.stale, undefined);
  },

  async 'a view whose load failed retries on its own: the error row goes away with no refresh'() {
    const { runboard } = await api();
    await remote.call('registered-models/create', { name: 'flaky-registry-model' });
    // A proxy in front of the remote that fails the Models view's load (not the poller's) while `failing`.
    let failing = true;
    let failed = 0;
    const target = new URL(remote.url);
    const proxy = http.createServer((req, res) => {
      if (failing && /registered-models\/search/.test(req.url) && /max_results=500/.test(req.url)) {
        failed++;
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'database is locked (injected by the test)' }));
        return;
      }
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${proxy.address().port}`;
    const connect = (url) => prompting([url, { pick: 'Bearer token' }, TOKEN], (message) => assert.fail(message), () => vscode.commands.executeCommand('runboard.connectServer'));
    try {
      await connect(proxyUrl);
      const models = runboard.trees.models;
      const rows = await models.getChildren();
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.match(rows[0].text, /^Could not load models: database is locked/);
      await sleep(1500); // the refresh that follows a switch (debounced 400 ms) has run, and failed too
      assert.ok(failed >= 2, `the proxy failed ${failed} loads`);
      let repaints = 0;
      const subscription = models.onDidChangeTreeData(() => repaints++);
      try {
        failing = false;
        // Nobody refreshes: the tree asks VS Code to repaint by itself once its retry is due (5 s).
        await poll(() => repaints > 0, 'the Models view retrying on its own', 15000);
      } finally {
        subscription.dispose();
      }
      const names = (await models.getChildren()).map((row) => row.model?.name ?? row.text);
      assert.deepEqual(names, ['flaky-registry-model']);
    } finally {
      await connect(remote.url);
      proxy.closeAllConnections();
      proxy.close();
    }
  },

  async 'Use Local Store: the local server again, and its URL and token in terminals'() {
    const { runboard } = await api();
    await vscode.commands.executeCommand('runboard.useLocalStore');
    await poll(() => runboard.host.state.kind === 'ready', 'the local server ready', 30000);
    assert.equal(runboard.remote, undefined);
    assert.notEqual(runboard.client.baseUrl, remote.url);
    const environment = environmentOf(runboard);
    assert.equal(environment.MLFLOW_TRACKING_URI, runboard.host.state.url);
    assert.equal(environment.MLFLOW_TRACKING_TOKEN, runboard.host.state.token);
    assert.equal(runboard.context.workspaceState.get('runboard.backend').kind, 'local');
    const names = (await runboard.trees.experiments.getChildren()).map((row) => row.experiment?.name);
    assert.ok(!names.includes('only-on-the-team-server'), names.join(', '));
    await remote.stop();
    fs.rmSync(remote.store, { recursive: true, force: true });
  },
};

module.exports = { tests };
