import * as vscode from 'vscode';
import { CopyCancelledError, copyBetweenServers } from '../client/copy/copy-engine';
import { copiedNothing, formatSummary, type CopySummary } from '../client/copy/copy-summary';
import { MlflowClient } from '../client/mlflow-client';
import { probeConnection, probeFailureMessage, promptConnection, type RemoteConnection } from './backend';
import { hostOf } from './remote-settings';

/** What the copy commands need from the extension's owner (Runboard in runboard.ts). */
export interface CopyHost {
  readonly log: vscode.LogOutputChannel;
  /** The client of the backend in use (the local store's server, or the connected MLflow server). */
  readonly client: MlflowClient | undefined;
  /** The connected MLflow server (a team's, or an opened mlflow.db), if the workspace uses one. */
  readonly remote: { readonly url: string; readonly client: MlflowClient } | undefined;
  /** Runs `work` with a client of the local store, serving it for the while if a remote server is in use. */
  withLocalStore<T>(work: (client: MlflowClient) => Promise<T>): Promise<T>;
  /** Views reload after a copy into what they show. */
  refresh(): void;
}

/** "Import into Runboard": the connected server's experiments and models into the workspace's local store. */
export async function importIntoLocal(host: CopyHost): Promise<void> {
  const remote = host.remote;
  if (!remote) {
    void vscode.window.showInformationMessage('Runboard: Import copies from an MLflow server into the local store. Connect to the server first (Runboard: Connect to MLflow Server...), then import.', 'Connect...').then((answer) => {
      if (answer === 'Connect...') void vscode.commands.executeCommand('runboard.connectServer');
    });
    return;
  }
  const experiments = await pickExperiments(remote.client, `Import from ${hostOf(remote.url)} into the local store`);
  if (experiments === null) return;
  try {
    await host.withLocalStore((local) => runCopy(host, remote.client, local, `Importing from ${hostOf(remote.url)} into the local store`, experiments));
  } catch (error) {
    // The local store could not be served (runCopy reports its own failures).
    void vscode.window.showErrorMessage(`Runboard: cannot import: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** "Export to Server...": the backend in use into another MLflow server the user names. */
export async function exportToServer(host: CopyHost): Promise<void> {
  const from = host.client;
  if (!from) {
    void vscode.window.showWarningMessage('Runboard: the tracking server is not running yet. Restart it from the status bar, then export.');
    return;
  }
  let connection = await promptConnection({}, 'Export to MLflow Server');
  let target: RemoteConnection | undefined;
  while (connection) {
    const candidate = connection;
    const error = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Runboard: connecting to ${hostOf(candidate.settings.url)}…` }, () => probeConnection(candidate));
    if (!error) {
      target = candidate;
      break;
    }
    const answer = await vscode.window.showErrorMessage(`Runboard: could not connect to ${hostOf(candidate.settings.url)}. ${probeFailureMessage(candidate, error)}`, 'Retry', 'Edit Connection');
    if (answer === 'Retry') continue;
    connection = answer === 'Edit Connection' ? await promptConnection(candidate, 'Export to MLflow Server') : undefined;
  }
  if (!target) return;
  if (host.remote && new URL(host.remote.url).origin === new URL(target.settings.url).origin) {
    void vscode.window.showWarningMessage(`Runboard: ${hostOf(target.settings.url)} is the server in use: there is nothing to export to it.`);
    return;
  }
  const experiments = await pickExperiments(from, `Export to ${hostOf(target.settings.url)}`);
  if (experiments === null) return;
  const to = new MlflowClient({ baseUrl: target.settings.url, credentials: target.credentials, timeoutMs: 120_000 });
  await runCopy(host, from, to, `Exporting to ${hostOf(target.settings.url)}`, experiments);
}

/**
 * Which experiments to copy: all are picked; leaving them all picked copies everything (registered models
 * included), a subset copies those and the models of their runs. Null when the user backs out.
 */
async function pickExperiments(client: MlflowClient, title: string): Promise<string[] | undefined | null> {
  const all = (await client.searchExperiments({ viewType: 'ACTIVE_ONLY' })).items;
  if (all.length === 0) {
    void vscode.window.showInformationMessage('Runboard: there are no experiments to copy.');
    return null;
  }
  const items = all.map((experiment) => ({ label: experiment.name, picked: true }));
  const picked = await vscode.window.showQuickPick(items, { title, canPickMany: true, placeHolder: 'Experiments to copy (all of them copies the registered models too)', ignoreFocusOut: true });
  if (!picked || picked.length === 0) return null;
  return picked.length === all.length ? undefined : picked.map((item) => item.label);
}

function shortSummary(summary: CopySummary): string {
  if (copiedNothing(summary)) return 'everything was there already.';
  const parts = [
    `${summary.experiments.copied} experiments`,
    `${summary.runs.copied + summary.runs.resumed} runs`,
    `${summary.artifacts.files} artifact files`,
    `${summary.versions.copied} model versions`,
  ];
  return `copied ${parts.join(', ')}.`;
}

/** The copy, in a cancellable progress notification; the summary in the log and a notification. */
async function runCopy(host: CopyHost, from: MlflowClient, to: MlflowClient, title: string, experiments: string[] | undefined): Promise<void> {
  host.log.info(`${title}${experiments ? ` (experiments: ${experiments.join(', ')})` : ''}`);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Runboard: ${title}`, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    let shown = 0;
    try {
      const summary = await copyBetweenServers(from, to, {
        experiments,
        signal: controller.signal,
        onProgress: ({ done, total, message }) => {
          const percent = total > 0 ? (done / total) * 100 : 0;
          progress.report({ message, increment: percent - shown });
          shown = percent;
        },
      });
      for (const line of formatSummary(summary)) host.log.info(`  ${line}`);
      host.refresh();
      const notes = summary.notes.length > 0 ? ` ${summary.notes.length} things were left out (see the log).` : '';
      void vscode.window.showInformationMessage(`Runboard: ${title}: done, ${shortSummary(summary)}${notes}`, 'Show Details').then((answer) => {
        if (answer === 'Show Details') host.log.show();
      });
    } catch (error) {
      host.refresh();
      if (error instanceof CopyCancelledError) {
        for (const line of formatSummary(error.summary)) host.log.info(`  ${line}`);
        void vscode.window.showWarningMessage('Runboard: the copy was stopped. What was copied stays; run the same command again to resume where it stopped.');
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      host.log.error(`${title} failed: ${message}`);
      void vscode.window.showErrorMessage(`Runboard: ${title} failed: ${message} Run the command again to resume.`, 'Show Log').then((answer) => {
        if (answer === 'Show Log') host.log.show();
      });
    } finally {
      cancel.dispose();
    }
  });
}
