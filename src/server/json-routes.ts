import { API_PREFIXES } from '../api/routes';
import { invalidParameter } from '../store/errors';
import { Fields } from './fields';
import { readJsonBody } from './http';
import type { RequestContext, Router } from './router';

export type JsonMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type JsonHandler = (fields: Fields, ctx: RequestContext) => unknown;

/**
 * Registers JSON-RPC style routes under every API prefix. GET reads its message from the query string;
 * the other methods from the JSON body (DELETE too: MLflow sends bodies with DELETE).
 */
export function jsonRoutes(router: Router): (method: JsonMethod, path: string, handle: JsonHandler) => void {
  return (method, path, handle) => {
    for (const prefix of API_PREFIXES) {
      router.add(method, prefix + path, async (ctx) => {
        const fields = method === 'GET' ? Fields.fromQuery(ctx.url.searchParams) : new Fields(await readJsonBody(ctx.req));
        return handle(fields, ctx);
      });
    }
  };
}

/** A `{name}` path parameter, percent-decoded. */
export function pathParam(ctx: RequestContext, name: string): string {
  const raw = ctx.params[name] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalidParameter(`Invalid value '${raw}' for path parameter '${name}'.`);
  }
}
