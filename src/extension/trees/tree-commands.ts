import * as vscode from 'vscode';
import type { Stage } from '../../api/wire';
import { MlflowApiError, type MlflowClient, type Run } from '../../client/mlflow-client';
import { artifactUri } from '../artifact-fs';
import type { Services } from '../services';
import { ArtifactNode, ExperimentNode, LOAD_MORE_COMMAND, RunNode, type ExperimentsNode, type ExperimentsTree, type LoadMoreNode } from './experiments-tree';
import { baseName, modelAliasUri, modelStageUri, modelVersionUri, runLabel, runsUri, validateAlias, validateTagKey } from './format';
import { ModelVersionNode, RegisteredModelNode, type ModelsNode, type ModelsTree } from './models-tree';
import { errorMessage } from './tree-util';
import { folderSource, modelsOfRun, pickModelName, type ModelCandidate } from '../panels/register-model';

export interface Trees {
  readonly experiments: ExperimentsTree;
  readonly models: ModelsTree;
}

const NOTE_TAG = 'mlflow.note.content';
const FILTER_CHECK_DELAY_MS = 300;
/** Top-level artifact folders looked into for an MLmodel file when a run's models are searched. */

/** Thrown to stop a command quietly (the user cancelled, or was already told why). */
class Cancelled extends Error {}

/**
 * The commands of tree rows and view titles. Row commands take the row they were invoked on; from a
 * keybinding they fall back to the view's selection.
 */
export function registerTreeCommands(services: Services, trees: Trees): vscode.Disposable[] {
  const { experiments, models } = trees;

  const register = (id: string, run: (...args: never[]) => Promise<unknown> | unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        await (run as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        if (error instanceof Cancelled) return;
        const message = errorMessage(error);
        services.log.error(`Runboard: ${id} failed: ${message}`);
        if (!(error instanceof MlflowApiError) && error instanceof Error && error.stack) services.log.debug(error.stack);
        void vscode.window.showErrorMessage(`Runboard: ${message}`);
      }
    });

  const client = (): MlflowClient => {
    const current = services.client;
    if (!current) {
      void vscode.window.showWarningMessage('Runboard: the tracking server is not running yet. Wait for it to start, or restart it from the status bar.');
      throw new Cancelled();
    }
    return current;
  };

  // ------------------------------------------------------------ which row

  const experimentRow = (arg: unknown): ExperimentNode => {
    const node = arg ?? experiments.view?.selection[0];
    if (node instanceof ExperimentNode) return node;
    void vscode.window.showInformationMessage('Runboard: select an experiment in the Experiments view first.');
    throw new Cancelled();
  };

  /** The run a row belongs to: the run itself, or the run of a group, value or artifact row. */
  const runRow = (arg: unknown): RunNode => {
    const node = (arg ?? experiments.view?.selection[0]) as ExperimentsNode | undefined;
    if (node instanceof RunNode) return node;
    if (node && (node.kind === 'artifact' || node.kind === 'group' || node.kind === 'param' || node.kind === 'metric' || node.kind === 'tag')) return node.run;
    void vscode.window.showInformationMessage('Runboard: select a run in the Experiments view first.');
    throw new Cancelled();
  };

  const versionRow = (arg: unknown): ModelVersionNode => {
    const node = arg ?? models.view?.selection[0];
    if (node instanceof ModelVersionNode) return node;
    void vscode.window.showInformationMessage('Runboard: select a model version in the Models view first.');
    throw new Cancelled();
  };

  const required = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Cancelled();
    return value;
  };

  const copied = async (text: string) => {
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(`$(copy) Copied ${text}`, 4000);
  };

  const runName = (run: Run) => runLabel(run.info.run_name, run.info.run_id);

  // ------------------------------------------------------------ view title

  const filterRuns = async () => {
    client();
    const input = vscode.window.createInputBox();
    input.title = 'Filter Runs';
    input.prompt = 'MLflow search syntax, applied to the runs of every experiment. Leave empty to show all runs.';
    input.placeholder = "metrics.accuracy > 0.9 and params.model = 'rf'";
    input.value = experiments.filter ?? '';
    input.ignoreFocusOut = true;
    let timer: NodeJS.Timeout | undefined;
    let sequence = 0;
    /** The value the server last accepted. */
    let accepted: string | undefined = experiments.filter ?? '';
    const check = async (value: string): Promise<'valid' | 'invalid' | 'superseded'> => {
      const mine = ++sequence;
      input.busy = true;
      const message = await experiments.validateFilter(value);
      if (mine !== sequence) return 'superseded';
      input.busy = false;
      input.validationMessage = message === undefined ? undefined : { message, severity: vscode.InputBoxValidationSeverity.Error };
      if (message === undefined) accepted = value;
      return message === undefined ? 'valid' : 'invalid';
    };
    return new Promise<void>((resolve) => {
      input.onDidChangeValue((value) => {
        clearTimeout(timer);
        accepted = undefined;
        sequence++; // answers to earlier values no longer count
        input.busy = false;
        if (value.trim() === '') {
          input.validationMessage = undefined;
          return;
        }
        timer = setTimeout(() => void check(value), FILTER_CHECK_DELAY_MS);
      });
      input.onDidAccept(async () => {
        clearTimeout(timer);
        const value = input.value;
        if (value.trim() === '') {
          await experiments.setFilter(undefined);
          input.hide();
          return;
        }
        const verdict = accepted === value ? 'valid' : await check(value);
        if (verdict !== 'valid' || input.value !== value) return;
        await experiments.setFilter(value);
        input.hide();
      });
      input.onDidHide(() => {
        clearTimeout(timer);
        input.dispose();
        resolve();
      });
      input.show();
    });
  };

  const createExperiment = async () => {
    const c = client();
    const name = required(
      await vscode.window.showInputBox({
        title: 'Create Experiment',
        prompt: 'Name of the new experiment',
        placeHolder: 'e.g. churn-model',
        validateInput: (value) => (value.trim() === '' ? 'Enter a name.' : undefined),
      }),
    ).trim();
    const id = await c.createExperiment(name);
    await experiments.onDataChanged({ kind: 'experiment', id });
    void vscode.window.showInformationMessage(`Runboard: created experiment "${name}". Scripts log into it with mlflow.set_experiment(${JSON.stringify(name)}).`);
  };

  // ------------------------------------------------------------ experiments

  const renameExperiment = async (arg?: unknown) => {
    const node = experimentRow(arg);
    const c = client();
    const old = node.experiment.name;
    const name = required(
      await vscode.window.showInputBox({
        title: `Rename Experiment "${old}"`,
        value: old,
        prompt: 'New name of the experiment',
        validateInput: (value) => (value.trim() === '' ? 'Enter a name.' : undefined),
      }),
    ).trim();
    if (name === old) return;
    await c.renameExperiment(node.experiment.experiment_id, name);
    await experiments.onDataChanged({ kind: 'experiment', id: node.experiment.experiment_id });
  };

  const deleteExperiment = async (arg?: unknown) => {
    const node = experimentRow(arg);
    const c = client();
    const choice = await vscode.window.showWarningMessage(
      `Delete experiment "${node.experiment.name}"?`,
      { modal: true, detail: 'Its runs are deleted with it. Use "Show Deleted Experiments and Runs" to find and restore it.' },
      'Delete',
    );
    if (choice !== 'Delete') return;
    await c.deleteExperiment(node.experiment.experiment_id);
    await experiments.onDataChanged({ kind: 'experiment', id: node.experiment.experiment_id });
  };

  const restoreExperiment = async (arg?: unknown) => {
    const node = experimentRow(arg);
    await client().restoreExperiment(node.experiment.experiment_id);
    await experiments.onDataChanged({ kind: 'experiment', id: node.experiment.experiment_id });
  };

  // ------------------------------------------------------------ runs

  const renameRun = async (arg?: unknown) => {
    const node = runRow(arg);
    const c = client();
    const { info } = node.run;
    const name = required(
      await vscode.window.showInputBox({
        title: `Rename Run "${runName(node.run)}"`,
        value: info.run_name ?? '',
        prompt: 'New name of the run',
        validateInput: (value) => (value.trim() === '' ? 'Enter a name.' : undefined),
      }),
    ).trim();
    if (name === info.run_name) return;
    await c.updateRun(info.run_id, { runName: name });
    await experiments.refreshRun(info.run_id);
  };

  const deleteRun = async (arg?: unknown) => {
    const node = runRow(arg);
    const c = client();
    const running = node.run.info.status === 'RUNNING';
    const choice = await vscode.window.showWarningMessage(
      `Delete run "${runName(node.run)}"?`,
      {
        modal: true,
        detail: `${running ? 'The run is still running; its script keeps logging into the deleted run. ' : ''}Use "Show Deleted Experiments and Runs" to find and restore it.`,
      },
      'Delete',
    );
    if (choice !== 'Delete') return;
    await c.deleteRun(node.run.info.run_id);
    await experiments.refreshRun(node.run.info.run_id);
  };

  const restoreRun = async (arg?: unknown) => {
    const node = runRow(arg);
    await client().restoreRun(node.run.info.run_id);
    await experiments.refreshRun(node.run.info.run_id);
  };

  const editRunNote = async (arg?: unknown) => {
    const node = runRow(arg);
    const c = client();
    const current = node.run.data.tags.find((tag) => tag.key === NOTE_TAG)?.value ?? '';
    const value = required(
      await vscode.window.showInputBox({
        title: `Note of Run "${runName(node.run)}"`,
        value: current.replace(/\r?\n/g, '\\n'),
        prompt: 'Markdown note shown with the run (also in the MLflow UI). Type \\n for a line break.',
        placeHolder: 'What this run tried, what came out of it',
      }),
    );
    const note = value.replace(/\\n/g, '\n');
    if (note === current) return;
    await c.setTag(node.run.info.run_id, NOTE_TAG, note);
    await experiments.refreshRun(node.run.info.run_id);
  };

  const addRunTag = async (arg?: unknown) => {
    const node = runRow(arg);
    const c = client();
    const existing = new Map(node.run.data.tags.map((tag) => [tag.key, tag.value]));
    const key = required(
      await vscode.window.showInputBox({
        title: `Add Tag to Run "${runName(node.run)}" (1/2)`,
        prompt: 'Tag key',
        placeHolder: 'e.g. dataset_version',
        validateInput: (value) => validateTagKey(value),
      }),
    ).trim();
    const value = required(
      await vscode.window.showInputBox({
        title: `Add Tag to Run "${runName(node.run)}" (2/2)`,
        prompt: `Value of tag ${key}${existing.has(key) ? ' (replaces the current value)' : ''}`,
        value: existing.get(key) ?? '',
      }),
    );
    await c.setTag(node.run.info.run_id, key, value);
    await experiments.refreshRun(node.run.info.run_id);
  };

  const copyRunId = async (arg?: unknown) => {
    await copied(runRow(arg).run.info.run_id);
  };

  const copyRunUri = async (arg?: unknown) => {
    const node = (arg ?? experiments.view?.selection[0]) as ExperimentsNode | undefined;
    if (node instanceof ArtifactNode) return copied(runsUri(node.run.run.info.run_id, node.file.path));
    return copied(runsUri(runRow(node).run.info.run_id));
  };

  const openArtifact = async (arg?: unknown) => {
    let uri: vscode.Uri | undefined;
    if (arg instanceof vscode.Uri) uri = arg;
    else {
      const node = (arg ?? experiments.view?.selection[0]) as ExperimentsNode | undefined;
      if (node instanceof ArtifactNode && !node.file.is_dir) uri = artifactUri(node.run.run.info.run_id, node.file.path);
    }
    if (!uri) {
      void vscode.window.showInformationMessage('Runboard: select an artifact file in the Experiments view first.');
      return;
    }
    await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
  };

  const loadMoreRuns = async (node?: LoadMoreNode) => {
    if (node?.kind === 'loadMore') await experiments.loadMore(node);
  };

  // ------------------------------------------------------------ register a model

  const registerModel = async (arg?: unknown) => {
    const c = client();
    const node = (arg ?? experiments.view?.selection[0]) as ExperimentsNode | undefined;
    let found: ModelCandidate | undefined;
    let run: Run;
    if (node instanceof ArtifactNode && node.file.is_dir) {
      run = node.run.run;
      if (!node.isModel) {
        const files = await c.listArtifacts(run.info.run_id, node.file.path);
        if (!files.some((file) => !file.is_dir && baseName(file.path) === 'MLmodel')) {
          void vscode.window.showInformationMessage(`Runboard: ${node.file.path} holds no MLmodel file, so it is not an MLflow model. Register a folder that mlflow.<flavor>.log_model wrote.`);
          return;
        }
      }
      found = { label: node.file.path, source: folderSource(run, node.file.path), suggestedName: baseName(node.file.path) };
    } else {
      run = runRow(node).run;
      const candidates = await vscode.window.withProgress({ location: { viewId: 'runboard.experiments' } }, () => modelsOfRun(services, c, run));
      if (candidates.length === 0) {
        void vscode.window.showInformationMessage(
          `Runboard: run "${runName(run)}" has no logged model. Log one with mlflow.<flavor>.log_model(...), or register an artifact folder that holds an MLmodel file from its context menu.`,
        );
        return;
      }
      found =
        candidates.length === 1
          ? candidates[0]
          : await vscode.window.showQuickPick(candidates, { title: `Register Model from Run "${runName(run)}"`, placeHolder: 'Which model?', matchOnDescription: true });
    }
    const candidate = found;
    if (!candidate) return;
    const name = await pickModelName(c, candidate.suggestedName, 'Register Model: model name');
    if (!name) return;
    const version = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Registering ${name}…` }, () =>
      c.registerModelVersion(name, candidate.source, run.info.run_id, candidate.modelId),
    );
    await models.refresh();
    const uri = modelVersionUri(version.name, version.version);
    const choice = await vscode.window.showInformationMessage(`Runboard: registered ${version.name} version ${version.version}.`, 'Copy URI', 'Show Models');
    if (choice === 'Copy URI') await copied(uri);
    if (choice === 'Show Models') await vscode.commands.executeCommand('runboard.models.focus');
  };

  // ------------------------------------------------------------ model versions

  const copyModelUri = async (arg?: unknown) => {
    const node = (arg ?? models.view?.selection[0]) as ModelsNode | undefined;
    const options: vscode.QuickPickItem[] = [];
    if (node instanceof RegisteredModelNode) {
      const name = node.model.name;
      options.push({ label: `models:/${name}/latest`, description: 'the newest version' });
      for (const alias of node.model.aliases ?? []) options.push({ label: modelAliasUri(name, alias.alias), description: `version ${alias.version}` });
      const stages = new Set((node.model.latest_versions ?? []).map((v) => v.current_stage).filter((s): s is string => !!s && s !== 'None'));
      for (const stage of stages) options.push({ label: modelStageUri(name, stage), description: `latest version in ${stage}` });
    } else if (node instanceof ModelVersionNode) {
      const { name, version, current_stage: stage } = node.version;
      options.push({ label: modelVersionUri(name, version), description: 'this version' });
      for (const alias of node.aliases) options.push({ label: modelAliasUri(name, alias), description: 'by alias: follows the alias' });
      if (stage && stage !== 'None') options.push({ label: modelStageUri(name, stage), description: `by stage: the latest version in ${stage}` });
    } else {
      void vscode.window.showInformationMessage('Runboard: select a model or a model version in the Models view first.');
      return;
    }
    const first = options[0];
    if (!first) return;
    const picked = options.length === 1 ? first : await vscode.window.showQuickPick(options, { title: 'Copy models:/ URI', placeHolder: 'Which form of the URI?' });
    if (picked) await copied(picked.label);
  };

  const transitionStage = async (arg?: unknown) => {
    const node = versionRow(arg);
    const c = client();
    const { name, version } = node.version;
    const current = node.version.current_stage ?? 'None';
    const stages: Stage[] = ['None', 'Staging', 'Production', 'Archived'];
    const picked = await vscode.window.showQuickPick(
      stages.map((stage) => ({ label: stage, stage, description: stage === current ? 'current stage' : undefined })),
      { title: `Transition ${name} Version ${version}`, placeHolder: `Now in ${current}. Move to…` },
    );
    if (!picked || picked.stage === current) return;
    let archive = false;
    if (picked.stage === 'Staging' || picked.stage === 'Production') {
      const answer = await vscode.window.showQuickPick(
        [
          { label: `Only move version ${version}`, archive: false, description: `other versions stay in ${picked.stage}` },
          { label: `Archive the other ${picked.stage} versions`, archive: true, description: `version ${version} becomes the only one in ${picked.stage}` },
        ],
        { title: `Transition ${name} Version ${version} to ${picked.stage}`, placeHolder: `What about versions already in ${picked.stage}?` },
      );
      if (!answer) return;
      archive = answer.archive;
    }
    await c.transitionStage(name, version, picked.stage, archive);
    await models.refresh();
  };

  const setAlias = async (arg?: unknown) => {
    const node = versionRow(arg);
    const c = client();
    const { name, version } = node.version;
    const alias = required(
      await vscode.window.showInputBox({
        title: `Set Alias on ${name} Version ${version}`,
        prompt: `An alias names one version: models:/${name}@ALIAS. Setting an alias another version has moves it here.`,
        placeHolder: 'e.g. champion',
        validateInput: (value) => validateAlias(value.trim()),
      }),
    ).trim();
    await c.setAlias(name, alias, version);
    await models.refresh();
  };

  const removeAlias = async (arg?: unknown) => {
    const node = versionRow(arg);
    const c = client();
    const { name, version } = node.version;
    if (node.aliases.length === 0) {
      void vscode.window.showInformationMessage(`Runboard: ${name} version ${version} has no alias.`);
      return;
    }
    const alias = await vscode.window.showQuickPick(node.aliases, { title: `Remove Alias from ${name} Version ${version}`, placeHolder: 'Which alias?' });
    if (!alias) return;
    await c.deleteAlias(name, alias);
    await models.refresh();
  };

  const deleteModelVersion = async (arg?: unknown) => {
    const node = versionRow(arg);
    const c = client();
    const { name, version } = node.version;
    const choice = await vscode.window.showWarningMessage(
      `Delete version ${version} of model "${name}"?`,
      { modal: true, detail: 'This cannot be undone. The run and its artifacts stay; only the registry entry goes.' },
      'Delete',
    );
    if (choice !== 'Delete') return;
    await c.deleteModelVersion(name, version);
    await models.refresh();
  };

  return [
    register('runboard.filterRuns', filterRuns),
    register('runboard.clearRunFilter', () => experiments.setFilter(undefined)),
    register('runboard.showDeleted', () => experiments.setShowDeleted(true)),
    register('runboard.hideDeleted', () => experiments.setShowDeleted(false)),
    register('runboard.createExperiment', createExperiment),
    register('runboard.renameExperiment', renameExperiment),
    register('runboard.deleteExperiment', deleteExperiment),
    register('runboard.restoreExperiment', restoreExperiment),
    register('runboard.renameRun', renameRun),
    register('runboard.deleteRun', deleteRun),
    register('runboard.restoreRun', restoreRun),
    register('runboard.editRunNote', editRunNote),
    register('runboard.addRunTag', addRunTag),
    register('runboard.copyRunId', copyRunId),
    register('runboard.copyRunUri', copyRunUri),
    register('runboard.openArtifact', openArtifact),
    register('runboard.registerModel', registerModel),
    register('runboard.copyModelUri', copyModelUri),
    register('runboard.transitionStage', transitionStage),
    register('runboard.setAlias', setAlias),
    register('runboard.removeAlias', removeAlias),
    register('runboard.deleteModelVersion', deleteModelVersion),
    register(LOAD_MORE_COMMAND, loadMoreRuns),
  ];
}
