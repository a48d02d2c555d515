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
  /** Where the data lives now (the local store's server or a remote MLflow server). */
  readonly backend?: BackendInfo;
  /** Fires when `backend` changes: another server, or the remote stopped (or started again) answering. */
  readonly onDidChangeBackend?: vscode.Event<void>;
}

/** The backend in use, and what a script needs to log into it. */
export interface BackendInfo {
  readonly kind: 'local' | 'remote';
  /** The tracking URI; undefined while the local server is not running. */
  readonly url: string | undefined;
  /**
   * MLFLOW_TRACKING_URI plus MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD:
   * what the terminals get, for launchers and other processes that log into the backend.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** Set while a remote server does not answer: what the views show is stale, and why. */
  readonly stale?: string | undefined;
}
