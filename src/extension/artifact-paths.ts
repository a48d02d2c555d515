/**
 * Pure path logic of the `runboard-artifact:` file system: `runboard-artifact:/<runId>/<path>` ↔ run id and
 * run-relative path, and a run's artifact root → the path the proxied artifact API serves it under.
 * No `vscode` import, so unit tests load it under plain Node.
 */

export const ARTIFACT_SCHEME = 'runboard-artifact';

export interface ArtifactLocation {
  readonly runId: string;
  /** Run-relative, no leading or trailing slash; '' for the run's artifact root. */
  readonly path: string;
}

/** Normalises a run-relative artifact path: no empty, `.` or leading/trailing segments; undefined for `..`. */
export function normalizeArtifactPath(path: string): string | undefined {
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..' || segment.includes('\\'))) return undefined;
  return segments.join('/');
}

/** The URI path of an artifact: `/<runId>` for the root, `/<runId>/<path>` below it. */
export function artifactUriPath(runId: string, path = ''): string {
  const normalized = normalizeArtifactPath(path) ?? '';
  return normalized ? `/${runId}/${normalized}` : `/${runId}`;
}

/** The run and run-relative path of a `runboard-artifact:` URI path; undefined when it names none. */
export function parseArtifactUriPath(uriPath: string): ArtifactLocation | undefined {
  const trimmed = uriPath.replace(/^\/+/, '');
  if (trimmed === '') return undefined;
  const slash = trimmed.indexOf('/');
  const runId = slash === -1 ? trimmed : trimmed.slice(0, slash);
  if (!/^[\w-]+$/.test(runId)) return undefined;
  const path = normalizeArtifactPath(slash === -1 ? '' : trimmed.slice(slash + 1));
  return path === undefined ? undefined : { runId, path };
}

/**
 * `mlflow-artifacts:/1/abc/artifacts` (or `mlflow-artifacts://host/1/abc/artifacts`) → `1/abc/artifacts`:
 * the path the tracking server's proxied artifact API serves. Undefined for any other scheme.
 */
export function proxiedStoragePath(artifactUri: string): string | undefined {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (!match) return undefined;
  return (match[1] ?? '').replace(/\/+$/, '');
}

/** The proxied storage path of one file under a run's artifact root. */
export function proxiedFilePath(artifactUri: string, relativePath: string): string | undefined {
  const root = proxiedStoragePath(artifactUri);
  const path = normalizeArtifactPath(relativePath);
  if (root === undefined || path === undefined) return undefined;
  return [root, path].filter((part) => part !== '').join('/');
}

/** The parent folder of a run-relative path ('' for a top-level entry). */
export function parentPath(path: string): string {
  const index = path.lastIndexOf('/');
  return index === -1 ? '' : path.slice(0, index);
}

/** The scheme of an artifact root, for messages: `s3`, `file`, `gs`... */
export function schemeOf(uri: string): string {
  const match = /^([A-Za-z][\w+.-]*):/.exec(uri);
  return match?.[1] ?? 'local path';
}
