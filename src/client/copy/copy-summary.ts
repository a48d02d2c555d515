/** What a copy did, counted as it goes: what arrived on the destination, and what was there already. */
export interface CopySummary {
  experiments: { copied: number; skipped: number };
  runs: { copied: number; resumed: number; skipped: number };
  metricPoints: number;
  params: number;
  tags: number;
  datasets: number;
  artifacts: { files: number; bytes: number; skipped: number };
  loggedModels: { copied: number; skipped: number };
  registeredModels: { copied: number; skipped: number };
  versions: { copied: number; skipped: number };
  /** What could not be copied, one sentence each (the copy goes on without it). */
  notes: string[];
}

export function emptySummary(): CopySummary {
  return {
    experiments: { copied: 0, skipped: 0 },
    runs: { copied: 0, resumed: 0, skipped: 0 },
    metricPoints: 0,
    params: 0,
    tags: 0,
    datasets: 0,
    artifacts: { files: 0, bytes: 0, skipped: 0 },
    loggedModels: { copied: 0, skipped: 0 },
    registeredModels: { copied: 0, skipped: 0 },
    versions: { copied: 0, skipped: 0 },
    notes: [],
  };
}

/** True when the copy found everything on the destination already. */
export function copiedNothing(summary: CopySummary): boolean {
  return (
    summary.experiments.copied + summary.runs.copied + summary.runs.resumed + summary.metricPoints + summary.params + summary.tags + summary.datasets +
      summary.artifacts.files + summary.loggedModels.copied + summary.registeredModels.copied + summary.versions.copied ===
    0
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The summary in a few lines, for the CLI's stderr and VS Code's notification. */
export function formatSummary(summary: CopySummary): string[] {
  const { experiments, runs, artifacts, loggedModels, registeredModels, versions } = summary;
  return [
    `experiments: ${experiments.copied} copied, ${experiments.skipped} already there`,
    `runs: ${runs.copied} copied, ${runs.resumed} finished from an earlier copy, ${runs.skipped} already there`,
    `metric points: ${summary.metricPoints}, params: ${summary.params}, dataset inputs: ${summary.datasets}`,
    `artifacts: ${artifacts.files} files (${formatBytes(artifacts.bytes)}) copied, ${artifacts.skipped} already there`,
    `logged models: ${loggedModels.copied} copied, ${loggedModels.skipped} already there`,
    `registered models: ${registeredModels.copied} copied, ${registeredModels.skipped} already there; versions: ${versions.copied} copied, ${versions.skipped} already there`,
    ...summary.notes.map((note) => `note: ${note}`),
  ];
}
