/**
 * How Runboard's own server tells which runs one launch of a script made: the launched script's tracking URI
 * carries a per-launch path (`http://127.0.0.1:PORT/launch/<id>`), every request under it is served as if
 * the prefix were not there, and a run created through it is tagged with the launch's id. The same tag
 * also reaches runs through MLFLOW_RUN_CONTEXT (the fluent API's context tags), which works on any MLflow
 * server; the path covers runs the fluent API does not make, such as `MlflowClient().create_run`.
 */

/** The tag that names the launch a run came from. */
export const LAUNCH_TAG = 'runboard.launch';

const LAUNCH_ID = /^[0-9a-f]{16}$/;
const PREFIX = '/launch/';

/** The tracking URI a launch's script gets from Runboard's own server at `serverUrl`. */
export function launchTrackingUri(serverUrl: string, launchId: string): string {
  if (!LAUNCH_ID.test(launchId)) throw new Error(`Not a launch id: ${launchId}`);
  return `${serverUrl.replace(/\/+$/, '')}${PREFIX}${launchId}`;
}

/** `/launch/<id>/api/2.0/...` → the launch's id and `/api/2.0/...`; any other path is returned as it is. */
export function splitLaunchPath(pathname: string): { launchId?: string; pathname: string } {
  if (!pathname.startsWith(PREFIX)) return { pathname };
  const end = pathname.indexOf('/', PREFIX.length);
  const id = pathname.slice(PREFIX.length, end === -1 ? undefined : end);
  if (!LAUNCH_ID.test(id)) return { pathname };
  return { launchId: id, pathname: end === -1 ? '/' : pathname.slice(end) };
}
