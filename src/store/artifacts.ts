import { randomUUID } from 'node:crypto';
import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter, notFound, MlflowError } from './errors';

/** One entry of a directory listing, as MLflow's `FileInfo` (a basename; directories carry no size). */
export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/**
 * Uploads are staged under this prefix next to their destination and renamed into place. Entries with it
 * are hidden from listings and refused as paths, so nobody can read, list or overwrite a half-written file.
 */
const UPLOAD_PREFIX = '.runboard-upload.';

/** A percent-encoded path that still changes after this many decodings is hostile, not a file name. */
const MAX_DECODE_ROUNDS = 10;

const invalidPath = (): MlflowError => invalidParameter('Invalid path');

/**
 * Files of the `mlflow-artifacts` proxy, stored under one root directory: `mlflow-artifacts:/3/<run>/artifacts/x`
 * lives at `<root>/3/<run>/artifacts/x`. Every method takes the path relative to the root as received on the wire
 * (percent-encoded) and refuses anything that could name a file outside the root, symlinks included.
 *
 * Symlink checks and the following file operation are not atomic; like MLflow we accept that window, since
 * planting a symlink inside the root already requires write access to it.
 */
export class ArtifactStore {
  private readonly root: string;
  private realRootPromise: Promise<string> | undefined;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  /**
   * The absolute storage path of `relPath` (percent-encoded, relative to the root; '' is the root itself).
   * Lexical checks only; the operations below also check where symlinks lead.
   */
  resolve(relPath: string): string {
    const decoded = decodeFully(relPath);
    if (!isSafeRelativePath(decoded)) throw invalidPath();
    const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.some((s) => s === '..' || s.startsWith(UPLOAD_PREFIX))) throw invalidPath();
    const absolute = path.join(this.root, ...segments);
    // Belt and braces for platform quirks the lexical checks might miss (e.g. drive-relative segments on Windows).
    if (!isInside(this.root, absolute)) throw invalidPath();
    return absolute;
  }

  /** One directory level, sorted by name. A missing directory, or a file, lists as []: never an error. */
  async list(relDir: string): Promise<FileInfo[]> {
    const dir = await this.locate(relDir);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const infos = await Promise.all(
      entries.filter((e) => !e.name.startsWith(UPLOAD_PREFIX)).map((e) => this.describe(dir, e)),
    );
    return infos.filter((info): info is FileInfo => info !== undefined).sort((a, b) => compare(a.path, b.path));
  }

  /** A stream of one file's bytes and its size; the stream closes the file when it ends or is destroyed. */
  async openRead(relPath: string): Promise<{ stream: Readable; size: number }> {
    const file = await this.locate(relPath);
    let handle: FileHandle;
    try {
      // O_NONBLOCK so a FIFO planted in the root cannot hang the request; it has no effect on regular files.
      handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    } catch (error) {
      if (isMissing(error)) throw noSuchArtifact(relPath);
      if (errnoOf(error) === 'EISDIR') throw isADirectory(relPath);
      throw error;
    }
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw isADirectory(relPath);
      if (!info.isFile()) throw noSuchArtifact(relPath);
      return { stream: handle.createReadStream(), size: info.size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Streams `source` into a staging file beside the destination, then renames it into place: readers see the
   * old file or the whole new one, and a failed or aborted upload leaves nothing behind.
   */
  async write(relPath: string, source: Readable): Promise<void> {
    const file = await this.locate(relPath);
    if (file === this.root) throw invalidPath();
    const dir = path.dirname(file);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EEXIST' || code === 'ENOTDIR') {
        throw invalidParameter(`Cannot write artifact '${decodeFully(relPath)}': a parent path is a file.`);
      }
      throw error;
    }
    // mkdir may have walked through a symlink that appeared after locate(): check the real parent again.
    await this.assertRealInside(dir);
    if ((await statOrUndefined(file))?.isDirectory()) {
      throw invalidParameter(`Cannot write artifact '${decodeFully(relPath)}': it is a directory.`);
    }

    const staging = path.join(dir, UPLOAD_PREFIX + randomUUID());
    // Open before piping so the staging file surely exists when a failure below removes it.
    const handle = await open(staging, 'wx');
    try {
      await pipeline(source, handle.createWriteStream());
      await rename(staging, file);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(staging, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** Removes a file or a whole directory tree. The root itself cannot be deleted. */
  async delete(relPath: string): Promise<void> {
    const target = await this.locate(relPath);
    if (target === this.root) throw invalidPath();
    if ((await lstatOrUndefined(target)) === undefined) throw noSuchArtifact(relPath);
    // rm does not follow symlinks inside the tree: links are removed, never their targets.
    await rm(target, { recursive: true });
  }

  /** resolve() plus the check that symlinks along the path stay inside the root. */
  private async locate(relPath: string): Promise<string> {
    const absolute = this.resolve(relPath);
    await this.assertRealInside(absolute);
    return absolute;
  }

  /**
   * Refuses `absolute` when its real location (or, for a path that does not exist yet, the real location of
   * its deepest existing ancestor) is outside the real root.
   */
  private async assertRealInside(absolute: string): Promise<void> {
    const realRoot = await this.realRoot();
    for (let probe = absolute; ; probe = path.dirname(probe)) {
      const real = await realpathOrUndefined(probe);
      if (real !== undefined) {
        if (!isInside(realRoot, real)) throw invalidPath();
        return;
      }
      if (probe === this.root) return;
    }
  }

  /** The root's real path, creating the root on first use so that it always exists for the checks above. */
  private realRoot(): Promise<string> {
    if (this.realRootPromise === undefined) {
      const pending = mkdir(this.root, { recursive: true }).then(() => realpath(this.root));
      // A failure (e.g. permissions) is reported to this caller but not cached: the next call tries again.
      pending.catch(() => (this.realRootPromise = undefined));
      this.realRootPromise = pending;
    }
    return this.realRootPromise;
  }

  /** The listing entry for `entry`, or undefined for what is not listed (vanished, special, or leading outside). */
  private async describe(dir: string, entry: Dirent): Promise<FileInfo | undefined> {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      // A link is listed as what it points to, but only when that is inside the root: sizes of outside files
      // are not ours to reveal.
      const real = await realpathOrUndefined(full);
      if (real === undefined || !isInside(await this.realRoot(), real)) return undefined;
    } else if (!entry.isFile() && !entry.isDirectory()) {
      return undefined;
    }
    const info = await statOrUndefined(full);
    if (info?.isDirectory()) return { path: entry.name, is_dir: true };
    if (info?.isFile()) return { path: entry.name, is_dir: false, file_size: info.size };
    return undefined;
  }
}

/**
 * Decodes percent-escapes until the text stops changing, as MLflow's validate_path_is_safe does, so that
 * `%252e%252e` cannot survive as `..`. Like Python's unquote, a `%` that starts no valid escape is kept
 * literally (`100%.txt` is a fine file name), and invalid UTF-8 becomes U+FFFD.
 */
export function decodeFully(text: string): string {
  let current = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = current.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) =>
      Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'),
    );
    if (next === current) return current;
    current = next;
  }
  throw invalidPath();
}

/**
 * MLflow's rules (§6.5) for a decoded path, made strict for every platform: no control characters (NUL would
 * truncate the path in C), no `#`, no backslash, not absolute (`/x`, `C:`, `file:` URIs). `..` segments are
 * refused by resolve(). On Windows a `:` anywhere could name a drive or an alternate data stream.
 */
function isSafeRelativePath(decoded: string): boolean {
  return !(
    hasControlCharacter(decoded) ||
    decoded.includes('#') ||
    decoded.includes('\\') ||
    decoded.startsWith('/') ||
    /^[A-Za-z]:/.test(decoded) ||
    /^file:/i.test(decoded) ||
    (process.platform === 'win32' && decoded.includes(':'))
  );
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || !(relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative));
}

/** Code-point order, as MLflow's Python sort; localeCompare would depend on the host's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function noSuchArtifact(relPath: string): MlflowError {
  return notFound(`No such artifact: '${decodeFully(relPath)}'`);
}

function isADirectory(relPath: string): MlflowError {
  return invalidParameter(`Artifact path refers to a directory, not a file: '${decodeFully(relPath)}'`);
}

function errnoOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** ENOTDIR too: `a.txt/b` under a file `a.txt` is simply missing. */
function isMissing(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The real path of `target`, or undefined when nothing is there. */
async function realpathOrUndefined(target: string): Promise<string | undefined> {
  try {
    return await realpath(target);
  } catch (error) {
    // A dangling symlink is not "nothing": mkdir or open could follow it to create something outside.
    if (isMissing(error) && !(await lstatOrUndefined(target))?.isSymbolicLink()) return undefined;
    // ELOOP, dangling links and friends: a path we cannot resolve is a path we do not serve.
    throw invalidPath();
  }
}

async function lstatOrUndefined(target: string): Promise<Stats | undefined> {
  try {
    return await lstat(target);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function statOrUndefined(target: string): Promise<Stats | undefined> {
  try {
    return await stat(target);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}
