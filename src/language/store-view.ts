import {
  LanguageRequests,
  type ExperimentSummary,
  type KeysResult,
  type ModelSummary,
  type RunResult,
  type ScriptRunsResult,
} from '../api/language-protocol';

/**
 * What the language server may ask the extension host about the backend. Every answer is null while no
 * backend is ready: then features stay silent rather than report things as missing.
 */
export interface StoreView {
  scriptRuns(uri: string): Promise<ScriptRunsResult | null>;
  run(runId: string): Promise<RunResult | null>;
  model(name: string): Promise<ModelSummary | null>;
  experiment(name: string): Promise<ExperimentSummary | null>;
  experimentNames(): Promise<readonly string[] | null>;
  modelNames(): Promise<readonly string[] | null>;
  keys(experimentName: string | undefined): Promise<KeysResult | null>;
}

/** The part of an LSP connection the view needs: sending a request to the client. */
export interface RequestSender {
  sendRequest<R>(method: string, params: unknown): Promise<R>;
}

/** A StoreView over the custom requests; a failed request counts as "no answer" (null). */
export function storeViewOver(sender: RequestSender, onError: (method: string, error: unknown) => void): StoreView {
  const ask = async <R>(method: string, params: unknown): Promise<R | null> => {
    try {
      return await sender.sendRequest<R | null>(method, params);
    } catch (error) {
      onError(method, error);
      return null;
    }
  };
  return {
    scriptRuns: (uri) => ask(LanguageRequests.scriptRuns, { uri }),
    run: (runId) => ask(LanguageRequests.run, { runId }),
    model: (name) => ask(LanguageRequests.model, { name }),
    experiment: (name) => ask(LanguageRequests.experiment, { name }),
    experimentNames: () => ask(LanguageRequests.experimentNames, {}),
    modelNames: () => ask(LanguageRequests.modelNames, {}),
    keys: (experimentName) => ask(LanguageRequests.keys, experimentName === undefined ? {} : { experimentName }),
  };
}
