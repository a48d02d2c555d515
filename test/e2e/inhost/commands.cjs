// In-host tests of the commands: each runs the real command on real tree rows against the real tracking
// server, with the window's prompts answered by stubs (the extension and this file share one `vscode` API
// object, so replacing showInputBox & co. answers the command's questions).
'use strict';
/* global require, module, setTimeout */
/* eslint-disable @typescript-eslint/no-require-imports */
const vscode = require('vscode');
const assert = require('node:assert/strict');

const EXTENSION_ID = 'runboard.runboard';

async function api() {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  const exports = await extension.activate();
  await exports.started;
  const client = exports.runboard.client;
  assert.ok(client, 'the tracking server is ready');
  return { runboard: exports.runboard, client, trees: exports.runboard.trees };
}

/**
 * Answers the next prompts in order: strings for input boxes, { pick } for quick picks (matched on the
 * label), and warnings/confirmations are accepted with their first button.
 */
async function answering(answers, fn) {
  const window = vscode.window;
  const saved = { showInputBox: window.showInputBox, showQuickPick: window.showQuickPick, showWarningMessage: window.showWarningMessage, showInformationMessage: window.showInformationMessage };
  const queue = [...answers];
  const asked = [];
  // A failed expectation inside a stub would be swallowed by the command's error handler: keep it.
  let stubFailure;
  const guard = (stub) => async (...args) => {
    try {
      return await stub(...args);
    } catch (error) {
      stubFailure ??= error;
      return undefined;
    }
  };
  window.showInputBox = guard(async (options) => {
    asked.push(`input: ${options?.title ?? options?.prompt}`);
    const answer = queue.shift();
    assert.equal(typeof answer, 'string', `an input box was not expected here: ${options?.title}`);
    const problem = options?.validateInput ? await options.validateInput(answer) : undefined;
    assert.ok(!problem, `the command refused "${answer}": ${JSON.stringify(problem)}`);
    return answer;
  });
  window.showQuickPick = guard(async (items, options) => {
    asked.push(`pick: ${options?.title ?? options?.placeHolder}`);
    const answer = queue.shift();
    assert.ok(answer && answer.pick !== undefined, `a quick pick was not expected here: ${options?.title}`);
    const list = await items;
    const found = list.find((item) => (typeof item === 'string' ? item : item.label).includes(answer.pick));
    assert.ok(found, `no item "${answer.pick}" in ${JSON.stringify(list.map((i) => (typeof i === 'string' ? i : i.label)))}`);
    return options?.canPickMany ? [found] : found;
  });
  window.showWarningMessage = async (message, ...rest) => {
    asked.push(`warning: ${message}`);
    const buttons = rest.filter((item) => typeof item === 'string' || (item && typeof item.title === 'string'));
    return buttons[0];
  };
  window.showInformationMessage = async (message) => {
    asked.push(`info: ${message}`);
    return undefined;
  };
  try {
    await fn();
  } finally {
    Object.assign(window, saved);
  }
  if (stubFailure) throw stubFailure;
  assert.deepEqual(queue, [], `unused answers; the command asked: ${asked.join(' | ')}`);
  return asked;
}

/** A row the tree shows, waiting for the server's change events to refresh it (a few hundred ms). */
async function findNode(tree, parent, predicate, what, timeout = 10000) {
  const started = Date.now();
  for (;;) {
    const node = (await tree.getChildren(parent)).find(predicate);
    if (node) return node;
    assert.ok(Date.now() - started < timeout, `${what} is in the tree within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const experimentNode = (trees, name) => findNode(trees.experiments, undefined, (n) => n.kind === 'experiment' && n.experiment.name === name, `experiment ${name}`);
const runNode = async (trees, experiment, runName) =>
  findNode(trees.experiments, await experimentNode(trees, experiment), (n) => n.kind === 'run' && n.run.info.run_name === runName, `run ${runName}`);

const tests = {
  async 'Create Experiment and Rename Experiment work on the server and in the tree'() {
    const { client, trees } = await api();
    await answering(['inhost-experiment'], () => vscode.commands.executeCommand('runboard.createExperiment'));
    assert.ok(await client.getExperimentByName('inhost-experiment'));
    const node = await experimentNode(trees, 'inhost-experiment');
    await answering(['inhost-renamed'], () => vscode.commands.executeCommand('runboard.renameExperiment', node));
    assert.equal(await client.getExperimentByName('inhost-experiment'), undefined);
    await experimentNode(trees, 'inhost-renamed');
  },

  async 'run commands: rename, tag, note, copy id and URI, delete and restore'() {
    const { client, trees } = await api();
    const experimentId = await client.createExperiment('inhost-runs');
    const { run } = await client.post('/mlflow/runs/create', { experiment_id: experimentId, run_name: 'before' });
    const runId = run.info.run_id;

    await answering(['after'], async () => vscode.commands.executeCommand('runboard.renameRun', await runNode(trees, 'inhost-runs', 'before')));
    assert.equal((await client.getRun(runId)).info.run_name, 'after');

    await answering(['team', 'vision'], async () => vscode.commands.executeCommand('runboard.addRunTag', await runNode(trees, 'inhost-runs', 'after')));
    await answering(['tried a smaller lr'], async () => vscode.commands.executeCommand('runboard.editRunNote', await runNode(trees, 'inhost-runs', 'after')));
    const tags = Object.fromEntries((await client.getRun(runId)).data.tags.map((t) => [t.key, t.value]));
    assert.equal(tags.team, 'vision');
    assert.equal(tags['mlflow.note.content'], 'tried a smaller lr');

    const node = await runNode(trees, 'inhost-runs', 'after');
    await vscode.commands.executeCommand('runboard.copyRunId', node);
    assert.equal(await vscode.env.clipboard.readText(), runId);
    await vscode.commands.executeCommand('runboard.copyRunUri', node);
    assert.match(await vscode.env.clipboard.readText(), new RegExp(`^runs:/${runId}`));

    await answering([], () => vscode.commands.executeCommand('runboard.deleteRun', node));
    assert.equal((await client.getRun(runId)).info.lifecycle_stage, 'deleted');
    await vscode.commands.executeCommand('runboard.restoreRun', node);
    assert.equal((await client.getRun(runId)).info.lifecycle_stage, 'active');
  },

  async 'model version commands: stage, copy URI, alias set and removed, delete'() {
    const { client, trees } = await api();
    const experimentId = await client.createExperiment('inhost-models');
    const { run } = await client.post('/mlflow/runs/create', { experiment_id: experimentId, run_name: 'trained' });
    await client.registerModelVersion('inhost-model', `runs:/${run.info.run_id}/model`, run.info.run_id);
    /** Version 1's row once the tree shows it in the expected state. */
    const versionNode = async (state = () => true) => {
      const model = await findNode(trees.models, undefined, (n) => n.kind === 'registeredModel' && n.model.name === 'inhost-model', 'model inhost-model');
      return findNode(trees.models, model, (n) => n.kind === 'modelVersion' && n.version.version === '1' && state(n), 'version 1');
    };
    const version = async () => (await client.searchModelVersions({ filter: "name = 'inhost-model'" })).items[0];

    await answering([{ pick: 'Staging' }, { pick: 'Only move version 1' }], async () => vscode.commands.executeCommand('runboard.transitionStage', await versionNode()));
    assert.equal((await version()).current_stage, 'Staging');

    const staged = await versionNode((n) => n.version.current_stage === 'Staging');
    await answering([{ pick: 'models:/inhost-model/Staging' }], () => vscode.commands.executeCommand('runboard.copyModelUri', staged));
    assert.equal(await vscode.env.clipboard.readText(), 'models:/inhost-model/Staging');

    await answering(['champion'], async () => vscode.commands.executeCommand('runboard.setAlias', staged));
    assert.deepEqual((await version()).aliases, ['champion']);
    const aliased = await versionNode((n) => n.aliases.includes('champion'));
    await answering([{ pick: 'champion' }], () => vscode.commands.executeCommand('runboard.removeAlias', aliased));
    assert.deepEqual((await version()).aliases ?? [], []);

    await answering([], async () => vscode.commands.executeCommand('runboard.deleteModelVersion', await versionNode()));
    assert.equal((await client.searchModelVersions({ filter: "name = 'inhost-model'" })).items.length, 0);
  },

  async 'Copy Tracking Environment puts export lines for this server on the clipboard'() {
    const { runboard } = await api();
    await vscode.commands.executeCommand('runboard.copyTrackingEnv');
    const text = await vscode.env.clipboard.readText();
    assert.match(text, /^export MLFLOW_TRACKING_URI=http:\/\/127\.0\.0\.1:\d+\nexport MLFLOW_TRACKING_TOKEN=\S+\n$/);
    assert.ok(text.includes(runboard.client.baseUrl));
  },

  async 'Restart Tracking Server comes back on the same URL'() {
    const { runboard } = await api();
    const before = runboard.client.baseUrl;
    await vscode.commands.executeCommand('runboard.restartServer');
    assert.equal(runboard.host.state.kind, 'ready');
    assert.equal(runboard.client.baseUrl, before);
    await runboard.client.searchExperiments();
  },
};

module.exports = { tests };
