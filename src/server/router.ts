import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler sees of one request. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The rest of the path after a route's `*` (still percent-encoded), or '' for exact routes. */
  readonly tail: string;
  /** Path parameters named `{like_this}` in the route. */
  readonly params: Readonly<Record<string, string>>;
  /** Set when the request came through a launch's tracking URI (`/launch/<id>/...`, see api/launch.ts). */
  readonly launchId?: string | undefined;
}

/**
 * A handler returns the JSON object to send with status 200, or `undefined` when it wrote the response
 * itself (streamed downloads). It throws MlflowError for anything the caller got wrong.
 */
export type Handler = (ctx: RequestContext) => unknown;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Route {
  readonly method: Method;
  readonly segments: readonly string[];
  readonly tail: boolean;
  readonly handler: Handler;
}

export interface Match {
  readonly handler: Handler;
  readonly tail: string;
  readonly params: Record<string, string>;
}

/**
 * Exact and `{param}` routes plus `prefix/*` tail routes. Literal segments win over parameters, so
 * `/logged-models/search` is never captured by `/logged-models/{model_id}`.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: Method, pattern: string, handler: Handler): this {
    const tail = pattern.endsWith('/*');
    const path = tail ? pattern.slice(0, -2) : pattern;
    this.routes.push({ method, segments: path.split('/').filter(Boolean), tail, handler });
    // Literal routes first, then by number of literal segments: deterministic precedence.
    this.routes.sort((a, b) => literalScore(b) - literalScore(a));
    return this;
  }

  /** `allowed` lists the methods of routes whose path matched: for a 405 rather than a 404. */
  match(method: string, pathname: string): Match | { allowed: Method[] } {
    const parts = pathname.split('/').filter(Boolean);
    const allowed: Method[] = [];
    for (const route of this.routes) {
      const found = matchRoute(route, parts);
      if (!found) continue;
      if (route.method === method) return { handler: route.handler, ...found };
      allowed.push(route.method);
    }
    return { allowed };
  }
}

function literalScore(route: Route): number {
  const literals = route.segments.filter((s) => !s.startsWith('{')).length;
  return literals * 2 + (route.tail ? 0 : 1);
}

function matchRoute(route: Route, parts: string[]): { tail: string; params: Record<string, string> } | undefined {
  if (route.tail ? parts.length < route.segments.length : parts.length !== route.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]!;
    const part = parts[i]!;
    if (segment.startsWith('{')) params[segment.slice(1, -1)] = part;
    else if (segment !== part) return undefined;
  }
  return { tail: route.tail ? parts.slice(route.segments.length).join('/') : '', params };
}
