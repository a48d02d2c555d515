import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { decodeFully, type ArtifactStore } from '../store/artifacts';
import { MlflowError } from '../store/errors';
import { HttpError } from './http';
import type { RequestContext, Router } from './router';

/** The client talks to `/api/2.0`, MLflow's web UI to `/ajax-api/2.0`: both serve the same routes. */
const PREFIXES = ['/api/2.0', '/ajax-api/2.0'] as const;

/**
 * The `mlflow-artifacts` proxy service (reference §2.4, §4.9, §8.2): upload, download, list and delete files
 * under the artifact store. Multipart uploads answer 501, which makes the client fall back to a single PUT.
 */
export function addArtifactRoutes(router: Router, artifacts: ArtifactStore): void {
  for (const prefix of PREFIXES) {
    const base = `${prefix}/mlflow-artifacts`;
    router.add('PUT', `${base}/artifacts/*`, (ctx) => upload(artifacts, ctx));
    router.add('GET', `${base}/artifacts/*`, (ctx) => download(artifacts, ctx));
    router.add('GET', `${base}/artifacts`, (ctx) => list(artifacts, ctx));
    router.add('DELETE', `${base}/artifacts/*`, (ctx) => remove(artifacts, ctx));
    for (const step of ['create', 'complete', 'abort']) {
      router.add('POST', `${base}/mpu/${step}/*`, (ctx) => multipartUnsupported(artifacts, ctx));
    }
  }
}

async function upload(artifacts: ArtifactStore, ctx: RequestContext): Promise<object> {
  try {
    await artifacts.write(ctx.tail, ctx.req);
  } catch (error) {
    // The client went away mid-body: the store has removed the partial file and nobody reads this answer,
    // but it should not count as a server fault (500) in logs.
    if (isClientAbort(error)) {
      throw new MlflowError('BAD_REQUEST', 'The upload was interrupted before the whole body arrived.');
    }
    throw error;
  }
  return {};
}

function isClientAbort(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

async function download(artifacts: ArtifactStore, ctx: RequestContext): Promise<undefined> {
  const { stream, size } = await artifacts.openRead(ctx.tail);
  // The name the client meant, decoded exactly as the store decoded it to find the file.
  const filename = path.posix.basename(decodeFully(ctx.tail));
  ctx.res.writeHead(200, {
    'Content-Type': guessContentType(filename),
    'Content-Length': size,
    'Content-Disposition': contentDisposition(filename),
    // Always an attachment, never sniffed, and sandboxed if opened anyway: artifacts are untrusted content on
    // the server's origin (an uploaded .svg or .html must not run script there).
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
  });
  try {
    await pipeline(stream, ctx.res);
  } catch {
    // Headers are gone, so no error body can follow: cut the connection so the client sees a short read
    // rather than a silently truncated file. pipeline has already destroyed both streams; this is explicit.
    ctx.res.destroy();
  }
  return undefined;
}

async function list(artifacts: ArtifactStore, ctx: RequestContext): Promise<object> {
  const files = await artifacts.list(ctx.url.searchParams.get('path') ?? '');
  // MLflow omits an empty repeated field, so an empty or missing directory answers `{}`.
  return files.length > 0 ? { files } : {};
}

async function remove(artifacts: ArtifactStore, ctx: RequestContext): Promise<object> {
  try {
    await artifacts.delete(ctx.tail);
  } catch (error) {
    // MLflow's delete is idempotent: deleting what is not there succeeds.
    if (!(error instanceof MlflowError && error.code === 'RESOURCE_DOES_NOT_EXIST')) throw error;
  }
  return {};
}

function multipartUnsupported(artifacts: ArtifactStore, ctx: RequestContext): never {
  // As MLflow: an unsafe path is reported as such before the missing feature.
  artifacts.resolve(ctx.tail);
  throw new HttpError(501, 'NOT_IMPLEMENTED', 'Multipart upload is not supported for the current artifact repository');
}

/**
 * MLflow's choice (mlflow/utils/mime_type_utils.py): text-like extensions and the extension-less MLmodel and
 * mlproject files are text/plain; otherwise the registered type; otherwise binary.
 */
const TEXT_EXTENSIONS = new Set(
  'txt log err cfg conf cnf cf ini properties prop hocon toml yaml yml xml json js py py3 csv tsv md rst ipynb'.split(' '),
);
const TEXT_FILE_NAMES = new Set(['MLmodel', 'mlproject']);

/** The types Python's mimetypes gives for artifacts commonly logged. HTML is deliberately plain text. */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  html: 'text/plain',
  htm: 'text/plain',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  mp4: 'video/mp4',
  wav: 'audio/x-wav',
};

export function guessContentType(filename: string): string {
  // Python's splitext: leading dots belong to the name (`.bashrc` has no extension).
  const stem = filename.replace(/^\.+/, '');
  const dot = stem.lastIndexOf('.');
  const extension = dot >= 0 ? stem.slice(dot + 1) : '';
  if (extension === '' ? TEXT_FILE_NAMES.has(filename) : TEXT_EXTENSIONS.has(extension.toLowerCase())) {
    return 'text/plain';
  }
  return TYPES_BY_EXTENSION[extension.toLowerCase()] ?? 'application/octet-stream';
}

/** RFC 6266 token characters: such a name goes unquoted, as MLflow (werkzeug) sends it. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * `attachment; filename=…` the way MLflow writes it: a bare token when possible, else a quoted string with
 * `\` and `"` escaped; a non-ASCII name adds an RFC 5987 `filename*` and an ASCII fallback.
 */
export function contentDisposition(filename: string): string {
  if (/^[\x20-\x7e]*$/.test(filename)) return `attachment; filename=${quoteHeaderValue(filename)}`;
  const fallback = filename.normalize('NFKD').replace(/[^\x20-\x7e]/g, '') || 'download';
  return `attachment; filename=${quoteHeaderValue(fallback)}; filename*=UTF-8''${encodeRfc5987(filename)}`;
}

function quoteHeaderValue(value: string): string {
  if (TOKEN.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** RFC 5987 attr-char kept, every other UTF-8 byte percent-encoded. */
function encodeRfc5987(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[0-9A-Za-z!#$&+\-.^_`|~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
