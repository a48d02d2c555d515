/**
 * The custom requests between the Python language server (src/language) and the extension host
 * (src/extension/language): the server knows the code, the extension host knows the backend. Every
 * request answers `null` while no backend is ready, so the server then says nothing rather than guess.
 */

/** One run of a script, trimmed to what lenses show. Metrics are the latest value of each key. */
export interface ScriptRun {
  readonly runId: string;
  readonly runName: string | undefined;
  readonly status: string;
  readonly startTime: number | undefined;
  /** `mlflow.parentRunId`: set on sweep trials and other nested runs. */
  readonly parentRunId: string | undefined;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Runs whose `mlflow.source.name` is the script, newest first; `truncated` when there were more. */
export interface ScriptRunsResult {
  readonly runs: readonly ScriptRun[];
  readonly truncated: boolean;
}

export interface RunSummary {
  readonly runId: string;
  readonly runName: string | undefined;
  readonly status: string;
  readonly lifecycleStage: string;
  readonly experimentId: string;
  readonly experimentName: string | undefined;
  readonly startTime: number | undefined;
  readonly metrics: Readonly<Record<string, number>>;
  readonly paramCount: number;
}

export interface ModelVersionSummary {
  readonly name: string;
  readonly version: string;
  readonly stage: string;
  readonly aliases: readonly string[];
  readonly runId: string | undefined;
  readonly source: string | undefined;
  readonly status: string | undefined;
}

/** A registered model and its versions (newest first), or `exists: false`. */
export type ModelSummary =
  | { readonly exists: true; readonly name: string; readonly description: string | undefined; readonly versions: readonly ModelVersionSummary[]; readonly truncated: boolean }
  | { readonly exists: false; readonly name: string };

export type ExperimentSummary =
  | {
      readonly exists: true;
      readonly name: string;
      readonly experimentId: string;
      readonly lifecycleStage: string;
      /** Runs counted up to a page; `runCountIsLowerBound` when there are more. */
      readonly runCount: number;
      readonly runCountIsLowerBound: boolean;
      readonly lastRun: { readonly runId: string; readonly runName: string | undefined; readonly status: string; readonly startTime: number | undefined } | undefined;
    }
  | { readonly exists: false; readonly name: string };

export interface KeysResult {
  readonly metrics: readonly string[];
  readonly params: readonly string[];
}

/** Requests the language server sends to the extension host. */
export const LanguageRequests = {
  /** Params `{ uri }` (the script's document URI) → ScriptRunsResult | null. */
  scriptRuns: 'runboard/scriptRuns',
  /** Params `{ runId }` → RunSummary | null; a run that does not exist answers `{ missing: true }`. */
  run: 'runboard/run',
  /** Params `{ name }` → ModelSummary | null. */
  model: 'runboard/model',
  /** Params `{ name }` → ExperimentSummary | null. */
  experiment: 'runboard/experiment',
  /** Params `{}` → string[] | null: the active experiments' names. */
  experimentNames: 'runboard/experimentNames',
  /** Params `{}` → string[] | null: the registered models' names. */
  modelNames: 'runboard/modelNames',
  /** Params `{ experimentName? }` → KeysResult | null: keys of that experiment's recent runs, or of all recent runs. */
  keys: 'runboard/keys',
} as const;

export interface ScriptRunsParams {
  readonly uri: string;
}
export interface RunParams {
  readonly runId: string;
}
export type RunResult = RunSummary | { readonly missing: true; readonly runId: string };
export interface NameParams {
  readonly name: string;
}
export interface KeysParams {
  readonly experimentName?: string;
}

/** Notifications the extension host sends to the language server. */
export const LanguageNotifications = {
  /**
   * The backend's data changed (runs logged, models registered), or the backend itself changed: drop
   * what was asked before, refresh lenses and diagnostics. Params `{}`.
   */
  dataChanged: 'runboard/dataChanged',
} as const;

/** Commands the lenses run (registered by the extension). */
export const LensCommands = {
  runScript: 'runboard.runScript',
  debugScript: 'runboard.debugScript',
  openRunDetails: 'runboard.openRunDetails',
  openMetricChart: 'runboard.openMetricChart',
  compareRuns: 'runboard.compareRuns',
  openSweep: 'runboard.openSweep',
} as const;
