import * as vscode from 'vscode';
import { MlflowApiError, type MlflowClient } from '../client/mlflow-client';
import type { FileInfo } from '../api/wire';
import { ARTIFACT_SCHEME, artifactUriPath, parentPath, parseArtifactUriPath, proxiedFilePath, schemeOf, type ArtifactLocation } from './artifact-paths';
import type { Services } from './services';
import { baseName, fileSizeOf } from './trees/format';

export { ARTIFACT_SCHEME } from './artifact-paths';

/** How long one directory listing answers stat/readDirectory before it is asked again. */
const LISTING_TTL_MS = 5000;

/** `runboard-artifact:/<runId>/<path>`: what the tree's artifact rows open. */
export function artifactUri(runId: string, path = ''): vscode.Uri {
  return vscode.Uri.from({ scheme: ARTIFACT_SCHEME, path: artifactUriPath(runId, path) });
}

/** The run and path of a `runboard-artifact:` URI, or undefined. */
export function artifactLocation(uri: vscode.Uri): ArtifactLocation | undefined {
  return uri.scheme === ARTIFACT_SCHEME ? parseArtifactUriPath(uri.path) : undefined;
}

/**
 * Read-only view of run artifacts through the tracking server: listings via `artifacts/list`, bytes via
 * the proxied artifact API under the run's `mlflow-artifacts:` root. VS Code's own editors (text, JSON,
 * images, CSV, notebooks) open these URIs.
 */
export class ArtifactFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changeEmitter.event;
  private readonly artifactRoots = new Map<string, Promise<string>>();
  private readonly listings = new Map<string, { at: number; files: Promise<FileInfo[]> }>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly services: Services) {
    this.subscription = services.onDidChangeClient(() => this.clear());
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }

  /** Forgets cached listings and roots (a new client may be another server). */
  clear(): void {
    this.artifactRoots.clear();
    this.listings.clear();
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const location = this.locate(uri);
    if (location.path === '') return directoryStat();
    const siblings = await this.list(uri, location.runId, parentPath(location.path));
    const entry = siblings.find((file) => trimSlashes(file.path) === location.path || baseName(file.path) === baseName(location.path));
    if (!entry) throw vscode.FileSystemError.FileNotFound(uri);
    if (entry.is_dir) return directoryStat();
    return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: fileSizeOf(entry.file_size) ?? 0, permissions: vscode.FilePermission.Readonly };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const location = this.locate(uri);
    const files = await this.list(uri, location.runId, location.path);
    return files.map((file) => [baseName(file.path), file.is_dir ? vscode.FileType.Directory : vscode.FileType.File]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const location = this.locate(uri);
    if (location.path === '') throw vscode.FileSystemError.FileIsADirectory(uri);
    const client = this.client();
    const root = await this.artifactRoot(client, location.runId, uri);
    const storagePath = proxiedFilePath(root, location.path);
    if (storagePath !== undefined) {
      try {
        return await client.downloadProxiedArtifact(storagePath);
      } catch (error) {
        throw toFileSystemError(error, uri);
      }
    }
    // Not proxied: a local path next to an mlflow.db or in mlruns/ (an MLflow store opened in Runboard), s3://...
    // MLflow's server reads such roots itself through /get-artifact.
    try {
      return await client.downloadRunArtifact(location.runId, location.path);
    } catch (error) {
      throw vscode.FileSystemError.Unavailable(
        `The tracking server could not serve this artifact from the run's ${schemeOf(root)} storage at ${root} (${error instanceof Error ? error.message : String(error)}); open it with that storage's tools.`,
      );
    }
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('Run artifacts are read-only in Runboard.');
  }

  writeFile(): void {
    throw vscode.FileSystemError.NoPermissions('Run artifacts are read-only in Runboard.');
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions('Run artifacts are read-only in Runboard.');
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('Run artifacts are read-only in Runboard.');
  }

  private locate(uri: vscode.Uri): ArtifactLocation {
    const location = artifactLocation(uri);
    if (!location) throw vscode.FileSystemError.FileNotFound(uri);
    return location;
  }

  private client(): MlflowClient {
    const client = this.services.client;
    if (!client) throw vscode.FileSystemError.Unavailable('The Runboard tracking server is not running. Restart it from the status bar, then open the artifact again.');
    return client;
  }

  private async list(uri: vscode.Uri, runId: string, path: string): Promise<FileInfo[]> {
    const client = this.client();
    const key = `${runId}/${path}`;
    const cached = this.listings.get(key);
    if (cached && Date.now() - cached.at < LISTING_TTL_MS) return cached.files;
    const files = client.listArtifacts(runId, path === '' ? undefined : path);
    this.listings.set(key, { at: Date.now(), files });
    try {
      return await files;
    } catch (error) {
      this.listings.delete(key);
      throw toFileSystemError(error, uri);
    }
  }

  /** A run's artifact_uri never changes: ask once per run. */
  private async artifactRoot(client: MlflowClient, runId: string, uri: vscode.Uri): Promise<string> {
    let root = this.artifactRoots.get(runId);
    if (!root) {
      root = client.getRun(runId).then((run) => run.info.artifact_uri ?? '');
      this.artifactRoots.set(runId, root);
    }
    try {
      return await root;
    } catch (error) {
      this.artifactRoots.delete(runId);
      throw toFileSystemError(error, uri);
    }
  }
}

function directoryStat(): vscode.FileStat {
  return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function toFileSystemError(error: unknown, uri: vscode.Uri): vscode.FileSystemError {
  if (error instanceof vscode.FileSystemError) return error;
  if (error instanceof MlflowApiError) {
    if (error.code === 'RESOURCE_DOES_NOT_EXIST' || error.status === 404) return vscode.FileSystemError.FileNotFound(uri);
    if (error.code === 'PERMISSION_DENIED' || error.code === 'UNAUTHENTICATED') return vscode.FileSystemError.NoPermissions(error.message);
    return vscode.FileSystemError.Unavailable(error.message);
  }
  return vscode.FileSystemError.Unavailable(error instanceof Error ? error.message : String(error));
}

/** Registers the provider read-only; the returned provider is also a Disposable (its caches and events). */
export function registerArtifactFileSystem(services: Services): { provider: ArtifactFileSystemProvider; disposable: vscode.Disposable } {
  const provider = new ArtifactFileSystemProvider(services);
  const registration = vscode.workspace.registerFileSystemProvider(ARTIFACT_SCHEME, provider, { isCaseSensitive: true, isReadonly: true });
  return { provider, disposable: vscode.Disposable.from(registration, provider) };
}
