import { ROUTES } from '../api/routes';
import type { TrackingStore } from '../store/tracking-store';
import type { Fields } from './fields';
import { jsonRoutes } from './json-routes';
import type { Router } from './router';
import { readKeyValues, withToken, type ChangeListener } from './tracking-routes';

/** Called after every successful registry write with the registered model's name (both names on rename). */
/**
 * The model registry service (reference §2.3, §4.6): registered models, versions, stages, aliases and tags.
 * Deletes take JSON bodies; reads are GETs with query parameters, as the mlflow client sends them.
 */
export function addRegistryRoutes(router: Router, store: TrackingStore, onChange: ChangeListener = () => {}): void {
  const on = jsonRoutes(router);
  const registry = store.registry;
  const changed = (name: string) => onChange({ kind: 'model', id: name });
  const name = (f: Fields) => f.string('name', { required: true });
  const version = (f: Fields) => f.string('version', { required: true });

  // ------------------------------------------------------------ registered models
  const M = ROUTES.registeredModels;
  on('POST', M.create, (f) => {
    const model = registry.createRegisteredModel(name(f), readKeyValues(f, 'tags'), f.string('description'));
    changed(model.name);
    return { registered_model: model };
  });
  on('GET', M.get, (f) => ({ registered_model: registry.getRegisteredModel(name(f)) }));
  on('POST', M.rename, (f) => {
    const model = registry.renameRegisteredModel(name(f), f.string('new_name', { required: true }));
    changed(name(f));
    changed(model.name);
    return { registered_model: model };
  });
  on('PATCH', M.update, (f) => {
    const model = registry.updateRegisteredModel(name(f), f.string('description'));
    changed(model.name);
    return { registered_model: model };
  });
  on('DELETE', M.delete, (f) => {
    registry.deleteRegisteredModel(name(f));
    changed(name(f));
    return {};
  });
  on('GET', M.search, (f) => {
    const page = registry.searchRegisteredModels({
      filter: f.string('filter'),
      orderBy: f.strings('order_by'),
      maxResults: f.integer('max_results'),
      pageToken: f.string('page_token'),
    });
    return withToken({ registered_models: page.items }, page.next_page_token);
  });
  const latestVersions = (f: Fields) => ({ model_versions: registry.getLatestVersions(name(f), f.strings('stages')) });
  on('POST', M.latestVersions, latestVersions);
  on('GET', M.latestVersions, latestVersions);
  on('POST', M.setTag, (f) => {
    registry.setRegisteredModelTag(name(f), { key: f.string('key', { required: true }), value: f.string('value') ?? '' });
    changed(name(f));
    return {};
  });
  on('DELETE', M.deleteTag, (f) => {
    registry.deleteRegisteredModelTag(name(f), f.string('key', { required: true }));
    changed(name(f));
    return {};
  });
  on('POST', M.alias, (f) => {
    registry.setAlias(name(f), f.string('alias', { required: true }), version(f));
    changed(name(f));
    return {};
  });
  on('DELETE', M.alias, (f) => {
    registry.deleteAlias(name(f), f.string('alias', { required: true }));
    changed(name(f));
    return {};
  });
  on('GET', M.alias, (f) => ({ model_version: registry.getVersionByAlias(name(f), f.string('alias', { required: true })) }));

  // ------------------------------------------------------------ model versions
  const V = ROUTES.modelVersions;
  on('POST', V.create, (f) => {
    const created = registry.createModelVersion({
      name: name(f),
      source: f.string('source', { required: true }),
      run_id: f.string('run_id'),
      tags: readKeyValues(f, 'tags'),
      run_link: f.string('run_link'),
      description: f.string('description'),
      model_id: f.string('model_id'),
    });
    changed(created.name);
    return { model_version: created };
  });
  on('GET', V.get, (f) => ({ model_version: registry.getModelVersion(name(f), version(f)) }));
  on('PATCH', V.update, (f) => {
    const updated = registry.updateModelVersion(name(f), version(f), f.string('description'));
    changed(updated.name);
    return { model_version: updated };
  });
  on('POST', V.transitionStage, (f) => {
    const moved = registry.transitionStage(name(f), version(f), f.string('stage', { required: true }), f.boolean('archive_existing_versions') ?? false);
    changed(moved.name);
    return { model_version: moved };
  });
  on('DELETE', V.delete, (f) => {
    registry.deleteModelVersion(name(f), version(f));
    changed(name(f));
    return {};
  });
  on('GET', V.search, (f) => {
    const page = registry.searchModelVersions({
      filter: f.string('filter'),
      orderBy: f.strings('order_by'),
      maxResults: f.integer('max_results'),
      pageToken: f.string('page_token'),
    });
    return withToken({ model_versions: page.items }, page.next_page_token);
  });
  on('GET', V.downloadUri, (f) => ({ artifact_uri: registry.getDownloadUri(name(f), version(f)) }));
  on('POST', V.setTag, (f) => {
    registry.setModelVersionTag(name(f), version(f), { key: f.string('key', { required: true }), value: f.string('value') ?? '' });
    changed(name(f));
    return {};
  });
  on('DELETE', V.deleteTag, (f) => {
    registry.deleteModelVersionTag(name(f), version(f), f.string('key', { required: true }));
    changed(name(f));
    return {};
  });
}
