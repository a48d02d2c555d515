import { PROXIED_ARTIFACT_SCHEME } from '../../api/routes';
import type { FileInfo } from '../../api/wire';
import type { MlflowClient } from '../mlflow-client';

/** A file of an artifact tree: its path relative to the tree's root, and its size as the server lists it. */
export interface ArtifactFile {
  path: string;
  size: number;
}

/** Reads one artifact tree (a run's, or a logged model's) on a source server. */
export interface ArtifactReader {
  list(dir: string | undefined): Promise<FileInfo[]>;
  read(path: string): Promise<Uint8Array>;
}

/**
 * The storage path of an `mlflow-artifacts:` URI (`mlflow-artifacts:/a/b` or `mlflow-artifacts://host/a/b`),
 * which the proxy routes take; undefined for any other root (a local path on the server, s3://...).
 */
export function proxiedStoragePath(uri: string | undefined): string | undefined {
  if (!uri?.startsWith(PROXIED_ARTIFACT_SCHEME)) return undefined;
  const rest = uri.slice(PROXIED_ARTIFACT_SCHEME.length);
  const path = rest.startsWith('//') ? rest.slice(2).replace(/^[^/]*/, '') : rest;
  return path.replace(/^\/+|\/+$/g, '');
}

function proxiedReader(client: MlflowClient, root: string): ArtifactReader {
  return {
    list: (dir) => client.listProxiedArtifacts(dir ? `${root}/${dir}` : root),
    read: (path) => client.downloadProxiedArtifact(`${root}/${path}`),
  };
}

/**
 * A run's artifacts on a source: listed with artifacts/list (every MLflow server and Runboard serve it), read
 * through the artifact proxy when the root is `mlflow-artifacts:`, else through `/get-artifact` (mlflow server
 * reads local, s3 and other roots itself: what an `mlflow server` on an existing mlflow.db or mlruns/ has).
 */
export function runArtifactReader(client: MlflowClient, runId: string, artifactUri: string | undefined): ArtifactReader {
  const root = proxiedStoragePath(artifactUri);
  return {
    list: (dir) => client.listArtifacts(runId, dir),
    read: (path) => (root !== undefined ? client.downloadProxiedArtifact(`${root}/${path}`) : client.downloadRunArtifact(runId, path)),
  };
}

/** A logged model's artifacts on a source: through the proxy for `mlflow-artifacts:` roots, else mlflow server's logged-model routes. */
export function loggedModelArtifactReader(client: MlflowClient, modelId: string, artifactUri: string | undefined): ArtifactReader {
  const root = proxiedStoragePath(artifactUri);
  if (root !== undefined) return proxiedReader(client, root);
  return {
    list: (dir) => client.listLoggedModelArtifacts(modelId, dir),
    read: (path) => client.downloadLoggedModelArtifact(modelId, path),
  };
}

/**
 * Every file of a tree, depth first in listing order. Servers list a directory's entries either relative to
 * the root (artifacts/list: `plots/loss.png`) or to the directory (the proxy: `loss.png`); both are taken.
 */
export async function listTree(reader: ArtifactReader, signal?: AbortSignal): Promise<ArtifactFile[]> {
  const files: ArtifactFile[] = [];
  const walk = async (dir: string | undefined): Promise<void> => {
    signal?.throwIfAborted();
    for (const entry of await reader.list(dir)) {
      const path = dir === undefined || entry.path.startsWith(`${dir}/`) ? entry.path : `${dir}/${entry.path}`;
      if (entry.is_dir) await walk(path);
      else files.push({ path, size: Number(entry.file_size ?? 0) });
    }
  };
  await walk(undefined);
  return files;
}

/** Where a copy writes a tree on the destination: under its `mlflow-artifacts:` root, through the proxy. */
export function destinationWriter(client: MlflowClient, artifactUri: string | undefined, what: string): { reader: ArtifactReader; write(path: string, bytes: Uint8Array): Promise<void> } {
  const root = proxiedStoragePath(artifactUri);
  if (root === undefined) {
    throw new Error(
      `The destination keeps the artifacts of ${what} at ${artifactUri ?? '(no artifact URI)'}, which cannot be written through its REST API. ` +
        'Copy into a server that proxies artifacts (Runboard, or `mlflow server --serve-artifacts`).',
    );
  }
  return { reader: proxiedReader(client, root), write: (path, bytes) => client.uploadProxiedArtifact(`${root}/${path}`, bytes) };
}
