/**
 * A token gate in front of another MLflow server that listens on a Unix socket (MLflow's own server on an
 * opened mlflow.db or mlruns/): the same loopback port, bearer token and Host/Origin checks as Runboard's own
 * server, then every request is passed through unchanged. MLflow's server has no token of its own; on a
 * socket in a private folder nobody else on the machine can reach it, and through the gate only who holds
 * the token can.
 */
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, sendError } from './http';
import { checkRequest } from './security';
import type { RunningServer } from './server';

export interface GateOptions {
  /** The Unix socket the gated server listens on. */
  readonly socketPath: string;
  readonly token: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly log?: (line: string) => void;
}

/** Request headers that describe the hop to the gate, not the request: not passed on. */
const HOP_HEADERS = ['authorization', 'connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'upgrade'];

export async function startGate(options: GateOptions): Promise<RunningServer> {
  const log = options.log ?? (() => {});
  let port = 0;
  /** Whether the last request found nobody behind the gate: said once per outage, not per request. */
  let down = false;
  const server = createServer((req, res) => pass(req, res));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;

  function pass(req: IncomingMessage, res: ServerResponse): void {
    try {
      const pathname = new URL(req.url ?? '/', 'http://gate.invalid').pathname;
      checkRequest(req, port, { hostNames: [], token: options.token }, pathname);
    } catch (error) {
      if (!req.complete) res.setHeader('Connection', 'close');
      sendError(res, error);
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: `127.0.0.1:${port}` };
    for (const name of HOP_HEADERS) delete headers[name];
    const upstream = forward({ socketPath: options.socketPath, method: req.method, path: req.url, headers }, (answer) => {
      if (down) log('the server behind the gate answers');
      down = false;
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    });
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy(); // cut off half way: the client sees a broken answer, never a truncated one it trusts
        return;
      }
      // The server behind the gate is gone (or not up yet): 503, which clients take as "try again later".
      if (!down) log(`${req.method} ${req.url}: the server behind the gate does not answer (${error.code ?? error.message}); answering 503 until it does`);
      down = true;
      if (!req.complete) res.setHeader('Connection', 'close');
      sendError(res, new HttpError(503, 'TEMPORARILY_UNAVAILABLE', `MLflow's server behind Runboard does not answer (${error.code ?? error.message}). Restart it from the status bar.`));
    });
    req.pipe(upstream);
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy(); // the client left: stop the work behind the gate too
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
