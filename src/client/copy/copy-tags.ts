/**
 * The marks a copy leaves on the destination, so a second copy finds what the first one made (MLflow's REST
 * API cannot choose ids): every copied run, logged model and model version carries the id it came from, and
 * a run carries `complete` once everything of it has arrived. Copies keep their origin through chains of copies
 * (A → B → C all name A's id), so copying back to where something came from finds the thing itself.
 */
export const COPY_TAG_PREFIX = 'runboard.copy.';
export const SOURCE_RUN_TAG = `${COPY_TAG_PREFIX}source_run_id`;
export const COMPLETE_TAG = `${COPY_TAG_PREFIX}complete`;
export const SOURCE_MODEL_TAG = `${COPY_TAG_PREFIX}source_model_id`;
export const SOURCE_VERSION_TAG = `${COPY_TAG_PREFIX}source_version`;
/** A version made only to move the destination's numbering on, deleted at once (see createNumberedVersion). */
export const FILLER_VERSION_TAG = `${COPY_TAG_PREFIX}filler`;

/** MLflow's tag of a nested run's parent: remapped to the parent's copy. */
export const PARENT_RUN_TAG = 'mlflow.parentRunId';

export function isCopyTag(key: string): boolean {
  return key.startsWith(COPY_TAG_PREFIX);
}

export function tagValue(tags: readonly { key: string; value: string }[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.key === key)?.value;
}
