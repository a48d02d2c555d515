/**
 * The MLflow REST routes, shared by the server (which serves them) and the client (which calls them).
 * Paths are relative to a version prefix; every route is served under both prefixes.
 */
export const API_PREFIXES = ['/api/2.0', '/ajax-api/2.0'] as const;

export const ROUTES = {
  experiments: {
    create: '/mlflow/experiments/create',
    get: '/mlflow/experiments/get',
    getByName: '/mlflow/experiments/get-by-name',
    search: '/mlflow/experiments/search',
    delete: '/mlflow/experiments/delete',
    restore: '/mlflow/experiments/restore',
    update: '/mlflow/experiments/update',
    setTag: '/mlflow/experiments/set-experiment-tag',
    deleteTag: '/mlflow/experiments/delete-experiment-tag',
  },
  runs: {
    create: '/mlflow/runs/create',
    get: '/mlflow/runs/get',
    update: '/mlflow/runs/update',
    delete: '/mlflow/runs/delete',
    restore: '/mlflow/runs/restore',
    search: '/mlflow/runs/search',
    logMetric: '/mlflow/runs/log-metric',
    logParam: '/mlflow/runs/log-parameter',
    setTag: '/mlflow/runs/set-tag',
    deleteTag: '/mlflow/runs/delete-tag',
    logBatch: '/mlflow/runs/log-batch',
    logInputs: '/mlflow/runs/log-inputs',
    logOutputs: '/mlflow/runs/outputs',
  },
  metrics: {
    history: '/mlflow/metrics/get-history',
    historyBulkInterval: '/mlflow/metrics/get-history-bulk-interval',
    historyBulk: '/mlflow/metrics/get-history-bulk',
  },
  loggedModels: {
    create: '/mlflow/logged-models',
    search: '/mlflow/logged-models/search',
    one: '/mlflow/logged-models/{model_id}',
    tags: '/mlflow/logged-models/{model_id}/tags',
    tag: '/mlflow/logged-models/{model_id}/tags/{tag_key}',
    params: '/mlflow/logged-models/{model_id}/params',
  },
  registeredModels: {
    create: '/mlflow/registered-models/create',
    get: '/mlflow/registered-models/get',
    rename: '/mlflow/registered-models/rename',
    update: '/mlflow/registered-models/update',
    delete: '/mlflow/registered-models/delete',
    search: '/mlflow/registered-models/search',
    latestVersions: '/mlflow/registered-models/get-latest-versions',
    setTag: '/mlflow/registered-models/set-tag',
    deleteTag: '/mlflow/registered-models/delete-tag',
    alias: '/mlflow/registered-models/alias',
  },
  modelVersions: {
    create: '/mlflow/model-versions/create',
    get: '/mlflow/model-versions/get',
    update: '/mlflow/model-versions/update',
    delete: '/mlflow/model-versions/delete',
    search: '/mlflow/model-versions/search',
    transitionStage: '/mlflow/model-versions/transition-stage',
    downloadUri: '/mlflow/model-versions/get-download-uri',
    setTag: '/mlflow/model-versions/set-tag',
    deleteTag: '/mlflow/model-versions/delete-tag',
  },
  artifacts: {
    listRun: '/mlflow/artifacts/list',
    proxy: '/mlflow-artifacts/artifacts',
  },
} as const;

/** The tracking URI's artifact scheme: `mlflow-artifacts:/<path>` resolves against the tracking server. */
export const PROXIED_ARTIFACT_SCHEME = 'mlflow-artifacts:';
