import { ROUTES } from '../api/routes';
import { LOGGED_MODEL_STATUSES, type LoggedModelStatus } from '../store/entities';
import type { TrackingStore } from '../store/tracking-store';
import { jsonRoutes, pathParam } from './json-routes';
import type { Router } from './router';
import { readKeyValues, withToken, type ChangeListener } from './tracking-routes';

const STATUS_NUMBERS: Record<number, LoggedModelStatus> = Object.fromEntries(LOGGED_MODEL_STATUSES.map((status, i) => [i, status]));

/** MLflow 3 logged models: what log_model and autolog create before uploading the model's files. */
export function addLoggedModelRoutes(router: Router, store: TrackingStore, onChange: ChangeListener = () => {}): void {
  const on = jsonRoutes(router);
  const L = ROUTES.loggedModels;
  const models = store.models;

  on('POST', L.create, (f) => {
    const model = models.create({
      experiment_id: f.string('experiment_id', { required: true }),
      name: f.string('name'),
      model_type: f.string('model_type'),
      source_run_id: f.string('source_run_id'),
      params: readKeyValues(f, 'params'),
      tags: readKeyValues(f, 'tags'),
    });
    onChange({ kind: 'experiment', id: model.info.experiment_id });
    return { model };
  });
  on('POST', L.search, (f) => {
    const page = models.search({
      experimentIds: f.strings('experiment_ids'),
      filter: f.string('filter'),
      datasets: f.messages('datasets').map((d) => ({ dataset_name: d.string('dataset_name', { required: true }), dataset_digest: d.string('dataset_digest') })),
      orderBy: f.messages('order_by').map((o) => ({
        field_name: o.string('field_name', { required: true }),
        ascending: o.boolean('ascending'),
        dataset_name: o.string('dataset_name'),
        dataset_digest: o.string('dataset_digest'),
      })),
      maxResults: f.integer('max_results'),
      pageToken: f.string('page_token'),
    });
    return withToken({ models: page.items }, page.next_page_token);
  });
  on('GET', L.one, (f, ctx) => ({ model: models.get(pathParam(ctx, 'model_id'), f.boolean('allow_deleted') ?? false) }));
  on('PATCH', L.one, (f, ctx) => {
    const status = f.enumValue('status', LOGGED_MODEL_STATUSES, STATUS_NUMBERS) ?? 'LOGGED_MODEL_READY';
    return { model: models.finalize(pathParam(ctx, 'model_id'), status) };
  });
  on('DELETE', L.one, (_f, ctx) => {
    models.delete(pathParam(ctx, 'model_id'));
    return {};
  });
  on('PATCH', L.tags, (f, ctx) => {
    models.setTags(pathParam(ctx, 'model_id'), readKeyValues(f, 'tags'));
    return {};
  });
  on('DELETE', L.tag, (_f, ctx) => {
    models.deleteTag(pathParam(ctx, 'model_id'), pathParam(ctx, 'tag_key'));
    return {};
  });
  on('POST', L.params, (f, ctx) => {
    models.logParams(pathParam(ctx, 'model_id'), readKeyValues(f, 'params'));
    return {};
  });
}
