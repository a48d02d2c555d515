import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http';

export interface SecurityOptions {
  /** Host names (without port) this server answers to; loopback names are always included. */
  readonly hostNames: readonly string[];
  /** When set, every request but /health needs `Authorization: Bearer <token>`. */
  readonly token?: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Refuses requests that are not meant for this server: a Host header naming another host (DNS rebinding),
 * any cross-origin browser request (even a "simple" text/plain POST), and a missing or wrong token.
 */
export function checkRequest(req: IncomingMessage, port: number, options: SecurityOptions, pathname: string): void {
  const allowedHosts = new Set([...LOOPBACK_NAMES, ...options.hostNames].map((name) => `${name.toLowerCase()}:${port}`));
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowedHosts.has(host)) {
    throw new HttpError(403, 'PERMISSION_DENIED', `Host header '${host}' does not name this server; requests must be sent to 127.0.0.1:${port}.`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.has(originHost(origin))) {
    throw new HttpError(403, 'PERMISSION_DENIED', `Cross-origin requests from '${origin}' are refused.`);
  }
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
    throw new HttpError(403, 'PERMISSION_DENIED', 'Cross-site browser requests are refused.');
  }
  if (options.token && pathname !== '/health' && !hasToken(req, options.token)) {
    throw new HttpError(
      401,
      'UNAUTHENTICATED',
      'Missing or wrong token: set MLFLOW_TRACKING_TOKEN to the token Runboard printed or injected (Runboard: Copy Tracking Environment).',
    );
  }
}

function originHost(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' ? url.host.toLowerCase() : '';
  } catch {
    return '';
  }
}

function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
