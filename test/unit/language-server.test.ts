// The Python language server in process: its LSP connection over a stream pair, the custom requests
// answered by the extension's StoreAnswers through a real MlflowClient against a real Runboard server on a
// temporary store, fixture files opened as a client would open them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { createConnection, ProposedFeatures, type CodeLens, type CompletionItem, type Diagnostic, type Hover, type MarkupContent, type Position } from 'vscode-languageserver/node';
import { LanguageNotifications, LanguageRequests } from '../../src/api/language-protocol';
import { MlflowClient } from '../../src/client/mlflow-client';
import { StoreAnswers } from '../../src/extension/python/store-answers';
import { startServer as startLanguageServer } from '../../src/language/python-server';
import { startServer, type RunningServer } from '../../src/server/server';
import { TrackingStore } from '../../src/store/tracking-store';

const FIXTURES = resolve(__dirname, '..', 'fixtures', 'language');
const TOKEN = 'language-test-token';

let dir: string;
let store: TrackingStore;
let server: RunningServer;
let client: MlflowClient;
let answers: StoreAnswers;
let lsp: MessageConnection;
let backendReady = true;
const published = new Map<string, Diagnostic[][]>();
const versions = new Map<string, number>();
const ids: Record<string, string> = {};

function uriOf(name: string): string {
  return pathToFileURL(join(FIXTURES, name)).toString();
}

/** Opens a fixture (its text from disk, or `text`), as an editor would. */
async function open(name: string, text = readFileSync(join(FIXTURES, name), 'utf8')): Promise<string> {
  const uri = uriOf(name);
  const version = (versions.get(uri) ?? 0) + 1;
  versions.set(uri, version);
  if (version === 1) await lsp.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  else await lsp.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  return uri;
}

/** The position of `needle` in `name`'s text (its `occurrence`-th match), moved `delta` characters right. */
function position(text: string, needle: string, delta = 0, occurrence = 1): Position {
  let index = -1;
  for (let i = 0; i < occurrence; i++) index = text.indexOf(needle, index + 1);
  assert.ok(index >= 0, `fixture has ${needle}`);
  const before = text.slice(0, index + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}

async function hoverText(uri: string, at: Position): Promise<string | undefined> {
  const hover = await lsp.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: at });
  return hover ? (hover.contents as MarkupContent).value : undefined;
}

async function completion(uri: string, at: Position): Promise<CompletionItem[]> {
  const result = await lsp.sendRequest<CompletionItem[] | { items: CompletionItem[] }>('textDocument/completion', { textDocument: { uri }, position: at });
  return Array.isArray(result) ? result : result.items;
}

/** The next diagnostics published for `uri` after `since` earlier ones. */
async function diagnosticsOf(uri: string, since = 0): Promise<Diagnostic[]> {
  for (let waited = 0; waited < 20_000; waited += 50) {
    const list = published.get(uri) ?? [];
    if (list.length > since) return list[list.length - 1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no diagnostics published for ${uri}`);
}

function messageOf(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}

/** Opens (or reopens) a fixture from disk and waits for the diagnostics published for that version. */
async function openForDiagnostics(name: string): Promise<{ text: string; uri: string; diagnostics: Diagnostic[] }> {
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  const since = published.get(uriOf(name))?.length ?? 0;
  const uri = await open(name, text);
  return { text, uri, diagnostics: await diagnosticsOf(uri, since) };
}

async function lensesOf(uri: string): Promise<CodeLens[]> {
  return lsp.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runboard-language-'));
  store = TrackingStore.open(dir);
  server = await startServer({ store, artifactRoot: join(dir, 'artifacts'), port: 0, token: TOKEN });
  client = new MlflowClient({ baseUrl: server.url, credentials: { kind: 'bearer', token: TOKEN } });

  // history.py's runs: three top-level runs, the newest a sweep with two trials; a run of another script.
  const experimentId = await client.createExperiment('lang-exp');
  const source = (script: string) => [{ key: 'mlflow.source.name', value: script }];
  const run = (name: string, start: number, metrics: Record<string, number>, params: Record<string, string>, tags = source('history.py')) => {
    const created = store.createRun({ experiment_id: experimentId, run_name: name, start_time: start, tags });
    store.logBatch(created.info.run_id, {
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: start, step: 0 })),
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
    });
    store.updateRun(created.info.run_id, { status: 'FINISHED', end_time: start + 1000 });
    return created.info.run_id;
  };
  ids.first = run('first', 1000, { accuracy: 0.91, loss: 0.4 }, { lr: '0.1', epochs: '10' });
  ids.best = run('best', 2000, { accuracy: 0.97, loss: 0.2 }, { lr: '0.05', epochs: '10' });
  ids.sweep = run('sweep', 3000, { accuracy: 0.95, loss: 0.3 }, { lr: '0.2' });
  for (const [i, name] of ['trial-1', 'trial-2'].entries()) run(name, 3100 + i, { accuracy: 0.5 }, { lr: '0.3' }, [...source('history.py'), { key: 'mlflow.parentRunId', value: ids.sweep }]);
  run('other-script', 4000, { f1: 0.5 }, { depth: '3' }, source('other.py'));

  // A registered model: version 1 (alias champion) and version 2 (Production).
  await client.registerModelVersion('iris-classifier', `runs:/${ids.first}/model`, ids.first);
  await client.registerModelVersion('iris-classifier', `runs:/${ids.best}/model`, ids.best);
  await client.transitionStage('iris-classifier', '2', 'Production');
  await client.setAlias('iris-classifier', 'champion', '1');

  answers = new StoreAnswers(
    () => (backendReady ? client : undefined),
    (uri) => (uri.startsWith('file:') ? { fsPath: fileURLToPath(uri), folders: [FIXTURES] } : undefined),
  );

  // The server on one end of a stream pair, a JSON-RPC connection playing the extension host on the other.
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  startLanguageServer(createConnection(ProposedFeatures.all, toServer, toClient));
  lsp = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  lsp.onRequest(LanguageRequests.scriptRuns, (p: { uri: string }) => answers.scriptRuns(p.uri));
  lsp.onRequest(LanguageRequests.run, (p: { runId: string }) => answers.run(p.runId));
  lsp.onRequest(LanguageRequests.model, (p: { name: string }) => answers.model(p.name));
  lsp.onRequest(LanguageRequests.experiment, (p: { name: string }) => answers.experiment(p.name));
  lsp.onRequest(LanguageRequests.experimentNames, () => answers.experimentNames());
  lsp.onRequest(LanguageRequests.modelNames, () => answers.modelNames());
  lsp.onRequest(LanguageRequests.keys, (p: { experimentName?: string }) => answers.keys(p.experimentName));
  lsp.onRequest('workspace/codeLens/refresh', () => null);
  lsp.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
    published.set(p.uri, [...(published.get(p.uri) ?? []), p.diagnostics]);
  });
  lsp.listen();
  const init = await lsp.sendRequest<{ capabilities: Record<string, unknown> }>('initialize', {
    processId: null,
    rootUri: pathToFileURL(FIXTURES).toString(),
    capabilities: { workspace: { codeLens: { refreshSupport: true } } },
  });
  assert.ok(init.capabilities.hoverProvider && init.capabilities.completionProvider && init.capabilities.codeLensProvider);
  await lsp.sendNotification('initialized', {});
});

after(async () => {
  // The server's streams stay open: vscode-languageserver ends the process when its input ends.
  lsp.dispose();
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lenses', () => {
  test("a script's run history, last run, charts and sweep, with the launcher lenses", async () => {
    const uri = await open('history.py');
    const lenses = await lensesOf(uri);
    const titles = lenses.map((l) => l.command?.title);
    assert.deepEqual(titles, [
      '$(play) Run with Runboard',
      '$(debug-alt) Debug with Runboard',
      '$(history) 3 runs · best accuracy 0.97',
      '$(pulse) Last run: sweep · finished · accuracy 0.95 · loss 0.3',
      '$(graph-line) Charts',
      '$(list-tree) Sweep (2 trials)',
    ]);
    // All on the line of the first start_run (inside the __main__ block).
    const text = readFileSync(join(FIXTURES, 'history.py'), 'utf8');
    assert.ok(lenses.every((l) => l.range.start.line === position(text, 'with mlflow.start_run').line));
    const [run, debug, history, last, charts, sweep] = lenses;
    assert.deepEqual(run!.command!.arguments, [{ uri }]);
    assert.equal(run!.command!.command, 'runboard.runScript');
    assert.equal(debug!.command!.command, 'runboard.debugScript');
    assert.equal(history!.command!.command, 'runboard.compareRuns');
    assert.deepEqual(history!.command!.arguments, [{ runIds: [ids.sweep, ids.best, ids.first] }]);
    assert.deepEqual(last!.command!.arguments, [{ runId: ids.sweep }]);
    assert.deepEqual(charts!.command!.arguments, [{ runIds: [ids.sweep] }]);
    assert.deepEqual(sweep!.command!.arguments, [{ runId: ids.sweep }]);
  });

  test('a script without runs says so; a runnable file without mlflow gets only the launcher; a module none', async () => {
    const keys = await lensesOf(await open('keys.py'));
    assert.deepEqual(keys.map((l) => l.command?.title).slice(2), ['Runboard: no runs of this script yet']);
    const plain = await lensesOf(await open('plain.py'));
    assert.deepEqual(plain.map((l) => l.command?.command), ['runboard.runScript', 'runboard.debugScript']);
    const text = readFileSync(join(FIXTURES, 'plain.py'), 'utf8');
    assert.equal(plain[0]!.range.start.line, position(text, 'if __name__').line);
    assert.deepEqual(await lensesOf(await open('library.py')), []);
  });

  test('the anchor follows the names mlflow was imported under: autolog through an alias, start_run imported by name', async () => {
    const autolog = 'import numpy\nimport mlflow as mf\n\nmf.sklearn.autolog()\nnumpy.zeros(3)\n';
    const autologLenses = await lensesOf(await open('history.py', autolog));
    assert.ok(autologLenses.length > 2 && autologLenses.every((l) => l.range.start.line === 3));
    const imported = 'from mlflow import start_run\n\nprint("setup")\nwith start_run():\n    pass\n';
    const importedLenses = await lensesOf(await open('history.py', imported));
    assert.ok(importedLenses.length > 2 && importedLenses.every((l) => l.range.start.line === 3));
    // Another module's start_run is not mlflow's: the lenses stay on the import.
    const other = 'import mlflow\nimport wandb\n\nwith wandb.start_run():\n    pass\n';
    assert.ok((await lensesOf(await open('history.py', other))).every((l) => l.range.start.line === 0));
    await open('history.py');
  });

  test('while no backend is ready the history lenses are left out, not shown as empty', async () => {
    backendReady = false;
    answers.clear();
    try {
      const lenses = await lensesOf(await open('history.py'));
      assert.deepEqual(lenses.map((l) => l.command?.command), ['runboard.runScript', 'runboard.debugScript']);
    } finally {
      backendReady = true;
      answers.clear();
    }
  });
});

describe('hover', () => {
  let uri: string;
  let text: string;
  before(async () => {
    text = readFileSync(join(FIXTURES, 'models.py'), 'utf8').replace('RUN_URI', `runs:/${ids.best}/model`);
    uri = await open('models.py', text);
  });

  test('models:/ by version, stage, alias and latest resolve to the version with its stage, aliases and run', async () => {
    const byVersion = await hoverText(uri, position(text, 'models:/iris-classifier/2', 10));
    assert.match(byVersion!, /`iris-classifier` version 2 · stage Production/);
    assert.ok(byVersion!.includes(`Source run \`${ids.best}\``));
    assert.match((await hoverText(uri, position(text, 'models:/iris-classifier/Production', 30)))!, /version 2 · stage Production/);
    const byAlias = await hoverText(uri, position(text, 'models:/iris-classifier@champion', 3));
    assert.match(byAlias!, /version 1 · @champion/);
    assert.ok(byAlias!.includes(ids.first!));
    assert.match((await hoverText(uri, position(text, 'models:/iris-classifier/latest', 5)))!, /version 2/);
  });

  test('models:/ targets that do not exist say so', async () => {
    assert.match((await hoverText(uri, position(text, 'models:/no-such-model/1', 2)))!, /Registered model 'no-such-model' does not exist/);
    assert.match((await hoverText(uri, position(text, 'models:/iris-classifier/9', 2)))!, /has no version 9 \(it has 2, 1\)/);
    assert.match((await hoverText(uri, position(text, 'models:/iris-classifier@nobody', 2)))!, /has no alias @nobody \(it has @champion\)/);
    assert.equal(await hoverText(uri, position(text, 'models:/m-0123', 2)), undefined);
  });

  test('runs:/ shows the run, its experiment and metrics; a missing run says so', async () => {
    const run = await hoverText(uri, position(text, 'runs:/', 8));
    assert.match(run!, /\*\*Run best\*\* · finished/);
    assert.match(run!, /Experiment `lang-exp`/);
    assert.match(run!, /`accuracy`: 0\.97/);
    assert.match(run!, /Artifact path `model`/);
    assert.match((await hoverText(uri, position(text, 'runs:/0123', 8)))!, /does not exist on this server/);
  });

  test('an experiment name in set_experiment shows its id, run count and last run', async () => {
    const history = readFileSync(join(FIXTURES, 'history.py'), 'utf8');
    const experiment = await hoverText(await open('history.py'), position(history, '"lang-exp"', 3));
    assert.match(experiment!, /\*\*Experiment `lang-exp`\*\* · id \d+ · 6 runs/);
    assert.match(experiment!, /Last run other-script · finished/);
    // Plain strings are not hovered.
    assert.equal(await hoverText(uri, position(text, 'import mlflow', 2)), undefined);
  });
});

describe('completion', () => {
  let uri: string;
  let text: string;
  before(async () => {
    text = readFileSync(join(FIXTURES, 'complete.py'), 'utf8');
    uri = await open('complete.py', text);
  });
  const labels = (items: CompletionItem[]) => items.map((i) => i.label);

  test('inside models:/ : model names, then versions and stages, then aliases', async () => {
    assert.deepEqual(labels(await completion(uri, position(text, '"models:/"', 9))), ['iris-classifier']);
    const versions = await completion(uri, position(text, 'models:/iris-classifier/"', 24));
    assert.deepEqual(labels(versions), ['2', '1', 'Production', 'latest']);
    assert.equal(versions[0]!.detail, 'version 2 · stage Production');
    const aliases = await completion(uri, position(text, 'models:/iris-classifier@"', 24));
    assert.deepEqual(labels(aliases), ['champion']);
    assert.equal(aliases[0]!.detail, 'version 1');
  });

  test('experiment names in set_experiment, metric and param keys already used in that experiment', async () => {
    const experiments = await completion(uri, position(text, '"lang-"', 6));
    assert.deepEqual(labels(experiments).sort(), ['Default', 'lang-exp']);
    // The whole string is replaced by the chosen name.
    assert.deepEqual(experiments[0]!.textEdit && 'range' in experiments[0]!.textEdit ? experiments[0]!.textEdit.range : undefined, {
      start: position(text, 'lang-"'),
      end: position(text, 'lang-"', 5),
    });
    // By use: every run of lang-exp has accuracy, three have loss, one (another script's) f1.
    assert.deepEqual(labels(await completion(uri, position(text, '"acc"', 4))), ['accuracy', 'loss', 'f1']);
    assert.deepEqual(labels(await completion(uri, position(text, '"e", 5', 2))), ['lr', 'epochs', 'depth']);
    assert.deepEqual(labels(await completion(uri, position(text, '{"": 1}', 2))), ['lr', 'epochs', 'depth']);
    // Outside of any string: nothing.
    assert.deepEqual(await completion(uri, position(text, 'import mlflow', 3)), []);
  });
});

describe('diagnostics', () => {
  test('keys MLflow rejects, and a param logged twice in one run with another value', async () => {
    const { text, diagnostics } = await openForDiagnostics('keys.py');
    const summary = diagnostics.map((d) => ({ line: d.range.start.line, character: d.range.start.character, severity: d.severity, code: d.code }));
    const at = (needle: string, occurrence = 1) => position(text, needle, 1, occurrence);
    assert.deepEqual(summary, [
      { ...at('"lr", 0.2'), severity: 2, code: 'param-changed' },
      { ...at('"optimizer", value'), severity: 2, code: 'param-changed' },
      { ...at('"bad key!"'), severity: 1, code: 'invalid-key' },
      { ...at('"../escape"'), severity: 1, code: 'invalid-key' },
      { ...at('"a//b"'), severity: 1, code: 'invalid-key' },
      { ...at('"tab\\there"'), severity: 1, code: 'invalid-key' },
      { ...at('"aaaa'), severity: 1, code: 'invalid-key' },
    ]);
    assert.match(messageOf(diagnostics[0]!), /Param 'lr' is logged again in the same run with another value \('0\.2' after '0\.1'\): MLflow rejects the second value \(INVALID_PARAMETER_VALUE\)/);
    assert.match(messageOf(diagnostics[2]!), /names may only contain alphanumerics/);
    assert.match(messageOf(diagnostics[3]!), /must not resolve to other names/);
    assert.match(messageOf(diagnostics[6]!), /it is 251 characters long, the limit is 250/);
    assert.equal(diagnostics[0]!.range.end.character - diagnostics[0]!.range.start.character, 'lr'.length);
  });

  test('models:/ targets that do not exist are errors, found again after the store changes', async () => {
    const { text, uri, diagnostics } = await openForDiagnostics('models.py');
    const lines = (list: Diagnostic[]) => list.map((d) => [d.range.start.line, messageOf(d)]);
    assert.deepEqual(lines(diagnostics), [
      [position(text, 'no-such-model').line, "Registered model 'no-such-model' does not exist on this server. Loading models:/no-such-model/1 will fail."],
      [position(text, 'iris-classifier/9').line, "Model 'iris-classifier' has no version 9 (it has 2, 1). Loading models:/iris-classifier/9 will fail."],
      [position(text, 'iris-classifier@nobody').line, "Model 'iris-classifier' has no alias @nobody (it has @champion). Loading models:/iris-classifier@nobody will fail."],
      [position(text, 'iris-classifier/Staging').line, 'No version of \'iris-classifier\' is in stage Staging. Loading models:/iris-classifier/Staging will fail.'],
      [position(text, 'iris-classifier/Prod"').line, "'Prod' is not a model stage: MLflow accepts None, Staging, Production, Archived, 'latest', or a version number. Loading models:/iris-classifier/Prod will fail."],
      [position(text, 'models:/a/b/c').line, "Not a model URI MLflow can load: 'models:/a/b/c'. Use models:/NAME/SUFFIX (a version, a stage, or 'latest') or models:/NAME@ALIAS."],
    ]);
    assert.ok(diagnostics.every((d) => d.severity === 1 && d.source === 'runboard'));

    // The model appears: the extension host tells the server, which drops what it knew and diagnoses again.
    await client.registerModelVersion('no-such-model', `runs:/${ids.first}/model`, ids.first);
    answers.clear();
    const before = published.get(uri)!.length;
    await lsp.sendNotification(LanguageNotifications.dataChanged, {});
    const after = await diagnosticsOf(uri, before);
    assert.equal(after.length, diagnostics.length - 1);
    assert.ok(!after.some((d) => messageOf(d).includes('no-such-model')));
  });
});
