import type { ModelSummary, ModelVersionSummary } from '../api/language-protocol';
import type { ModelTarget } from './model-uri';

/** MLflow's stages; a stage suffix is matched case-insensitively (the server canonicalizes it). */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;

/** The version a `models:/` target loads, or why MLflow would fail to load it. */
export type Resolution = { readonly version: ModelVersionSummary } | { readonly problem: string };

function newest(versions: readonly ModelVersionSummary[]): ModelVersionSummary | undefined {
  return versions.reduce<ModelVersionSummary | undefined>((best, v) => (best === undefined || Number(v.version) > Number(best.version) ? v : best), undefined);
}

export function resolveModelTarget(target: Exclude<ModelTarget, { kind: 'malformed' | 'modelId' }>, model: ModelSummary): Resolution {
  if (!model.exists) return { problem: `Registered model '${model.name}' does not exist on this server.` };
  const listed = model.versions.map((v) => v.version).join(', ');
  switch (target.kind) {
    case 'version': {
      const version = model.versions.find((v) => v.version === target.version);
      if (version) return { version };
      if (model.truncated) return { problem: `Version ${target.version} of '${model.name}' was not among the versions read.` };
      return { problem: `Model '${model.name}' has no version ${target.version}${listed ? ` (it has ${listed})` : ' (it has no versions)'}.` };
    }
    case 'stage': {
      const stage = STAGES.find((s) => s.toLowerCase() === target.stage.toLowerCase());
      if (!stage) return { problem: `'${target.stage}' is not a model stage: MLflow accepts ${STAGES.join(', ')}, 'latest', or a version number.` };
      const version = newest(model.versions.filter((v) => v.stage === stage));
      return version ? { version } : { problem: `No version of '${model.name}' is in stage ${stage}.` };
    }
    case 'latest': {
      const version = newest(model.versions);
      return version ? { version } : { problem: `Model '${model.name}' has no versions yet.` };
    }
    case 'alias': {
      const version = model.versions.find((v) => v.aliases.includes(target.alias));
      if (version) return { version };
      const aliases = [...new Set(model.versions.flatMap((v) => v.aliases))].map((a) => `@${a}`).join(', ');
      return { problem: `Model '${model.name}' has no alias @${target.alias}${aliases ? ` (it has ${aliases})` : ''}.` };
    }
  }
}
