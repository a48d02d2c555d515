import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { splitLaunchPath } from '../api/launch';
import { ArtifactStore } from '../store/artifacts';
import { MlflowError } from '../store/errors';
import type { TrackingStore } from '../store/tracking-store';
import { addArtifactRoutes } from './artifact-routes';
import { HttpError, sendError, sendJson } from './http';
import { addLoggedModelRoutes } from './logged-model-routes';
import { addRegistryRoutes } from './registry-routes';
import { Router } from './router';
import { checkRequest } from './security';
import { addTrackingRoutes, type ChangeListener } from './tracking-routes';

/** What this server reports at /version: below 3.4, so clients do not try OTLP trace export we lack. */
export const SERVER_VERSION = '0.1.0';

export interface ServerOptions {
  readonly store: TrackingStore;
  readonly artifactRoot: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly token?: string;
  readonly onChange?: ChangeListener;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the MLflow REST API over `store` until closed. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const router = new Router();
  const artifacts = new ArtifactStore(options.artifactRoot);
  addTrackingRoutes(router, options.store, artifacts, options.onChange);
  addLoggedModelRoutes(router, options.store, options.onChange);
  addRegistryRoutes(router, options.store, options.onChange);
  addArtifactRoutes(router, artifacts);
  const log = options.log ?? (() => {});

  let port = 0;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => log(`request failed after responding: ${String(error)}`));
  });
  // Clients pool connections; keep them longer than their idle time so a reused socket is still open.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://server.invalid');
      // A launched script's tracking URI ends in /launch/<id>: served like the root, its new runs tagged.
      const { launchId, pathname } = splitLaunchPath(url.pathname);
      checkRequest(req, port, { hostNames: host === '127.0.0.1' ? [] : [host], token: options.token }, pathname);
      if (pathname === '/health') return sendText(res, 'OK');
      if (pathname === '/version') return sendText(res, SERVER_VERSION);
      const match = router.match(req.method ?? 'GET', pathname);
      if (!('handler' in match)) {
        // Also for a known path with another method: the client falls back on ENDPOINT_NOT_FOUND.
        throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `No route for ${req.method} ${url.pathname}.`);
      }
      const result = await match.handler({ req, res, url, tail: match.tail, params: match.params, launchId });
      if (result !== undefined) sendJson(res, 200, result);
    } catch (error) {
      // Callers' mistakes go back to them; only faults of ours belong in the server log.
      if (!(error instanceof MlflowError) && !(error instanceof HttpError)) log(`${req.method} ${req.url}: ${String(error)}`);
      if (res.headersSent) res.destroy();
      else {
        // Unread request bodies must not be parsed as the next request on a kept-alive socket.
        if (!req.complete) res.setHeader('Connection', 'close');
        sendError(res, error);
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function sendText(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
