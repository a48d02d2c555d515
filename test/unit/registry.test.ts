import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ModelVersion } from '../../src/store/entities';
import { MlflowError } from '../../src/store/errors';
import type { ModelRegistry } from '../../src/store/registry';
import { TrackingStore } from '../../src/store/tracking-store';

let dir: string;
let store: TrackingStore;
let registry: ModelRegistry;
let clock: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runboard-registry-'));
  clock = 1_000;
  store = TrackingStore.open(dir, { now: () => clock });
  registry = store.registry;
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function rejects(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MlflowError, `expected an MlflowError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

/** A run and a logged model of it, as log_model leaves them. */
function loggedModel(): { runId: string; modelId: string; artifactUri: string } {
  const run = store.createRun({ experiment_id: '0' });
  const model = store.models.create({ experiment_id: '0', name: 'model', source_run_id: run.info.run_id });
  return { runId: run.info.run_id, modelId: model.info.model_id, artifactUri: model.info.artifact_uri };
}

/** A version registered from a fresh logged model. */
function newVersion(name: string): ModelVersion {
  const { modelId } = loggedModel();
  return registry.createModelVersion({ name, source: `models:/${modelId}`, model_id: modelId });
}

const versionsOf = (page: { items: ModelVersion[] }) => page.items.map((v) => `${v.name}/${v.version}`);

describe('registered models', () => {
  test('create, get, update and tags; description absent until set', () => {
    const created = registry.createRegisteredModel('churn', [{ key: 'team', value: 'ml' }, { key: 'empty', value: '' }]);
    assert.deepEqual(created, {
      name: 'churn',
      creation_timestamp: 1000,
      last_updated_timestamp: 1000,
      latest_versions: [],
      tags: [
        { key: 'empty', value: '' },
        { key: 'team', value: 'ml' },
      ],
      aliases: [],
    });
    clock = 2000;
    const updated = registry.updateRegisteredModel('churn', 'predicts churn');
    assert.equal(updated.description, 'predicts churn');
    assert.equal(updated.creation_timestamp, 1000);
    assert.equal(updated.last_updated_timestamp, 2000);
    registry.setRegisteredModelTag('churn', { key: 'team', value: 'data' });
    registry.deleteRegisteredModelTag('churn', 'empty');
    registry.deleteRegisteredModelTag('churn', 'never-set'); // missing tags are ignored, as in MLflow
    assert.deepEqual(registry.getRegisteredModel('churn').tags, [{ key: 'team', value: 'data' }]);
  });

  test('duplicate names and unknown models are the MLflow errors', () => {
    registry.createRegisteredModel('m');
    rejects(() => registry.createRegisteredModel('m'), 'RESOURCE_ALREADY_EXISTS', /^Registered Model \(name=m\) already exists\.$/);
    rejects(() => registry.getRegisteredModel('nope'), 'RESOURCE_DOES_NOT_EXIST', /^Registered Model with name=nope not found$/);
    rejects(() => registry.setRegisteredModelTag('nope', { key: 'a', value: 'b' }), 'RESOURCE_DOES_NOT_EXIST', /name=nope not found/);
    rejects(() => registry.deleteRegisteredModelTag('nope', 'a'), 'RESOURCE_DOES_NOT_EXIST', /name=nope not found/);
  });

  test('name rules: non-blank, no / or :, no path tricks', () => {
    rejects(() => registry.createRegisteredModel('  '), 'INVALID_PARAMETER_VALUE', /Missing value for required parameter 'name'/);
    rejects(() => registry.createRegisteredModel('a/b'), 'INVALID_PARAMETER_VALUE', /Names cannot contain '\/' or ':'/);
    rejects(() => registry.createRegisteredModel('a:b'), 'INVALID_PARAMETER_VALUE', /Names cannot contain/);
    rejects(() => registry.createRegisteredModel('..x'), 'INVALID_PARAMETER_VALUE', /must not resolve to other names/);
    rejects(() => registry.createRegisteredModel('.'), 'INVALID_PARAMETER_VALUE', /must not resolve to other names/);
    rejects(() => registry.createRegisteredModel('m', [{ key: '../x', value: '' }]), 'INVALID_PARAMETER_VALUE', /'key'/);
    rejects(() => registry.createRegisteredModel('m', [{ key: 'k', value: 'x'.repeat(100_001) }]), 'INVALID_PARAMETER_VALUE', /maximum length of 100000/);
    assert.equal(registry.createRegisteredModel('My Model-1.v2 ünïcode').name, 'My Model-1.v2 ünïcode');
  });

  test('rename moves versions and aliases, bumps timestamps, and refuses a taken name', () => {
    registry.createRegisteredModel('old');
    newVersion('old');
    registry.setAlias('old', 'champion', '1');
    registry.createRegisteredModel('taken');
    rejects(() => registry.renameRegisteredModel('old', 'taken'), 'RESOURCE_ALREADY_EXISTS', /Registered Model \(name=taken\) already exists/);
    rejects(() => registry.renameRegisteredModel('old', ''), 'INVALID_PARAMETER_VALUE', /'new_name'/);
    clock = 5000;
    const renamed = registry.renameRegisteredModel('old', 'new');
    assert.equal(renamed.name, 'new');
    assert.equal(renamed.last_updated_timestamp, 5000);
    assert.deepEqual(renamed.aliases, [{ alias: 'champion', version: '1' }]);
    const version = registry.getModelVersion('new', '1');
    assert.equal(version.name, 'new');
    assert.equal(version.last_updated_timestamp, 5000);
    assert.deepEqual(version.aliases, ['champion']);
    rejects(() => registry.getRegisteredModel('old'), 'RESOURCE_DOES_NOT_EXIST', /name=old not found/);
  });

  test('delete removes versions, tags and aliases; the name is reusable and numbering restarts', () => {
    registry.createRegisteredModel('m', [{ key: 't', value: 'v' }]);
    newVersion('m');
    newVersion('m');
    registry.setAlias('m', 'a', '2');
    registry.deleteRegisteredModel('m');
    rejects(() => registry.getRegisteredModel('m'), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    rejects(() => registry.deleteRegisteredModel('m'), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    assert.deepEqual(versionsOf(registry.searchModelVersions({ filter: "name = 'm'" })), []);
    const again = registry.createRegisteredModel('m');
    assert.deepEqual(again.tags, []);
    assert.deepEqual(again.aliases, []);
    assert.equal(newVersion('m').version, '1');
    for (const table of ['model_versions', 'model_version_tags', 'registered_model_tags', 'registered_model_aliases']) {
      const count = store.db.prepare<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
      assert.ok(count <= 1, `${table} keeps ${count} rows of the deleted model`);
    }
  });
});

describe('model versions', () => {
  test('numbers are strings, counted per model, never reused after a delete', () => {
    registry.createRegisteredModel('a');
    registry.createRegisteredModel('b');
    assert.deepEqual([newVersion('a'), newVersion('a'), newVersion('b'), newVersion('a')].map((v) => `${v.name}/${v.version}`), ['a/1', 'a/2', 'b/1', 'a/3']);
    registry.deleteModelVersion('a', '3');
    assert.equal(newVersion('a').version, '4');
    registry.deleteModelVersion('a', '2');
    assert.equal(newVersion('a').version, '5');
    rejects(() => registry.getModelVersion('a', '2'), 'RESOURCE_DOES_NOT_EXIST', /^Model Version \(name=a, version=2\) not found$/);
    rejects(() => registry.deleteModelVersion('a', '2'), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    rejects(() => registry.updateModelVersion('a', '2', 'x'), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    rejects(() => registry.transitionStage('a', '2', 'Production'), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    rejects(() => registry.getDownloadUri('a', '2'), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    assert.deepEqual(versionsOf(registry.searchModelVersions({ filter: "name = 'a'", orderBy: ['version_number ASC'] })), ['a/1', 'a/4', 'a/5']);
  });

  test('a version from a logged model: its location, run and the mlflow.modelVersions tag', () => {
    registry.createRegisteredModel('m');
    const { runId, modelId, artifactUri } = loggedModel();
    const version = registry.createModelVersion({ name: 'm', source: `models:/${modelId}`, model_id: modelId, description: 'first', tags: [{ key: 'k', value: 'v' }] });
    assert.deepEqual(version, {
      name: 'm',
      version: '1',
      creation_timestamp: 1000,
      last_updated_timestamp: 1000,
      current_stage: 'None',
      description: 'first',
      source: `models:/${modelId}`,
      run_id: runId,
      status: 'READY',
      tags: [{ key: 'k', value: 'v' }],
      aliases: [],
      model_id: modelId,
    });
    assert.equal(registry.getDownloadUri('m', '1'), artifactUri);
    assert.match(artifactUri, /^mlflow-artifacts:\/0\/models\/m-[0-9a-f]{32}\/artifacts$/);
    const tag = () => store.models.get(modelId).info.tags.find((t) => t.key === 'mlflow.modelVersions')?.value;
    assert.equal(tag(), '[{"name": "m", "version": 1}]');
    registry.createModelVersion({ name: 'm', source: `models:/${modelId}`, model_id: modelId });
    assert.equal(tag(), '[{"name": "m", "version": 1}, {"name": "m", "version": 2}]');
    // Without model_id the URI still names the logged model.
    const third = registry.createModelVersion({ name: 'm', source: `models:/${modelId}` });
    assert.equal(third.model_id, modelId);
    assert.equal(registry.getDownloadUri('m', '3'), artifactUri);
  });

  test('a version from another version (models:/name/v, stage, latest, alias) takes its location and lineage', () => {
    registry.createRegisteredModel('src');
    registry.createRegisteredModel('dst');
    const first = newVersion('src');
    newVersion('src');
    registry.transitionStage('src', '1', 'Production');
    registry.setAlias('src', 'gold', '1');
    const location = registry.getDownloadUri('src', '1');
    for (const source of ['models:/src/1', 'models:/src/Production', 'models:/src@gold']) {
      const copy = registry.createModelVersion({ name: 'dst', source });
      assert.equal(copy.source, 'models:/src/1');
      assert.equal(copy.run_id, first.run_id);
      assert.equal(copy.model_id, first.model_id);
      assert.equal(registry.getDownloadUri('dst', copy.version), location);
    }
    assert.equal(registry.createModelVersion({ name: 'dst', source: 'models:/src/latest' }).source, 'models:/src/2');
    rejects(() => registry.createModelVersion({ name: 'dst', source: 'models:/src/9' }), 'RESOURCE_DOES_NOT_EXIST', /version=9/);
    rejects(() => registry.createModelVersion({ name: 'dst', source: 'models:/src/Staging' }), 'RESOURCE_DOES_NOT_EXIST', /No versions/);
    rejects(() => registry.createModelVersion({ name: 'dst', source: 'models:/src/1', run_id: 'other' }), 'INVALID_PARAMETER_VALUE', /must match the referenced model version/);
  });

  test('source rules of mlflow 3.18: runs:/ needs its run_id, mlflow-artifacts must lie in the run, no traversal, no hosts, no local paths', () => {
    registry.createRegisteredModel('m');
    const run = store.createRun({ experiment_id: '0' });
    const runId = run.info.run_id;
    const ok = registry.createModelVersion({ name: 'm', source: `runs:/${runId}/model`, run_id: runId });
    assert.equal(registry.getDownloadUri('m', ok.version), `runs:/${runId}/model`);
    const inRun = registry.createModelVersion({ name: 'm', source: `${run.info.artifact_uri}/model`, run_id: runId });
    assert.equal(inRun.run_id, runId);
    assert.equal(registry.createModelVersion({ name: 'm', source: 's3:/bucket/model' }).version, '3');
    const bad: [string, string | undefined, RegExp][] = [
      [`runs:/${runId}/model`, undefined, /The run_id request parameter must identify/],
      [`runs:/${runId}/model`, 'f'.repeat(32), /The run_id request parameter must identify/],
      [`${run.info.artifact_uri}/model`, undefined, /The run_id request parameter must identify/],
      ['mlflow-artifacts:/0/other-run/artifacts/model', runId, /The run_id request parameter must identify/],
      [`${run.info.artifact_uri}/../../../x`, runId, /relative path references/],
      [`${run.info.artifact_uri}/%2e%2e/%2e%2e/x`, runId, /relative path references/],
      [`${run.info.artifact_uri}/%252e%252e/x`, runId, /relative path references/],
      [`${run.info.artifact_uri}/a%00b`, runId, /relative path references/],
      ['s3:/bucket/./model', undefined, /relative path references/],
      ['http://evil.example/api/2.0/mlflow-artifacts/artifacts/x', runId, /cannot use the 'http' scheme/],
      ['mlflow-artifacts://evil.example:80/0/x', runId, /cannot use the 'mlflow-artifacts' scheme/],
      ['/etc/passwd', runId, /To use a local path as a model version source/],
      ['file:///etc/passwd', undefined, /To use a local path as a model version source/],
      ['models://host/m-1', undefined, /must use the active model registry/],
    ];
    for (const [source, run_id, message] of bad) {
      rejects(() => registry.createModelVersion({ name: 'm', source, run_id }), 'INVALID_PARAMETER_VALUE', message);
    }
    const { modelId } = loggedModel();
    rejects(() => registry.createModelVersion({ name: 'm', source: `models:/${modelId}`, model_id: 'm-other' }), 'INVALID_PARAMETER_VALUE', /model_id request parameter/);
    rejects(() => registry.createModelVersion({ name: 'm', source: `runs:/${runId}/model`, run_id: runId, model_id: modelId }), 'INVALID_PARAMETER_VALUE', /model_id request parameter/);
    rejects(() => registry.createModelVersion({ name: 'm', source: 'models:/m-missing' }), 'RESOURCE_DOES_NOT_EXIST', /Unable to fetch model/);
    rejects(() => registry.createModelVersion({ name: 'nope', source: `models:/${modelId}` }), 'RESOURCE_DOES_NOT_EXIST', /name=nope not found/);
    // Nothing half-written: the failed attempts used no version numbers.
    assert.equal(newVersion('m').version, '4');
  });

  test('version parameters must be integers', () => {
    registry.createRegisteredModel('m');
    newVersion('m');
    for (const version of ['x', '1.0', '', '1e3', '0x1']) {
      rejects(() => registry.getModelVersion('m', version), 'INVALID_PARAMETER_VALUE', new RegExp(`^Parameter 'version' must be an integer, got '${version.replace('.', '\\.')}'\\.$`));
    }
    assert.equal(registry.getModelVersion('m', ' 1 ').version, '1');
    assert.equal(registry.getModelVersion('m', '+1').version, '1');
    rejects(() => registry.getModelVersion('m', '2'), 'RESOURCE_DOES_NOT_EXIST', /^Model Version \(name=m, version=2\) not found$/);
  });

  test('tags and descriptions on versions; the model timestamp moves on create, transition and delete only', () => {
    registry.createRegisteredModel('m');
    clock = 2000;
    newVersion('m');
    assert.equal(registry.getRegisteredModel('m').last_updated_timestamp, 2000);
    clock = 3000;
    const updated = registry.updateModelVersion('m', '1', 'better');
    assert.equal(updated.description, 'better');
    assert.equal(updated.last_updated_timestamp, 3000);
    assert.equal(registry.getRegisteredModel('m').last_updated_timestamp, 2000);
    registry.setModelVersionTag('m', '1', { key: 'k', value: '' });
    registry.setModelVersionTag('m', '1', { key: 'j', value: 'x' });
    registry.deleteModelVersionTag('m', '1', 'j');
    registry.deleteModelVersionTag('m', '1', 'never');
    assert.deepEqual(registry.getModelVersion('m', '1').tags, [{ key: 'k', value: '' }]);
    assert.equal(registry.getRegisteredModel('m').last_updated_timestamp, 2000);
    rejects(() => registry.setModelVersionTag('m', '7', { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST', /version=7/);
    clock = 4000;
    registry.transitionStage('m', '1', 'staging');
    assert.equal(registry.getRegisteredModel('m').last_updated_timestamp, 4000);
    clock = 5000;
    registry.deleteModelVersion('m', '1');
    assert.equal(registry.getRegisteredModel('m').last_updated_timestamp, 5000);
  });
});

describe('stages', () => {
  test('case-insensitive stages, archive_existing_versions, and latest versions per stage', () => {
    registry.createRegisteredModel('m');
    for (let i = 0; i < 5; i++) newVersion('m');
    assert.equal(registry.transitionStage('m', '1', 'PRODUCTION').current_stage, 'Production');
    registry.transitionStage('m', '2', 'production');
    registry.transitionStage('m', '3', 'Staging');
    const stageOf = () => Object.fromEntries(versionsOf(registry.searchModelVersions({ filter: "name = 'm'" })).map((v) => [v, registry.getModelVersion('m', v.split('/')[1]!).current_stage]));
    assert.deepEqual(stageOf(), { 'm/1': 'Production', 'm/2': 'Production', 'm/3': 'Staging', 'm/4': 'None', 'm/5': 'None' });
    const latest = (stages?: string[]) => registry.getLatestVersions('m', stages).map((v) => `${v.current_stage}:${v.version}`);
    assert.deepEqual(latest(), ['Production:2', 'Staging:3', 'None:5']);
    assert.deepEqual(latest(['production', 'ARCHIVED']), ['Production:2']);
    assert.deepEqual(
      registry.getRegisteredModel('m').latest_versions.map((v) => `${v.current_stage}:${v.version}`),
      ['Production:2', 'Staging:3', 'None:5'],
    );

    registry.transitionStage('m', '4', 'Production', true);
    assert.deepEqual(stageOf(), { 'm/1': 'Archived', 'm/2': 'Archived', 'm/3': 'Staging', 'm/4': 'Production', 'm/5': 'None' });
    assert.deepEqual(latest(), ['Archived:2', 'Staging:3', 'Production:4', 'None:5']);
    registry.transitionStage('m', '5', 'Staging', false);
    assert.deepEqual(latest(['Staging']), ['Staging:5']);
    registry.deleteModelVersion('m', '5');
    assert.deepEqual(latest(['Staging']), ['Staging:3']);

    rejects(() => registry.transitionStage('m', '1', 'Deleted_Internal'), 'INVALID_PARAMETER_VALUE', /Invalid Model Version stage: Deleted_Internal/);
    rejects(() => registry.transitionStage('m', '1', 'Archived', true), 'INVALID_PARAMETER_VALUE', /cannot archive existing model versions/);
    rejects(() => registry.getLatestVersions('m', ['Prod']), 'INVALID_PARAMETER_VALUE', /Invalid Model Version stage: Prod/);
  });
});

describe('aliases', () => {
  test('set, move, read back on model and version, get by alias, delete', () => {
    registry.createRegisteredModel('m');
    newVersion('m');
    newVersion('m');
    registry.setAlias('m', 'champion', '1');
    registry.setAlias('m', 'challenger', '1');
    assert.deepEqual(registry.getRegisteredModel('m').aliases, [
      { alias: 'challenger', version: '1' },
      { alias: 'champion', version: '1' },
    ]);
    assert.deepEqual(registry.getModelVersion('m', '1').aliases, ['challenger', 'champion']);
    registry.setAlias('m', 'champion', '2');
    assert.equal(registry.getVersionByAlias('m', 'champion').version, '2');
    assert.deepEqual(registry.getVersionByAlias('m', 'champion').aliases, ['champion']);
    assert.equal(registry.getVersionByAlias('m', 'LATEST').version, '2');
    registry.deleteAlias('m', 'champion');
    registry.deleteAlias('m', 'champion'); // unknown alias: no-op
    rejects(() => registry.getVersionByAlias('m', 'champion'), 'INVALID_PARAMETER_VALUE', /^Registered model alias champion not found\.$/);
    rejects(() => registry.deleteAlias('nope', 'a'), 'RESOURCE_DOES_NOT_EXIST', /name=nope not found/);
  });

  test('alias rules: reserved names, characters, length, existing version', () => {
    registry.createRegisteredModel('m');
    newVersion('m');
    rejects(() => registry.setAlias('m', 'Latest', '1'), 'INVALID_PARAMETER_VALUE', /'latest' alias name \(case insensitive\) is reserved/);
    rejects(() => registry.setAlias('m', 'v3', '1'), 'INVALID_PARAMETER_VALUE', /Version alias name 'v3' is reserved/);
    rejects(() => registry.setAlias('m', 'a b', '1'), 'INVALID_PARAMETER_VALUE', /Invalid alias name: 'a b'/);
    rejects(() => registry.setAlias('m', "x'--", '1'), 'INVALID_PARAMETER_VALUE', /Invalid alias name/);
    rejects(() => registry.setAlias('m', '', '1'), 'INVALID_PARAMETER_VALUE', /cannot be empty/);
    rejects(() => registry.setAlias('m', 'a'.repeat(256), '1'), 'INVALID_PARAMETER_VALUE', /maximum length of 255/);
    rejects(() => registry.setAlias('m', 'ok', '2'), 'RESOURCE_DOES_NOT_EXIST', /version=2/);
    rejects(() => registry.setAlias('m', 'ok', 'one'), 'INVALID_PARAMETER_VALUE', /must be an integer/);
    registry.setAlias('m', 'v_1-ok', '1');
  });

  test('deleting a version drops its aliases; latest skips deleted versions', () => {
    registry.createRegisteredModel('m');
    newVersion('m');
    newVersion('m');
    registry.setAlias('m', 'keep', '1');
    registry.setAlias('m', 'gone', '2');
    registry.deleteModelVersion('m', '2');
    assert.deepEqual(registry.getRegisteredModel('m').aliases, [{ alias: 'keep', version: '1' }]);
    rejects(() => registry.getVersionByAlias('m', 'gone'), 'INVALID_PARAMETER_VALUE', /alias gone not found/);
    assert.equal(registry.getVersionByAlias('m', 'latest').version, '1');
    registry.deleteModelVersion('m', '1');
    rejects(() => registry.getVersionByAlias('m', 'latest'), 'RESOURCE_DOES_NOT_EXIST', /Latest version not found for model m/);
  });
});

describe('search', () => {
  const names = (page: { items: { name: string }[] }) => page.items.map((m) => m.name);

  beforeEach(() => {
    for (const [i, name] of ['beta', 'Alpha', 'alpha-2', 'gamma', 'delta_x'].entries()) {
      clock = 10_000 + i * 10;
      registry.createRegisteredModel(name, name === 'gamma' ? [{ key: 'team', value: 'vision' }] : name === 'beta' ? [{ key: 'team', value: 'nlp' }] : []);
    }
    clock = 20_000;
    registry.createRegisteredModel('my-prompt', [{ key: 'mlflow.prompt.is_prompt', value: 'true' }]);
    registry.createRegisteredModel('not-a-prompt', [{ key: 'mlflow.prompt.is_prompt', value: 'false' }]);
  });

  test('registered models: default name order, filters, prompts excluded unless asked for', () => {
    const search = (filter?: string, orderBy?: string[]) => names(registry.searchRegisteredModels({ filter, orderBy }));
    assert.deepEqual(search(), ['Alpha', 'alpha-2', 'beta', 'delta_x', 'gamma', 'not-a-prompt']);
    const clientFilter = (filter: string) => `${filter} AND tag.\`mlflow.prompt.is_prompt\` != 'true'`;
    assert.deepEqual(search(clientFilter("name LIKE 'alpha%'")), ['alpha-2']);
    assert.deepEqual(search(clientFilter("name ILIKE 'alpha%'")), ['Alpha', 'alpha-2']);
    assert.deepEqual(search(clientFilter("name = 'beta'")), ['beta']);
    assert.deepEqual(search(clientFilter("name != 'beta'")), ['Alpha', 'alpha-2', 'delta_x', 'gamma', 'not-a-prompt']);
    assert.deepEqual(search("name IN ('beta', 'gamma', 'my-prompt')"), ['beta', 'gamma']);
    assert.deepEqual(search("name NOT IN ('beta', 'gamma')"), ['Alpha', 'alpha-2', 'delta_x', 'not-a-prompt']);
    assert.deepEqual(search("attribute.name LIKE 'delta\\_%'"), []); // no escape character: `\` is literal
    assert.deepEqual(search("name LIKE 'delta_x'"), ['delta_x']);
    assert.deepEqual(search(clientFilter("tags.team = 'vision'")), ['gamma']);
    assert.deepEqual(search("tag.team LIKE '%l%'"), ['beta']);
    assert.deepEqual(search("tags.team != 'vision'"), ['beta']); // a missing tag never matches
    assert.deepEqual(search("tags.`mlflow.prompt.is_prompt` = 'false'"), ['Alpha', 'alpha-2', 'beta', 'delta_x', 'gamma', 'not-a-prompt']);
    assert.deepEqual(search("tags.`mlflow.prompt.is_prompt` = 'true'"), ['my-prompt']);
    assert.deepEqual(search("tags.`mlflow.prompt.is_prompt` != 'false'"), ['my-prompt']);
  });

  test('registered models: order_by and paging', () => {
    const search = (orderBy: string[]) => names(registry.searchRegisteredModels({ orderBy }));
    assert.deepEqual(search(['timestamp DESC']), ['not-a-prompt', 'delta_x', 'gamma', 'alpha-2', 'Alpha', 'beta']);
    clock = 30_000;
    registry.updateRegisteredModel('beta', 'touched');
    assert.deepEqual(search(['last_updated_timestamp DESC']).slice(0, 2), ['beta', 'not-a-prompt']);
    assert.deepEqual(search(['creation_timestamp ASC']).slice(0, 2), ['beta', 'Alpha']);
    assert.deepEqual(search(['name DESC']), ['not-a-prompt', 'gamma', 'delta_x', 'beta', 'alpha-2', 'Alpha']);
    rejects(() => search(['timestamp', 'last_updated_timestamp DESC']), 'INVALID_PARAMETER_VALUE', /duplicate fields/);
    rejects(() => search(['tags.team']), 'INVALID_PARAMETER_VALUE', /Invalid entity type/);
    rejects(() => search(['description']), 'INVALID_PARAMETER_VALUE', /Invalid attribute key 'description'/);

    const seen: string[] = [];
    for (const size of [1, 2, 4, 6, 7]) {
      seen.length = 0;
      let token: string | undefined;
      let pages = 0;
      do {
        const page = registry.searchRegisteredModels({ maxResults: size, pageToken: token });
        assert.ok(page.items.length <= size);
        seen.push(...names(page));
        token = page.next_page_token;
        pages++;
      } while (token);
      assert.deepEqual(seen, ['Alpha', 'alpha-2', 'beta', 'delta_x', 'gamma', 'not-a-prompt'], `page size ${size}`);
      assert.equal(pages, Math.max(1, Math.ceil(6 / size)), `page size ${size}`);
    }
    rejects(() => registry.searchRegisteredModels({ maxResults: 1001 }), 'INVALID_PARAMETER_VALUE', /at most 1000, but got value 1001/);
    rejects(() => registry.searchRegisteredModels({ maxResults: 0 }), 'INVALID_PARAMETER_VALUE', /positive integer/);
    rejects(() => registry.searchRegisteredModels({ pageToken: 'not base64 json' }), 'INVALID_PARAMETER_VALUE', /page token/);
  });

  test('model versions: filters, default and explicit order, paging', () => {
    const { runId, modelId } = loggedModel();
    clock = 40_000;
    registry.createModelVersion({ name: 'beta', source: `models:/${modelId}`, model_id: modelId, tags: [{ key: 'q', value: 'good' }] });
    clock = 40_010;
    newVersion('beta');
    clock = 40_020;
    newVersion('gamma');
    clock = 40_030;
    const run = store.createRun({ experiment_id: '0' });
    registry.createModelVersion({ name: 'gamma', source: `runs:/${run.info.run_id}/model`, run_id: run.info.run_id });
    clock = 40_040;
    registry.createModelVersion({ name: 'my-prompt', source: `runs:/${run.info.run_id}/model`, run_id: run.info.run_id, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    const search = (filter?: string, orderBy?: string[]) => versionsOf(registry.searchModelVersions({ filter, orderBy }));
    assert.deepEqual(search(), ['gamma/2', 'gamma/1', 'beta/2', 'beta/1']);
    const clientFilter = (filter: string) => `${filter} AND tags.\`mlflow.prompt.is_prompt\` != 'true'`;
    assert.deepEqual(search("name='beta'"), ['beta/2', 'beta/1']);
    assert.deepEqual(search(clientFilter(`run_id = '${runId}'`)), ['beta/1']);
    assert.deepEqual(search(`run_id IN ('${runId}', '${run.info.run_id}')`), ['gamma/2', 'beta/1']);
    assert.deepEqual(search(`source_path = 'runs:/${run.info.run_id}/model'`), ['gamma/2']);
    assert.deepEqual(search("source_path LIKE 'runs:/%'"), ['gamma/2']);
    assert.deepEqual(search('version_number >= 2'), ['gamma/2', 'beta/2']);
    assert.deepEqual(search("name = 'beta' AND version_number != 1"), ['beta/2']);
    assert.deepEqual(search("tags.q = 'good'"), ['beta/1']);
    assert.deepEqual(search("name IN ('beta', 'gamma')", ['version_number ASC', 'name DESC']), ['gamma/1', 'beta/1', 'gamma/2', 'beta/2']);
    assert.deepEqual(search(undefined, ['creation_timestamp ASC']), ['beta/1', 'beta/2', 'gamma/1', 'gamma/2']);
    assert.deepEqual(search("tags.`mlflow.prompt.is_prompt` = 'true'"), ['my-prompt/1']);
    clock = 50_000;
    registry.updateModelVersion('beta', '1', 'touched');
    assert.deepEqual(search(), ['beta/1', 'gamma/2', 'gamma/1', 'beta/2']);
    registry.deleteModelVersion('gamma', '2');
    assert.deepEqual(search(`source_path = 'runs:/${run.info.run_id}/model'`), []);
    assert.deepEqual(search("source_path = 'REDACTED-SOURCE-PATH'"), []);

    const page1 = registry.searchModelVersions({ maxResults: 2 });
    assert.equal(page1.items.length, 2);
    const page2 = registry.searchModelVersions({ maxResults: 2, pageToken: page1.next_page_token });
    assert.deepEqual(versionsOf(page2), ['beta/2']);
    assert.equal(page2.next_page_token, undefined);
    rejects(() => registry.searchModelVersions({ maxResults: 200_001 }), 'INVALID_PARAMETER_VALUE', /at most 200000/);
    rejects(() => search(undefined, ['run_id']), 'INVALID_PARAMETER_VALUE', /Invalid attribute key 'run_id'/);
  });

  test('hostile and malformed filters are INVALID_PARAMETER_VALUE and touch nothing', () => {
    newVersion('beta');
    const hostile = [
      "name = 'beta' OR 1=1",
      "name = 'beta'; DROP TABLE registered_models",
      "name = 'beta' -- comment",
      "name = 'beta' OR name LIKE '%'",
      '(name = \'beta\')',
      "name = 'unterminated",
      'name = beta',
      "name IS NULL",
      "tags.team IS NOT NULL",
      "description = 'x'",
      "metrics.rmse < 1",
      "params.a = 'b'",
      "attributes.name = 'beta'",
      "tags.team IN ('a')",
      "name > 'a'",
      "version_number = 1",
      'name = 1',
      "name = 'a' AND",
      "name = 'a' AND AND name = 'b'",
      `${"name = 'a' AND ".repeat(300)}name = 'b'`,
      `name = '${'x'.repeat(1_000_000)}' garbage`,
    ];
    for (const filter of hostile) {
      assert.throws(() => registry.searchRegisteredModels({ filter }), (e: unknown) => e instanceof MlflowError && e.code === 'INVALID_PARAMETER_VALUE', filter.slice(0, 80));
    }
    const hostileVersions = ["version_number = 1.5", "version_number = '1'", "source_path IN ('a')", "run_id IS NULL", "name = 'beta' OR 1=1", "current_stage = 'None'"];
    for (const filter of hostileVersions) {
      assert.throws(() => registry.searchModelVersions({ filter }), (e: unknown) => e instanceof MlflowError && e.code === 'INVALID_PARAMETER_VALUE', filter);
    }
    // Values are data, never SQL.
    assert.deepEqual(names(registry.searchRegisteredModels({ filter: "name = 'x'' OR ''1''=''1'" })), []);
    assert.deepEqual(names(registry.searchRegisteredModels({ filter: `name IN (${Array.from({ length: 5000 }, (_, i) => `'n${i}'`).join(', ')}, 'beta')` })), ['beta']);
    assert.equal(registry.getRegisteredModel('beta').latest_versions.length, 1);
  });
});
