import * as vscode from 'vscode';
import { MlflowApiError, type MlflowClient, type Run } from '../../client/mlflow-client';
import { proxiedStoragePath } from '../artifact-paths';
import { baseName, loggedModelArtifactPaths, modelVersionUri, quoteFilterString, runLabel, runsUri } from '../trees/format';
import type { Services } from '../services';
import { tagOf } from './data';

/** Top-level artifact folders probed for an MLmodel file. */
const MAX_FOLDERS_PROBED = 20;

export interface ModelCandidate extends vscode.QuickPickItem {
  source: string;
  modelId?: string;
  suggestedName: string;
}

/** Thrown when the user cancels: the flow ends quietly. */
export class Cancelled extends Error {}

/**
 * The source of a model version for an artifact folder, as the MLflow client sends it: the folder's
 * underlying artifact URI (`mlflow-artifacts:/1/<run>/artifacts/model`), or `runs:/` when the root is not
 * one the server proxies.
 */
export function folderSource(run: Run, path: string): string {
  const root = (run.info.artifact_uri ?? '').replace(/\/+$/, '');
  return root && proxiedStoragePath(root) !== undefined ? [root, path].filter(Boolean).join('/') : runsUri(run.info.run_id, path);
}

/** What a run logged that can become a model version: logged models (MLflow 3) and MLmodel folders. */
export async function modelsOfRun(services: Services, client: MlflowClient, run: Run): Promise<ModelCandidate[]> {
  const runId = run.info.run_id;
  const candidates = new Map<string, ModelCandidate>();
  try {
    const logged = await client.searchLoggedModels([run.info.experiment_id], `source_run_id = ${quoteFilterString(runId)}`);
    for (const { info } of logged) {
      if (info.source_run_id !== undefined && info.source_run_id !== runId) continue;
      candidates.set(`models:/${info.model_id}`, { label: `$(package) ${info.name}`, description: info.model_id, detail: 'Logged model', source: `models:/${info.model_id}`, modelId: info.model_id, suggestedName: info.name });
    }
  } catch (error) {
    services.log.debug(`Runboard: no logged models for run ${runId}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const folders = new Set(loggedModelArtifactPaths(tagOf(run, 'mlflow.log-model.history')));
  try {
    const top = await client.listArtifacts(runId);
    if (top.some((file) => !file.is_dir && baseName(file.path) === 'MLmodel')) folders.add('');
    const probes = top.filter((file) => file.is_dir && !folders.has(file.path)).slice(0, MAX_FOLDERS_PROBED);
    const found = await Promise.all(
      probes.map(async (folder) => {
        const files = await client.listArtifacts(runId, folder.path).catch(() => []);
        return files.some((file) => !file.is_dir && baseName(file.path) === 'MLmodel') ? folder.path : undefined;
      }),
    );
    for (const path of found) if (path !== undefined) folders.add(path.replace(/^\/+|\/+$/g, ''));
  } catch (error) {
    services.log.debug(`Runboard: could not list artifacts of run ${runId}: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const path of folders) {
    const source = folderSource(run, path);
    if (candidates.has(source)) continue;
    candidates.set(source, { label: `$(folder) ${path || '(artifact root)'}`, description: runsUri(runId, path), detail: 'Artifact folder with an MLmodel file', source, suggestedName: path ? baseName(path) : runLabel(run.info.run_name, runId) });
  }
  return [...candidates.values()];
}

/** A registered model name: pick an existing one or type a new one. */
export async function pickModelName(client: MlflowClient, suggested: string, title: string): Promise<string | undefined> {
  let names: string[] = [];
  try {
    names = (await client.searchRegisteredModels({ maxResults: 500 })).items.map((m) => m.name).sort((a, b) => a.localeCompare(b));
  } catch {
    // an old server without a registry listing: typing a name still works
  }
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<vscode.QuickPickItem>();
    pick.title = title;
    pick.placeholder = 'Pick a registered model for a new version, or type a new model name';
    pick.ignoreFocusOut = true;
    const update = () => {
      const typed = pick.value.trim();
      const items: vscode.QuickPickItem[] = names.map((name) => ({ label: name, description: 'new version of this model' }));
      if (typed !== '' && !names.includes(typed)) items.unshift({ label: typed, description: 'new registered model', alwaysShow: true });
      pick.items = items;
    };
    let settled = false;
    pick.onDidChangeValue(update);
    pick.onDidAccept(() => {
      const name = (pick.selectedItems[0]?.label ?? pick.value).trim();
      if (name === '') return;
      settled = true;
      resolve(name);
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!settled) resolve(undefined);
      pick.dispose();
    });
    pick.value = suggested;
    update();
    pick.show();
  });
}

/**
 * Registers a model a run logged as a new model version: finds what the run logged, asks which (when
 * several) and under which name, registers, and offers the models:/ URI.
 */
export async function registerRunModel(services: Services, client: MlflowClient, runId: string, why: string): Promise<void> {
  const run = await client.getRun(runId);
  const name = runLabel(run.info.run_name, runId);
  const candidates = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Looking for models of ${name}` }, () => modelsOfRun(services, client, run));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`Runboard: ${why} "${name}" has no logged model. Log one with mlflow.<flavor>.log_model(...) in the trial.`);
    throw new Cancelled();
  }
  const candidate = candidates.length === 1 ? candidates[0] : await vscode.window.showQuickPick(candidates, { title: `Register Model of ${why} "${name}"`, placeHolder: 'Which model?', matchOnDescription: true });
  if (!candidate) throw new Cancelled();
  const modelName = await pickModelName(client, candidate.suggestedName, `Register Model of ${why} "${name}": model name`);
  if (!modelName) throw new Cancelled();
  const version = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Registering ${modelName}…` }, () =>
    client.registerModelVersion(modelName, candidate.source, runId, candidate.modelId),
  );
  const uri = modelVersionUri(version.name, version.version);
  const choice = await vscode.window.showInformationMessage(`Runboard: registered ${version.name} version ${version.version} from ${why} "${name}".`, 'Copy URI', 'Show Models');
  if (choice === 'Copy URI') await vscode.env.clipboard.writeText(uri);
  if (choice === 'Show Models') await vscode.commands.executeCommand('runboard.models.focus');
}

/** The user-facing text of an error of the server or of the flow. */
export function describeError(error: unknown): string {
  if (error instanceof MlflowApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
