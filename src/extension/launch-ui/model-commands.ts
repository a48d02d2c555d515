import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { ModelVersion } from '../../api/wire';
import type { MlflowClient } from '../../client/mlflow-client';
import { curlExample, inputFormatOf, modelCliEnvironment, PredictError, predictionsPath, readCsvTable, runPredict, serveArgs, servingInputExample } from '../launcher/model-cli';
import { shellQuote } from '../launcher/launch-spec';
import { resolvePythonInterpreter } from '../python/interpreter';
import type { Services } from '../services';
import { aliasesOfVersion, compareVersionsDescending, modelVersionUri, versionDescription } from '../trees/format';
import { readyClient } from './ready-client';
import { showPredictions } from './predictions-panel';

export const MODEL_COMMANDS = {
  predict: 'runboard.predictModel',
  serve: 'runboard.serveModel',
} as const;

/** A model version named by a Models-tree row (`{ version: ModelVersion }`) or by `{ name, version }`. */
function versionOf(arg: unknown): { name: string; version: string } | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const value = arg as { version?: unknown; name?: unknown };
  if (typeof value.version === 'object' && value.version !== null) {
    const inner = value.version as Partial<ModelVersion>;
    if (typeof inner.name === 'string' && typeof inner.version === 'string') return { name: inner.name, version: inner.version };
  }
  if (typeof value.name === 'string' && (typeof value.version === 'string' || typeof value.version === 'number')) return { name: value.name, version: String(value.version) };
  return undefined;
}

export function registerModelCommands(services: Services): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(MODEL_COMMANDS.predict, (arg?: unknown, input?: unknown) => predict(services, arg, input)),
    vscode.commands.registerCommand(MODEL_COMMANDS.serve, (arg?: unknown) => serve(services, arg)),
  );
}

interface VersionItem extends vscode.QuickPickItem {
  readonly name: string;
  readonly version: string;
}

/** A quick pick of every registered model version: name and version, stage, aliases, newest first. */
async function pickVersion(client: MlflowClient, title: string): Promise<{ name: string; version: string } | undefined> {
  const load = async (): Promise<VersionItem[]> => {
    const versions = (await client.searchModelVersions({ maxResults: 1000 })).items;
    const models = (await client.searchRegisteredModels({ maxResults: 1000 })).items;
    const aliasesOf = new Map(models.map((model) => [model.name, model.aliases]));
    versions.sort((a, b) => a.name.localeCompare(b.name) || compareVersionsDescending(a.version, b.version));
    return versions.map((version) => ({
      label: `${version.name} v${version.version}`,
      description: versionDescription(version.current_stage, aliasesOfVersion(version.version, version.aliases, aliasesOf.get(version.name))),
      detail: version.description || (version.run_id ? `from run ${version.run_id}` : undefined),
      name: version.name,
      version: version.version,
    }));
  };
  const picked = await vscode.window.showQuickPick(load(), { title, placeHolder: 'Pick a registered model version', matchOnDescription: true, matchOnDetail: true });
  return picked && { name: picked.name, version: picked.version };
}

async function predict(services: Services, arg: unknown, inputArg: unknown): Promise<void> {
  const client = await readyClient(services);
  if (!client) return;
  const chosen = versionOf(arg) ?? (await pickVersion(client, 'Runboard: Predict with Model'));
  if (!chosen) return;
  let input = inputArg instanceof vscode.Uri ? inputArg : typeof inputArg === 'string' ? vscode.Uri.file(inputArg) : undefined;
  if (!input) {
    const picked = await vscode.window.showOpenDialog({
      title: `Input for ${chosen.name} v${chosen.version}`,
      openLabel: 'Predict',
      canSelectMany: false,
      filters: { 'CSV or JSON': ['csv', 'json'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    input = picked?.[0];
  }
  if (!input) return;
  const format = inputFormatOf(input.fsPath);
  if (!format || input.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Runboard: predictions need a .csv file (a DataFrame with a header row) or a .json file (MLflow's serving input, e.g. {"dataframe_split": ...}); ${basename(input.fsPath)} is neither.`);
    return;
  }
  const python = await resolvePythonInterpreter(input);
  const modelUri = modelVersionUri(chosen.name, chosen.version);
  const output = predictionsPath(input.fsPath);
  try {
    const predictions = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Runboard: predicting with ${modelUri} on ${basename(input.fsPath)}…`, cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return runPredict({ python: python.command, modelUri, input: input.fsPath, format, output, trackingEnv: services.backend?.environment ?? {}, cwd: dirname(input.fsPath), signal: abort.signal });
      },
    );
    const inputTable = format === 'csv' ? readCsvTable(await readFile(input.fsPath, 'utf8'), Number.MAX_SAFE_INTEGER) : undefined;
    showPredictions({ title: `${chosen.name} v${chosen.version} on ${basename(input.fsPath)}`, predictions, input: inputTable, savedTo: output });
    void vscode.window.showInformationMessage(`Runboard: ${predictions.rows.length} predictions saved to ${basename(output)}.`, 'Open File').then((answer) => {
      if (answer) void vscode.window.showTextDocument(vscode.Uri.file(output));
    });
  } catch (error) {
    if (error instanceof PredictError && error.message === 'Prediction cancelled.') return;
    services.log.error(`Predict with ${modelUri} failed: ${error instanceof Error ? error.message : String(error)}${error instanceof PredictError ? `\n${error.output}` : ''}`);
    if (error instanceof PredictError && error.mlflowMissing) {
      const answer = await vscode.window.showErrorMessage(`Runboard: ${error.message}`, 'Install mlflow in a Terminal');
      if (answer) installMlflow(python.command);
      return;
    }
    const answer = await vscode.window.showErrorMessage(`Runboard: ${error instanceof Error ? error.message : String(error)}`, 'Show Log');
    if (answer) services.log.show();
  }
}

function installMlflow(python: string): void {
  const terminal = vscode.window.createTerminal({ name: 'Install mlflow' });
  terminal.show();
  terminal.sendText(`${shellQuote(python)} -m pip install mlflow`);
}

async function serve(services: Services, arg: unknown): Promise<void> {
  const client = await readyClient(services);
  if (!client) return;
  const chosen = versionOf(arg) ?? (await pickVersion(client, 'Runboard: Serve Model'));
  if (!chosen) return;
  const python = await resolvePythonInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri);
  const modelUri = modelVersionUri(chosen.name, chosen.version);
  const port = await freePort();
  const terminal = vscode.window.createTerminal({
    name: `Serve ${chosen.name} v${chosen.version}`,
    // The interpreter itself, not a shell: nothing of the model name is parsed by a shell.
    shellPath: python.command,
    shellArgs: serveArgs(modelUri, port),
    // Merged into the terminal's own environment: only what we add or change.
    env: modelCliEnvironment(python.command, services.backend?.environment ?? {}, { PATH: process.env.PATH }),
    cwd: vscode.workspace.workspaceFolders?.[0]?.uri,
    iconPath: new vscode.ThemeIcon('server-process'),
  });
  terminal.show();
  const curl = curlExample(port, await servingInputExample(client, chosen.name, chosen.version));
  const answer = await vscode.window.showInformationMessage(
    `Runboard: serving ${modelUri} at http://127.0.0.1:${port} (ready once the terminal shows the server running). Call it with: ${curl}`,
    'Copy curl command',
  );
  if (answer) await vscode.env.clipboard.writeText(curl);
}

/** A port nothing listens on now, on loopback (what `mlflow models serve` will bind). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
