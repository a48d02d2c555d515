import * as vscode from 'vscode';
import { compareSnapshots, hasChanges, takeSnapshot, type Snapshot } from '../client/change-probe';
import { MlflowApiError, MlflowClient, type Credentials, type RequestOutcome } from '../client/mlflow-client';
import { credentialsOf, hostOf, normalizeServerUrl, parseChoice, secretKey, secretOf, validateServerUrl, type AuthKind, type BackendChoice, type RemoteSettings } from './remote-settings';
import type { DataChange } from './services';

export { hostOf, type BackendChoice, type RemoteSettings } from './remote-settings';

const CHOICE_KEY = 'runboard.backend';
/** Polling: fast while something changes or trains, slower while idle (and slower still unfocused). */
const FAST_POLL_MS = 2000;
const IDLE_POLL_MS = 10_000;
const UNFOCUSED_POLL_MS = 30_000;
const ERROR_POLL_MAX_MS = 30_000;
/** More changed runs than this in one poll: everything refreshes rather than run by run. */
const MAX_RUN_EVENTS = 3;
const PROBE_TIMEOUT_MS = 10_000;

export type RemoteStatus =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'connected'; readonly checkedAt: number }
  /** No answer (or a proxy says the server is down): the views keep what they show, marked stale. */
  | { readonly kind: 'unreachable'; readonly message: string; readonly since: number }
  /** 401/403 on reading: the credentials no longer work; nothing refreshes until the user reconnects. */
  | { readonly kind: 'refused'; readonly message: string; readonly since: number };

export function readChoice(memento: vscode.Memento): BackendChoice {
  return parseChoice(memento.get(CHOICE_KEY));
}

export async function saveChoice(memento: vscode.Memento, choice: BackendChoice): Promise<void> {
  await memento.update(CHOICE_KEY, choice);
}

export async function loadCredentials(secrets: vscode.SecretStorage, settings: RemoteSettings): Promise<Credentials | undefined> {
  return credentialsOf(settings, settings.auth === 'none' ? undefined : await secrets.get(secretKey(settings)));
}

export async function storeCredentials(secrets: vscode.SecretStorage, settings: RemoteSettings, credentials: Credentials): Promise<void> {
  const secret = secretOf(credentials);
  if (secret !== undefined) await secrets.store(secretKey(settings), secret);
}

/**
 * A remote MLflow tracking server in use: its client, and a poller that stands in for the push events the
 * local store sends. Each poll takes a small snapshot (src/client/change-probe) and reports what changed;
 * it never writes. Every request any view makes also tells it whether the server answers.
 */
export class RemoteBackend implements vscode.Disposable {
  readonly client: MlflowClient;
  private current: RemoteStatus = { kind: 'connecting' };
  private readonly statusEmitter = new vscode.EventEmitter<RemoteStatus>();
  private readonly changeEmitter = new vscode.EventEmitter<DataChange[]>();
  readonly onDidChangeStatus = this.statusEmitter.event;
  /** What changed on the server since the last poll (a reconnect reports `all`). */
  readonly onDidChange = this.changeEmitter.event;
  private snapshot: Snapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private intervalMs = FAST_POLL_MS;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private disposed = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    readonly settings: RemoteSettings,
    readonly credentials: Credentials,
    private readonly log: vscode.LogOutputChannel,
    /** Set for an MLflow store Runboard serves itself (e.g. `mlflow.db`): how the status bar names it. */
    readonly storeLabel?: string,
  ) {
    this.client = new MlflowClient({ baseUrl: settings.url, credentials, onOutcome: (outcome) => this.onOutcome(outcome) });
    this.subscriptions.push(
      vscode.window.onDidChangeWindowState((state) => {
        if (state.focused) void this.pollNow();
      }),
    );
  }

  get status(): RemoteStatus {
    return this.current;
  }

  get url(): string {
    return this.settings.url;
  }

  /** Starts polling; the first poll sets the baseline (the views load on their own). */
  start(): void {
    void this.poll();
  }

  /** A user action (refresh, a write, the window regained focus): poll at once, and fast again. */
  pollNow(): Promise<void> {
    this.intervalMs = FAST_POLL_MS;
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    return this.poll();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const subscription of this.subscriptions) subscription.dispose();
    this.statusEmitter.dispose();
    this.changeEmitter.dispose();
  }

  private poll(): Promise<void> {
    clearTimeout(this.timer);
    this.polling = (async () => {
      do {
        this.pollAgain = false;
        await this.pollOnce();
      } while (this.pollAgain && !this.disposed);
    })().finally(() => {
      this.polling = undefined;
      this.schedule();
    });
    return this.polling;
  }

  private schedule(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
  }

  private async pollOnce(): Promise<void> {
    let next: Snapshot;
    try {
      next = await takeSnapshot(this.client);
    } catch (error) {
      if (this.disposed) return;
      this.intervalMs = Math.min(ERROR_POLL_MAX_MS, Math.max(FAST_POLL_MS, this.intervalMs * 2));
      this.onFailure(error);
      return;
    }
    if (this.disposed) return;
    const previous = this.snapshot;
    this.snapshot = next;
    const recovered = this.current.kind === 'unreachable' || this.current.kind === 'refused';
    this.setStatus({ kind: 'connected', checkedAt: Date.now() });
    if (recovered) {
      this.log.info(`Runboard: the MLflow server at ${this.url} answers again; refreshing everything.`);
      this.intervalMs = FAST_POLL_MS;
      this.changeEmitter.fire([{ kind: 'all' }]);
      return;
    }
    const changes = previous ? compareSnapshots(previous, next) : undefined;
    if (changes && hasChanges(changes)) {
      this.intervalMs = FAST_POLL_MS;
      const events: DataChange[] = [];
      if (changes.experiments || changes.runIds.length > MAX_RUN_EVENTS) events.push({ kind: 'all' });
      else events.push(...changes.runIds.map((id): DataChange => ({ kind: 'run', id })));
      if (changes.models && !changes.experiments) events.push({ kind: 'model' });
      this.log.debug(`Runboard: the MLflow server changed: ${JSON.stringify(changes)}`);
      this.changeEmitter.fire(events);
    } else if (next.running.size > 0) {
      this.intervalMs = FAST_POLL_MS; // something trains: its points show up live
    } else {
      const ceiling = vscode.window.state.focused ? IDLE_POLL_MS : UNFOCUSED_POLL_MS;
      this.intervalMs = Math.min(ceiling, Math.round(this.intervalMs * 1.5));
    }
  }

  /** Every request of every view passes here: the status follows what the server actually answers. */
  private onOutcome(outcome: RequestOutcome): void {
    if (this.disposed) return;
    const { error } = outcome;
    if (!error) {
      if (this.current.kind === 'connecting') this.setStatus({ kind: 'connected', checkedAt: Date.now() });
      if (this.current.kind === 'unreachable') void this.pollNow(); // it is back: the poll confirms and refreshes all
      const write = outcome.method !== 'GET' && !/\/search$/.test(outcome.path);
      if (write) this.intervalMs = FAST_POLL_MS;
      return;
    }
    if (isUnreachable(error) && this.current.kind !== 'unreachable') this.onFailure(error);
    if (error.code === 'UNAUTHENTICATED' && this.current.kind !== 'refused') this.onFailure(error);
  }

  private onFailure(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof MlflowApiError && (error.code === 'UNAUTHENTICATED' || error.code === 'PERMISSION_DENIED')) {
      if (this.current.kind !== 'refused') this.log.warn(`Runboard: the MLflow server at ${this.url} refused the credentials: ${message}`);
      this.setStatus({ kind: 'refused', message, since: this.current.kind === 'refused' ? this.current.since : Date.now() });
      return;
    }
    if (this.current.kind !== 'unreachable') this.log.warn(`Runboard: lost the MLflow server at ${this.url}: ${message}`);
    this.setStatus({ kind: 'unreachable', message, since: this.current.kind === 'unreachable' ? this.current.since : Date.now() });
  }

  private setStatus(status: RemoteStatus): void {
    const before = this.current;
    this.current = status;
    const same = before.kind === status.kind && (status.kind === 'connected' || ('message' in before && 'message' in status && before.message === status.message));
    if (!same) this.statusEmitter.fire(status);
  }
}

function isUnreachable(error: MlflowApiError): boolean {
  return error.code === 'UNREACHABLE' || error.status === 502 || error.status === 503 || error.status === 504;
}

/** How the status reads in a tooltip, a view message or a quick pick title. */
export function describeRemote(backend: RemoteBackend): string {
  const status = backend.status;
  const host = hostOf(backend.url);
  if (backend.storeLabel) return describeStoreServer(backend, backend.storeLabel);
  switch (status.kind) {
    case 'connecting':
      return `Runboard: connecting to the MLflow server at ${backend.url}...`;
    case 'connected':
      return `Runboard: using the MLflow server at ${backend.url}${authLabel(backend.settings)}`;
    case 'unreachable':
      return `Runboard: cannot reach ${host} since ${new Date(status.since).toLocaleTimeString()}: the views show what was loaded before (stale). Retrying. ${status.message}`;
    case 'refused':
      return `Runboard: ${host} refused the credentials: ${status.message} Run "Runboard: Connect to MLflow Server..." to sign in again.`;
  }
}

function describeStoreServer(backend: RemoteBackend, label: string): string {
  const status = backend.status;
  switch (status.kind) {
    case 'connecting':
      return `Runboard: connecting to MLflow's server on ${label}...`;
    case 'connected':
      return `Runboard: showing ${label} through MLflow's own server at ${backend.url}`;
    default:
      return `Runboard: MLflow's server on ${label} does not answer since ${new Date(status.since).toLocaleTimeString()}: the views show what was loaded before (stale). Run "Runboard: Restart Tracking Server" to start it again. ${status.message}`;
  }
}

/** The views' message while the data they show is stale, else undefined. */
export function staleMessage(backend: RemoteBackend): string | undefined {
  const status = backend.status;
  const host = hostOf(backend.url);
  if (backend.storeLabel && (status.kind === 'unreachable' || status.kind === 'refused')) {
    return `Stale: MLflow's server on ${backend.storeLabel} stopped at ${new Date(status.since).toLocaleTimeString()}. Showing what was loaded before; restart it from the status bar.`;
  }
  if (status.kind === 'unreachable') return `Stale: cannot reach ${host} since ${new Date(status.since).toLocaleTimeString()}. Showing what was loaded before; retrying.`;
  if (status.kind === 'refused') return `Stale: ${host} refused the credentials. Connect again (Runboard: Connect to MLflow Server...) to refresh.`;
  return undefined;
}

function authLabel(settings: RemoteSettings): string {
  return settings.auth === 'bearer' ? ' with a token' : settings.auth === 'basic' ? ` as ${settings.username}` : '';
}

// ------------------------------------------------------------ Connect to MLflow Server...

export interface RemoteConnection {
  readonly settings: RemoteSettings;
  readonly credentials: Credentials;
}

interface AuthPick extends vscode.QuickPickItem {
  readonly auth: AuthKind;
}

/**
 * Asks for a server URL, the kind of authentication and its token or user name and password, prefilled from
 * `previous`. Undefined when the user cancels a step.
 */
export async function promptConnection(previous: Partial<RemoteConnection> = {}, title = 'Connect to MLflow Server'): Promise<RemoteConnection | undefined> {
  const urlText = await vscode.window.showInputBox({
    title: `${title} (1/3)`,
    prompt: 'URL of the MLflow tracking server (what MLFLOW_TRACKING_URI would be)',
    placeHolder: 'e.g. https://mlflow.example.com or http://127.0.0.1:5000',
    value: previous.settings?.url ?? '',
    ignoreFocusOut: true,
    validateInput: validateServerUrl,
  });
  if (urlText === undefined) return undefined;
  const url = normalizeServerUrl(urlText);
  const items: AuthPick[] = [
    { label: 'No authentication', detail: 'The server accepts anyone who reaches it.', auth: 'none' },
    { label: 'Bearer token', detail: 'Sent as Authorization: Bearer (MLFLOW_TRACKING_TOKEN).', auth: 'bearer' },
    { label: 'Username and password', detail: 'MLflow\'s basic-auth app (mlflow server --app-name basic-auth): MLFLOW_TRACKING_USERNAME/PASSWORD.', auth: 'basic' },
  ];
  const previousAuth = previous.settings?.auth;
  const ordered = previousAuth ? [...items.filter((i) => i.auth === previousAuth), ...items.filter((i) => i.auth !== previousAuth)] : items;
  const auth = await vscode.window.showQuickPick(ordered, { title: `${title} (2/3)`, placeHolder: `How does ${hostOf(url)} authenticate?`, ignoreFocusOut: true });
  if (!auth) return undefined;
  const sameServer = previous.settings?.url === url && previous.settings.auth === auth.auth;
  switch (auth.auth) {
    case 'none':
      return { settings: { url, auth: 'none' }, credentials: { kind: 'none' } };
    case 'bearer': {
      const token = await vscode.window.showInputBox({
        title: `${title} (3/3)`,
        prompt: `Token for ${hostOf(url)} (kept in VS Code's secret storage)`,
        password: true,
        ignoreFocusOut: true,
        value: sameServer && previous.credentials?.kind === 'bearer' ? previous.credentials.token : '',
        validateInput: (text) => (text.trim() === '' ? 'Enter the token.' : undefined),
      });
      if (token === undefined) return undefined;
      return { settings: { url, auth: 'bearer' }, credentials: { kind: 'bearer', token: token.trim() } };
    }
    case 'basic': {
      const username = await vscode.window.showInputBox({
        title: `${title} (3/3)`,
        prompt: `User name on ${hostOf(url)}`,
        ignoreFocusOut: true,
        value: sameServer ? (previous.settings?.username ?? '') : '',
        validateInput: (text) => (text.trim() === '' ? 'Enter the user name.' : text.includes(':') ? 'A basic-auth user name has no colon.' : undefined),
      });
      if (username === undefined) return undefined;
      const password = await vscode.window.showInputBox({
        title: `${title} (3/3)`,
        prompt: `Password of ${username.trim()} on ${hostOf(url)} (kept in VS Code's secret storage)`,
        password: true,
        ignoreFocusOut: true,
        value: sameServer && previous.settings?.username === username.trim() && previous.credentials?.kind === 'basic' ? previous.credentials.password : '',
        validateInput: (text) => (text === '' ? 'Enter the password.' : undefined),
      });
      if (password === undefined) return undefined;
      return { settings: { url, auth: 'basic', username: username.trim() }, credentials: { kind: 'basic', username: username.trim(), password } };
    }
  }
}

/** One read with the given credentials: undefined when the server answers as an MLflow server, else the error. */
export async function probeConnection(connection: RemoteConnection): Promise<MlflowApiError | undefined> {
  const client = new MlflowClient({ baseUrl: connection.settings.url, credentials: connection.credentials, timeoutMs: PROBE_TIMEOUT_MS });
  try {
    await client.searchExperiments({ maxResults: 1 });
    return undefined;
  } catch (error) {
    return error instanceof MlflowApiError ? error : new MlflowApiError('INTERNAL_ERROR', String(error));
  }
}

/** What to do about a failed probe, in words: the client's message plus the step that fixes it. */
export function probeFailureMessage(connection: RemoteConnection, error: MlflowApiError): string {
  const host = hostOf(connection.settings.url);
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return connection.settings.auth === 'none'
        ? `${host} needs authentication (401). Edit the connection and choose a token or a username and password.`
        : `${host} refused ${connection.settings.auth === 'basic' ? `the password of ${connection.settings.username}` : 'the token'} (401). Edit the connection to enter it again.`;
    case 'PERMISSION_DENIED':
      return `${host} accepted the credentials but lets them read no experiments (403). Ask the server's admin for READ permission, or connect as another user.`;
    default:
      return error.message;
  }
}
