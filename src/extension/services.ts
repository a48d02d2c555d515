import type * as vscode from 'vscode';
import type { MlflowClient } from '../client/mlflow-client';

/** What changed in the backend; `all` after a (re)connect or a manual refresh. */
export interface DataChange {
  readonly kind: 'experiment' | 'run' | 'model' | 'all';
  readonly id?: string;
}

/**
 * What views and commands need from the extension's lifecycle owner: the client of the backend in use
 * (undefined while none is ready) and the events that tell them to refresh.
 */
export interface Services {
  readonly client: MlflowClient | undefined;
  readonly onDidChangeClient: vscode.Event<void>;
  /** Debounced change events: fire at most a few times a second while a run logs. */
  readonly onDidChangeData: vscode.Event<DataChange>;
  readonly log: vscode.LogOutputChannel;
}
