import type { IncomingMessage, ServerResponse } from 'node:http';
import { MlflowError, type ErrorCode } from '../store/errors';

/** HTTP status for each MLflow error code, as the reference server maps them. */
const statusOf: Record<ErrorCode | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'ENDPOINT_NOT_FOUND', number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  INVALID_STATE: 400, // the reference answers 500, which the client retries for minutes: a user error is 4xx
  INTERNAL_ERROR: 500,
};

/** An error that carries its own HTTP status (auth, method, size): still MLflow's body shape. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Largest JSON body accepted; the client chunks log-batch to well under 1 MB. */
export const MAX_JSON_BODY = 16 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'INVALID_PARAMETER_VALUE', `Request body is larger than the limit of ${limit} bytes.`);
}

/** The JSON object of a request: its body for POST/PATCH/DELETE (empty = {}), its query for GET. */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, MAX_JSON_BODY);
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
    // Very old clients posted a JSON string holding the JSON.
    if (typeof parsed === 'string') parsed = JSON.parse(parsed);
  } catch {
    throw new MlflowError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MlflowError('BAD_REQUEST', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** JSON.stringify turns NaN and ±Infinity into null; MLflow's wire carries them as strings. */
function encodeNonFinite(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  return value;
}

/** JSON text in MLflow's wire form (non-finite doubles as strings). */
export function toJson(body: unknown): string {
  return JSON.stringify(body, encodeNonFinite);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = toJson(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof MlflowError) {
    sendJson(res, statusOf[error.code] ?? 400, { error_code: error.code, message: error.message });
  } else if (error instanceof HttpError) {
    sendJson(res, error.status, { error_code: error.code, message: error.message });
  } else {
    const message = error instanceof Error ? error.message : String(error);
    sendJson(res, 500, { error_code: 'INTERNAL_ERROR', message: `Internal error: ${message}` });
  }
}
