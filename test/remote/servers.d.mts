// Types of servers.mjs for the TypeScript tests.
import type { Credentials } from '../../src/client/mlflow-client';

export interface RemoteServer {
  readonly name: string;
  readonly url: string;
  readonly credentials: Credentials;
  /** MLFLOW_TRACKING_URI plus MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD. */
  readonly env: Record<string, string>;
  readonly startedInMs: number;
  readonly logFile: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export interface Postgres {
  readonly port: number;
  readonly dir: string;
  readonly user: string;
  readonly logFile: string;
  uri(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export type ServerName = 'mlflow-postgres' | 'mlflow-basic-auth' | 'runboard-serve';

export const REPO_ROOT: string;
export const PYTHON: string;
export const PYTHON_ENV: Record<string, string>;
export const ADMIN: { readonly username: string; readonly password: string };
export function findPostgresBin(): string | undefined;
export function freePort(): Promise<number>;
export function startPostgres(options?: { dir?: string }): Promise<Postgres>;
export function startMlflowServer(options: { name?: string; backendStoreUri: string; basicAuth?: { username: string; password: string }; workers?: number; mlflow?: string; extraEnv?: Record<string, string> }): Promise<RemoteServer>;
export function startRunboardServe(options?: { name?: string }): Promise<RemoteServer>;
export function startRemoteServers(options?: { only?: ServerName[] }): Promise<{
  servers: RemoteServer[];
  byName: Partial<Record<ServerName, RemoteServer>>;
  postgres: Postgres | undefined;
  stop(): Promise<void>;
}>;
export function trackingEnv(url: string, credentials: Credentials): Record<string, string>;
export function runPython(script: string, args?: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<string>;
export function lastJsonLine(stdout: string): unknown;
