/**
 * Pure logic of the remote backend: the server URL a user types, where its secret is kept, what a script
 * needs in its environment to log there. No `vscode` import, so unit tests load it under plain Node.
 */
import type { Credentials } from '../client/mlflow-client';

export type AuthKind = Credentials['kind'];

/** What workspaceState keeps about a remote server: never a secret (those go to SecretStorage). */
export interface RemoteSettings {
  readonly url: string;
  readonly auth: AuthKind;
  /** For `basic`: the user name MLflow's basic-auth app knows. */
  readonly username?: string;
}

export type BackendChoice =
  | { readonly kind: 'local' }
  | ({ readonly kind: 'remote' } & RemoteSettings)
  /** An existing MLflow store (mlflow.db or mlruns/) served by MLflow's own server from the user's Python. */
  | { readonly kind: 'mlflow-store'; readonly path: string };

/** Why `text` is not a tracking server URL a user can connect to, or undefined when it is. */
export function validateServerUrl(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return 'Enter the URL of the MLflow tracking server, e.g. http://mlflow.internal:5000';
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? `Not a valid URL: ${trimmed}` : 'Start the URL with http:// or https://';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return url.protocol === 'databricks:' ? 'Databricks workspaces are not supported: enter the URL of an MLflow tracking server.' : 'Use an http:// or https:// URL.';
  }
  if (url.username || url.password) return 'Put no user name or password in the URL: the next step asks for them and keeps them in the secret store.';
  if (url.search || url.hash) return 'A tracking URI has no ?query or #fragment.';
  return undefined;
}

/** The URL as the client and MLFLOW_TRACKING_URI take it: no trailing slash, a path prefix kept. */
export function normalizeServerUrl(text: string): string {
  const url = new URL(text.trim());
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** host[:port][/path] of a URL, for the status bar. */
export function hostOf(serverUrl: string): string {
  try {
    const url = new URL(serverUrl);
    return `${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return serverUrl;
  }
}

/** The SecretStorage key of a server's token or password: one per server, kind of auth and user. */
export function secretKey(settings: RemoteSettings): string {
  return `runboard.remote:${settings.auth}:${settings.auth === 'basic' ? (settings.username ?? '') : ''}@${settings.url}`;
}

/** Credentials from settings and the stored secret; undefined when a needed secret is missing. */
export function credentialsOf(settings: RemoteSettings, secret: string | undefined): Credentials | undefined {
  switch (settings.auth) {
    case 'none':
      return { kind: 'none' };
    case 'bearer':
      return secret === undefined ? undefined : { kind: 'bearer', token: secret };
    case 'basic':
      return secret === undefined || settings.username === undefined ? undefined : { kind: 'basic', username: settings.username, password: secret };
  }
}

/** The secret SecretStorage keeps for these credentials (undefined for none). */
export function secretOf(credentials: Credentials): string | undefined {
  return credentials.kind === 'bearer' ? credentials.token : credentials.kind === 'basic' ? credentials.password : undefined;
}

/** The variables the mlflow client reads: the tracking URI plus a token or a user name and password. */
export function trackingEnvironment(url: string, credentials: Credentials): Record<string, string> {
  const environment: Record<string, string> = { MLFLOW_TRACKING_URI: url };
  if (credentials.kind === 'bearer') environment.MLFLOW_TRACKING_TOKEN = credentials.token;
  if (credentials.kind === 'basic') {
    environment.MLFLOW_TRACKING_USERNAME = credentials.username;
    environment.MLFLOW_TRACKING_PASSWORD = credentials.password;
  }
  return environment;
}

/** A word a POSIX shell reads back exactly (single-quoted only when it needs to be). */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `export NAME=value` lines a POSIX shell reads back exactly (single-quoted only when the value needs it). */
export function exportLines(environment: Record<string, string>): string {
  return Object.entries(environment)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

/** The choice kept in workspaceState, checked (a hand-edited or older value falls back to local). */
export function parseChoice(value: unknown): BackendChoice {
  if (typeof value !== 'object' || value === null) return { kind: 'local' };
  const candidate = value as Partial<{ kind: string; url: string; auth: string; username: string; path: string }>;
  if (candidate.kind === 'mlflow-store') return typeof candidate.path === 'string' && candidate.path.startsWith('/') ? { kind: 'mlflow-store', path: candidate.path } : { kind: 'local' };
  if (candidate.kind !== 'remote' || typeof candidate.url !== 'string' || validateServerUrl(candidate.url) !== undefined) return { kind: 'local' };
  const auth = candidate.auth === 'bearer' || candidate.auth === 'basic' ? candidate.auth : 'none';
  if (auth === 'basic' && typeof candidate.username !== 'string') return { kind: 'local' };
  return { kind: 'remote', url: normalizeServerUrl(candidate.url), auth, ...(auth === 'basic' ? { username: candidate.username } : {}) };
}
