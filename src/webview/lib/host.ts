/**
 * The webview's side of the channel: typed posts to the host, requests answered by `requestId`, and the
 * state VS Code keeps for the panel across hide, show and reload.
 */
import { isHostMessage, type HostMessage, type PersistedState, type WebviewMessage } from '../protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

type Reply = Extract<HostMessage, { requestId: number }>;
type Request = Extract<WebviewMessage, { requestId: number }>;
/** A request without its id (one is assigned when sent). */
export type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'requestId'> : never) : never;

let nextRequestId = 1;
const pending = new Map<number, (reply: Reply) => void>();
const listeners = new Set<(message: HostMessage) => void>();

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isHostMessage(message)) return;
  if ('requestId' in message) {
    const resolve = pending.get(message.requestId);
    if (resolve) {
      pending.delete(message.requestId);
      resolve(message);
      return;
    }
  }
  for (const listener of listeners) listener(message);
});

export function post(message: WebviewMessage): void {
  api.postMessage(message);
}

/** Sends a request and resolves with the host's answer to it. */
export function request<T extends Reply = Reply>(body: RequestBody): Promise<T> {
  const requestId = nextRequestId++;
  return new Promise<T>((resolve) => {
    pending.set(requestId, resolve as (reply: Reply) => void);
    post({ ...body, requestId } as WebviewMessage);
  });
}

/** Host messages that are not answers to a request (data snapshots, live points, status). */
export function onHostMessage(listener: (message: HostMessage) => void): void {
  listeners.add(listener);
}

export function loadState(): PersistedState | undefined {
  const state = api.getState();
  return typeof state === 'object' && state !== null ? (state as PersistedState) : undefined;
}

let saveTimer: number | undefined;
let latest: PersistedState | undefined;

/** Saves soon (coalesced): sliders and zooms change the state many times a second. */
export function saveState(state: PersistedState): void {
  latest = state;
  if (saveTimer !== undefined) return;
  saveTimer = window.setTimeout(flushState, 150);
}

export function flushState(): void {
  if (saveTimer !== undefined) window.clearTimeout(saveTimer);
  saveTimer = undefined;
  if (latest) api.setState(latest);
}

window.addEventListener('pagehide', flushState);

export function logToHost(level: 'error' | 'warn' | 'info', message: string): void {
  post({ type: 'log', level, message: message.slice(0, 10_000) });
}
