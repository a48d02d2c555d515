/**
 * After a launched script ends: finds the runs it made (by the launch tag), gives the launch one run to hang
 * its output on (the script's only run, the parent of a sweep, or a new one when it made none), uploads the
 * output log there and sets the status from the exit code. Works through the REST client only, so the same
 * code records a launch into Runboard's server and into a remote `mlflow server`. No `vscode` import.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { KeyValue, RunStatus } from '../../api/wire';
import type { MlflowClient, Run } from '../../client/mlflow-client';
import { proxiedFilePath } from '../artifact-paths';
import type { ProcessOutcome } from './process';
import { COMMAND_LINE_TAG, EXIT_CODE_TAG, LAUNCH_TAG, LOG_ARTIFACT, scriptRunName } from './launch-spec';

const PARENT_TAG = 'mlflow.parentRunId';

export interface LaunchRecord {
  readonly launchId: string;
  readonly script: string;
  readonly commandLine: string;
  readonly experimentName: string;
  readonly startTime: number;
  readonly endTime: number;
  readonly logPath: string;
  readonly outcome: ProcessOutcome;
}

export interface RecordedLaunch {
  /** The run that carries the launch's log and exit status. */
  readonly runId: string;
  readonly experimentId: string;
  readonly status: RunStatus;
  /** Every run of the launch, the main one included. */
  readonly runIds: readonly string[];
  /** What went wrong while recording but did not stop it (e.g. a server that stores artifacts elsewhere). */
  readonly warnings: readonly string[];
}

/** Exit code 0 → FINISHED, any other → FAILED, stopped by the user → KILLED. */
export function statusOf(outcome: ProcessOutcome): RunStatus {
  if (outcome.stopped) return 'KILLED';
  return outcome.exitCode === 0 ? 'FINISHED' : 'FAILED';
}

export async function recordLaunch(client: MlflowClient, record: LaunchRecord): Promise<RecordedLaunch> {
  const status = statusOf(record.outcome);
  const warnings: string[] = [];
  const runs = await findLaunchRuns(client, record.launchId);
  const main = await mainRun(client, record, runs);
  const ids = new Set(runs.map((run) => run.info.run_id));

  const existing = new Map(main.data.tags.map((tag) => [tag.key, tag.value]));
  const gitCommit = existing.has('mlflow.source.git.commit') ? undefined : await gitHead(dirname(record.script));
  const tags: KeyValue[] = [
    { key: LAUNCH_TAG, value: record.launchId },
    { key: COMMAND_LINE_TAG, value: record.commandLine },
    { key: EXIT_CODE_TAG, value: exitDescription(record.outcome) },
  ];
  const defaults: KeyValue[] = [
    { key: 'mlflow.source.name', value: record.script },
    { key: 'mlflow.source.type', value: 'LOCAL' },
    { key: 'mlflow.user', value: safeUser() },
    ...(gitCommit ? [{ key: 'mlflow.source.git.commit', value: gitCommit }] : []),
  ];
  for (const tag of [...tags, ...defaults.filter((tag) => !existing.has(tag.key))]) await client.setTag(main.info.run_id, tag.key, tag.value);

  const storagePath = proxiedFilePath(main.info.artifact_uri ?? '', LOG_ARTIFACT);
  if (storagePath === undefined) {
    warnings.push(`The server stores this run's artifacts at ${main.info.artifact_uri}, which Runboard cannot upload to; the output log stays at ${record.logPath}.`);
  } else {
    await client.uploadProxiedArtifact(storagePath, await readFile(record.logPath));
  }

  // The client's atexit (or its `with` block) may have ended the run already: the exit code decides the
  // status; an end time the script recorded itself is kept.
  await client.updateRun(main.info.run_id, { status, endTime: main.info.end_time || record.endTime });
  for (const run of runs) {
    if (run.info.run_id === main.info.run_id || run.info.status !== 'RUNNING') continue;
    // A trial cut off by the stop or the crash: it did not finish either.
    await client.updateRun(run.info.run_id, { status: status === 'FINISHED' ? 'FINISHED' : status, endTime: record.endTime });
  }
  ids.add(main.info.run_id);
  return { runId: main.info.run_id, experimentId: main.info.experiment_id, status, runIds: [...ids], warnings };
}

/** Every active run tagged with this launch, in any experiment (the script may choose its own). */
export async function findLaunchRuns(client: MlflowClient, launchId: string): Promise<Run[]> {
  const experimentIds: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.searchExperiments({ maxResults: 1000, pageToken });
    experimentIds.push(...page.items.map((experiment) => experiment.experiment_id));
    pageToken = page.nextPageToken;
  } while (pageToken);
  const runs: Run[] = [];
  // MLflow servers cap the experiments of one search at 100.
  for (let i = 0; i < experimentIds.length; i += 100) {
    let runToken: string | undefined;
    do {
      const page = await client.searchRuns({ experimentIds: experimentIds.slice(i, i + 100), filter: `tags.\`${LAUNCH_TAG}\` = '${launchId}'`, maxResults: 1000, pageToken: runToken });
      runs.push(...page.items);
      runToken = page.nextPageToken;
    } while (runToken);
  }
  return runs;
}

/** The script's only run; else the one run all others descend from; else a new parent of the top-level runs. */
async function mainRun(client: MlflowClient, record: LaunchRecord, runs: Run[]): Promise<Run> {
  if (runs.length === 1) return runs[0]!;
  const ids = new Set(runs.map((run) => run.info.run_id));
  const parentOf = (run: Run) => run.data.tags.find((tag) => tag.key === PARENT_TAG)?.value;
  const topLevel = runs.filter((run) => {
    const parent = parentOf(run);
    return parent === undefined || !ids.has(parent);
  });
  if (topLevel.length === 1) return topLevel[0]!;
  const experimentId = topLevel[0]?.info.experiment_id ?? (await experimentIdOf(client, record.experimentName));
  const created = await client.createRun({ experimentId, runName: scriptRunName(record.script), startTime: record.startTime, tags: [{ key: LAUNCH_TAG, value: record.launchId }] });
  for (const run of topLevel) await client.setTag(run.info.run_id, PARENT_TAG, created.run_id);
  return client.getRun(created.run_id);
}

/** The experiment the launch was told to use; created when the script never logged into it. */
async function experimentIdOf(client: MlflowClient, name: string): Promise<string> {
  const experiment = await client.getExperimentByName(name);
  return experiment?.experiment_id ?? (await client.createExperiment(name));
}

function exitDescription(outcome: ProcessOutcome): string {
  if (outcome.spawnError) return 'not started';
  if (outcome.exitCode !== null) return String(outcome.exitCode);
  return outcome.signal ?? 'unknown';
}

/** The commit checked out where the script lives; undefined outside a git repository or without git. */
export async function gitHead(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: dir, timeout: 5_000 });
    const commit = stdout.trim();
    return /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}
