// Types of make-stores.mjs for the TypeScript tests.
export type StoreKind = 'mlflow3-sqlite' | 'mlflow2-sqlite' | 'mlflow3-filestore';

export interface FixtureStore {
  readonly kind: StoreKind;
  /** The folder holding mlflow.db + mlruns/ (artifacts), or mlruns/ (the file store). */
  readonly dir: string;
  /** What the mlflow client takes: sqlite:///DIR/mlflow.db or file://DIR/mlruns. */
  readonly trackingUri: string;
  /** What `mlflow server --backend-store-uri` takes (the same URI). */
  readonly backendStoreUri: string;
  /** The interpreter of the client that wrote the store (serve it with that venv's mlflow). */
  readonly python: string;
  readonly mlflowVersion: string;
  /** The seed's experiments by name: their ids in this store. */
  readonly experiments: Record<string, string>;
  /** How many runs the seed logged (one of them deleted). */
  readonly runs: number;
}

export const STORE_KINDS: Record<StoreKind, { venv: string; lock: string; layout: 'sqlite' | 'filestore'; setup?: string }>;
export function pythonOf(kind: StoreKind): string;
export function makeStore(kind: StoreKind, dir: string): Promise<FixtureStore>;
