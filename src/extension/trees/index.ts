import * as vscode from 'vscode';
import { registerArtifactFileSystem, type ArtifactFileSystemProvider } from '../artifact-fs';
import type { Services } from '../services';
import { ExperimentsTree } from './experiments-tree';
import { ModelsTree } from './models-tree';
import { registerTreeCommands } from './tree-commands';

export { ExperimentsTree } from './experiments-tree';
export { ModelsTree } from './models-tree';

export interface RegisteredTrees {
  readonly experiments: ExperimentsTree;
  readonly models: ModelsTree;
  readonly artifacts: ArtifactFileSystemProvider;
}

/**
 * Creates the Experiments and Models views, the `runboard-artifact:` file system and the commands of
 * tree rows and view titles; everything is disposed with the extension context.
 */
export function registerTrees(context: vscode.ExtensionContext, services: Services): RegisteredTrees {
  const experiments = new ExperimentsTree(services, context.workspaceState);
  const models = new ModelsTree(services);
  // Several runs can be selected (Ctrl/Shift+click): Compare Runs and Open Metric Charts take them all.
  const experimentsView = vscode.window.createTreeView('runboard.experiments', { treeDataProvider: experiments, showCollapseAll: true, canSelectMany: true });
  const modelsView = vscode.window.createTreeView('runboard.models', { treeDataProvider: models, showCollapseAll: true });
  experiments.attach(experimentsView);
  models.attach(modelsView);
  const artifacts = registerArtifactFileSystem(services);
  context.subscriptions.push(experiments, models, experimentsView, modelsView, artifacts.disposable, ...registerTreeCommands(services, { experiments, models }));
  return { experiments, models, artifacts: artifacts.provider };
}
