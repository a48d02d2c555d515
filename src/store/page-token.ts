import { invalidParameter } from './errors';

/** Opaque page tokens: base64 JSON. Clients pass them back verbatim with the same query. */
export function encodePageToken(state: Record<string, number | string>): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64');
}

export function decodePageToken(token: string): Record<string, unknown> {
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalidParameter(`Invalid page token, could not base64-decode: '${token.slice(0, 100)}'`);
  }
  if (state === null || typeof state !== 'object' || Array.isArray(state)) {
    throw invalidParameter(`Invalid page token '${token.slice(0, 100)}'.`);
  }
  return state as Record<string, unknown>;
}

/** Offset tokens for searches: a non-negative integer offset or an invalid-token error. */
export function decodeOffsetToken(token: string | undefined): number {
  if (!token) return 0;
  const { offset } = decodePageToken(token);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalidParameter(`Invalid page token '${token.slice(0, 100)}': no valid offset.`);
  }
  return offset;
}
