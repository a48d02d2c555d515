import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  aliasesOfVersion,
  childRunsFilter,
  compareVersionsDescending,
  composeFilter,
  escapeMarkdown,
  experimentContextValue,
  fileSizeOf,
  formatBytes,
  formatDuration,
  formatMetricValue,
  latestVersion,
  loggedModelArtifactPaths,
  modelAliasUri,
  modelStageUri,
  modelVersionContextValue,
  modelVersionUri,
  quoteFilterString,
  runContextValue,
  runFingerprint,
  runLabel,
  runsUri,
  runStatusIcon,
  sortTags,
  summarizeMetrics,
  topLevelRunsFilter,
  validateAlias,
  validateTagKey,
  versionDescription,
} from '../../src/extension/trees/format';
import {
  artifactUriPath,
  normalizeArtifactPath,
  parentPath,
  parseArtifactUriPath,
  proxiedFilePath,
  proxiedStoragePath,
  schemeOf,
} from '../../src/extension/artifact-paths';

describe('metric formatting', () => {
  test('about 3-4 significant digits', () => {
    assert.equal(formatMetricValue(0.123456), '0.1235');
    assert.equal(formatMetricValue(0.97), '0.97');
    assert.equal(formatMetricValue(12.3456), '12.35');
    assert.equal(formatMetricValue(-3.14159), '-3.142');
    assert.equal(formatMetricValue(1234.56), '1235');
    assert.equal(formatMetricValue(42), '42');
    assert.equal(formatMetricValue(0), '0');
    assert.equal(formatMetricValue(0.001), '0.001');
  });

  test('very large and very small numbers in exponent form', () => {
    assert.equal(formatMetricValue(1234567), '1.23e6');
    assert.equal(formatMetricValue(0.0000123), '1.23e-5');
    assert.equal(formatMetricValue(1e-7), '1e-7');
    assert.equal(formatMetricValue(-2.5e9), '-2.5e9');
  });

  test('non-finite values by name', () => {
    assert.equal(formatMetricValue(NaN), 'NaN');
    assert.equal(formatMetricValue(Infinity), 'Infinity');
    assert.equal(formatMetricValue(-Infinity), '-Infinity');
  });

  test('summary keeps three keys, model metrics before system metrics', () => {
    const metrics = [
      { key: 'system/cpu_utilization_percentage', value: 12.5 },
      { key: 'loss', value: 0.123 },
      { key: 'accuracy', value: 0.97 },
      { key: 'f1', value: NaN },
      { key: 'auc', value: 0.9 },
    ];
    assert.equal(summarizeMetrics(metrics), 'loss 0.123 · accuracy 0.97 · f1 NaN');
    assert.equal(summarizeMetrics([metrics[0]!]), 'system/cpu_utilization_percentage 12.5');
    assert.equal(summarizeMetrics([]), '');
  });
});

describe('filters', () => {
  test('top-level runs AND the user filter', () => {
    assert.equal(topLevelRunsFilter(), 'tags.mlflow.parentRunId IS NULL');
    assert.equal(topLevelRunsFilter('  '), 'tags.mlflow.parentRunId IS NULL');
    assert.equal(topLevelRunsFilter("metrics.accuracy > 0.9 and params.model = 'rf'"), "tags.mlflow.parentRunId IS NULL AND metrics.accuracy > 0.9 and params.model = 'rf'");
    assert.equal(composeFilter('a = 1', undefined, '', 'b = 2'), 'a = 1 AND b = 2');
  });

  test('child runs of a parent, quoted', () => {
    assert.equal(childRunsFilter('abc123'), "tags.mlflow.parentRunId = 'abc123'");
  });

  test('string literals pick the quote the text lacks', () => {
    assert.equal(quoteFilterString('model'), "'model'");
    assert.equal(quoteFilterString("bob's model"), '"bob\'s model"');
  });
});

describe('URIs', () => {
  test('runs:/ with and without a path', () => {
    assert.equal(runsUri('abc'), 'runs:/abc');
    assert.equal(runsUri('abc', ''), 'runs:/abc');
    assert.equal(runsUri('abc', 'model'), 'runs:/abc/model');
    assert.equal(runsUri('abc', '/model/sub/'), 'runs:/abc/model/sub');
  });

  test('models:/ forms', () => {
    assert.equal(modelVersionUri('churn', '3'), 'models:/churn/3');
    assert.equal(modelAliasUri('churn', 'champion'), 'models:/churn@champion');
    assert.equal(modelStageUri('churn', 'Production'), 'models:/churn/Production');
  });
});

describe('validation', () => {
  test('aliases: letters, digits, _ and -; not latest, not v<number>', () => {
    assert.equal(validateAlias('champion'), undefined);
    assert.equal(validateAlias('prod-2_b'), undefined);
    assert.match(validateAlias('') ?? '', /Enter/);
    assert.match(validateAlias('has space') ?? '', /letters/);
    assert.match(validateAlias('a.b') ?? '', /letters/);
    assert.match(validateAlias('Latest') ?? '', /reserved/);
    assert.match(validateAlias('v12') ?? '', /reserved/);
    assert.equal(validateAlias('v1a'), undefined);
    assert.match(validateAlias('x'.repeat(256)) ?? '', /255/);
  });

  test('tag keys', () => {
    assert.equal(validateTagKey('team'), undefined);
    assert.match(validateTagKey('  ') ?? '', /Enter/);
    assert.match(validateTagKey('k'.repeat(251)) ?? '', /250/);
  });
});

describe('rows', () => {
  test('run context values encode kind and state', () => {
    assert.equal(runContextValue('FINISHED', 'active'), 'run');
    assert.equal(runContextValue('FAILED', 'active'), 'run');
    assert.equal(runContextValue('RUNNING', 'active'), 'run.running');
    assert.equal(runContextValue('SCHEDULED', 'active'), 'run.running');
    assert.equal(runContextValue('RUNNING', 'deleted'), 'run.deleted');
    assert.equal(experimentContextValue('0', 'active'), 'experiment.default');
    assert.equal(experimentContextValue('7', 'active'), 'experiment');
    assert.equal(experimentContextValue('7', 'deleted'), 'experiment.deleted');
    assert.equal(modelVersionContextValue([]), 'modelVersion');
    assert.equal(modelVersionContextValue(['champion']), 'modelVersion.aliased');
  });

  test('run fingerprints change with what a row shows', () => {
    const run = () => ({
      info: { run_name: 'a', status: 'RUNNING', lifecycle_stage: 'active', start_time: 1 },
      data: { metrics: [{ key: 'loss', value: NaN, step: 0, timestamp: 1 }], params: [{ key: 'lr', value: '0.1' }], tags: [] as { key: string; value: string }[] },
    });
    assert.equal(runFingerprint(run()), runFingerprint(run()));
    const logged = run();
    logged.data.metrics[0]!.value = 0.5;
    assert.notEqual(runFingerprint(logged), runFingerprint(run()));
    const finished = run();
    finished.info.status = 'FINISHED';
    assert.notEqual(runFingerprint(finished), runFingerprint(run()));
    const tagged = run();
    tagged.data.tags.push({ key: 'mlflow.note.content', value: 'x' });
    assert.notEqual(runFingerprint(tagged), runFingerprint(run()));
  });

  test('status icons', () => {
    assert.deepEqual(runStatusIcon('RUNNING', 'active'), { id: 'sync~spin' });
    assert.deepEqual(runStatusIcon('FINISHED', 'active'), { id: 'pass', color: 'charts.green' });
    assert.deepEqual(runStatusIcon('FAILED', 'active'), { id: 'error', color: 'charts.red' });
    assert.deepEqual(runStatusIcon('KILLED', 'active'), { id: 'circle-slash' });
    assert.deepEqual(runStatusIcon('SCHEDULED', 'active'), { id: 'clock' });
    assert.deepEqual(runStatusIcon('FINISHED', 'deleted'), { id: 'trash', color: 'disabledForeground' });
  });

  test('run labels fall back to the id', () => {
    assert.equal(runLabel('clever-fox-12', 'abcdef0123456789'), 'clever-fox-12');
    assert.equal(runLabel(undefined, 'abcdef0123456789'), 'abcdef012345');
    assert.equal(runLabel('  ', 'abcdef0123456789'), 'abcdef012345');
  });

  test('durations', () => {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(12_000), '12 s');
    assert.equal(formatDuration(184_000), '3 min 4 s');
    assert.equal(formatDuration(120_000), '2 min');
    assert.equal(formatDuration(7_500_000), '2 h 5 min');
    assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), '3 d 4 h');
    assert.equal(formatDuration(-1), '');
  });

  test('user tags before mlflow.* tags', () => {
    const tags = [
      { key: 'mlflow.user', value: 'a' },
      { key: 'team', value: 'b' },
      { key: 'mlflow.note.content', value: 'c' },
      { key: 'dataset', value: 'd' },
    ];
    assert.deepEqual(
      sortTags(tags).map((t) => t.key),
      ['dataset', 'team', 'mlflow.note.content', 'mlflow.user'],
    );
  });

  test('model folders from mlflow.log-model.history', () => {
    const history = JSON.stringify([
      { run_id: 'r', artifact_path: 'model', flavors: {} },
      { run_id: 'r', artifact_path: 'model', flavors: {} },
      { run_id: 'r', artifact_path: 'encoder' },
      { run_id: 'r' },
    ]);
    assert.deepEqual(loggedModelArtifactPaths(history), ['model', 'encoder']);
    assert.deepEqual(loggedModelArtifactPaths(undefined), []);
    assert.deepEqual(loggedModelArtifactPaths('not json'), []);
    assert.deepEqual(loggedModelArtifactPaths('{"a":1}'), []);
  });

  test('versions: description, order, aliases', () => {
    assert.equal(versionDescription('Production', ['champion']), 'Production · @champion');
    assert.equal(versionDescription('None', ['a', 'b']), '@a @b');
    assert.equal(versionDescription('Staging', []), 'Staging');
    assert.equal(versionDescription(undefined, []), '');
    assert.deepEqual(['1', '10', '9', '2'].sort(compareVersionsDescending), ['10', '9', '2', '1']);
    assert.equal(latestVersion(['3', '12', '7']), '12');
    assert.equal(latestVersion([]), undefined);
    assert.deepEqual(
      aliasesOfVersion('2', ['b'], [
        { alias: 'a', version: '2' },
        { alias: 'b', version: '2' },
        { alias: 'c', version: '3' },
      ]),
      ['a', 'b'],
    );
    assert.deepEqual(aliasesOfVersion('2', undefined, undefined), []);
  });

  test('text helpers', () => {
    assert.equal(escapeMarkdown('a_b*c [x](y)'), 'a\\_b\\*c \\[x\\]\\(y\\)');
    assert.equal(fileSizeOf('1024'), 1024);
    assert.equal(fileSizeOf(undefined), undefined);
    assert.equal(fileSizeOf('x'), undefined);
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(5 * 1024 * 1024), '5 MB');
  });
});

describe('artifact paths', () => {
  test('URI paths round-trip', () => {
    assert.equal(artifactUriPath('abc'), '/abc');
    assert.equal(artifactUriPath('abc', 'model/MLmodel'), '/abc/model/MLmodel');
    assert.equal(artifactUriPath('abc', '/model//MLmodel/'), '/abc/model/MLmodel');
    assert.deepEqual(parseArtifactUriPath('/abc/model/MLmodel'), { runId: 'abc', path: 'model/MLmodel' });
    assert.deepEqual(parseArtifactUriPath('/abc'), { runId: 'abc', path: '' });
    assert.deepEqual(parseArtifactUriPath('/abc/'), { runId: 'abc', path: '' });
    assert.deepEqual(parseArtifactUriPath('/abc/a b/c.png'), { runId: 'abc', path: 'a b/c.png' });
  });

  test('refuses what names no artifact', () => {
    assert.equal(parseArtifactUriPath('/'), undefined);
    assert.equal(parseArtifactUriPath(''), undefined);
    assert.equal(parseArtifactUriPath('/abc/../x'), undefined);
    assert.equal(parseArtifactUriPath('/a.b/x'), undefined);
    assert.equal(normalizeArtifactPath('a\\..\\b'), undefined);
    assert.equal(normalizeArtifactPath('./a/./b'), 'a/b');
  });

  test('proxied storage paths of mlflow-artifacts roots', () => {
    assert.equal(proxiedStoragePath('mlflow-artifacts:/1/abc/artifacts'), '1/abc/artifacts');
    assert.equal(proxiedStoragePath('mlflow-artifacts:/1/abc/artifacts/'), '1/abc/artifacts');
    assert.equal(proxiedStoragePath('mlflow-artifacts://host:5000/1/abc/artifacts'), '1/abc/artifacts');
    assert.equal(proxiedStoragePath('mlflow-artifacts:///1/abc/artifacts'), '1/abc/artifacts');
    assert.equal(proxiedStoragePath('mlflow-artifacts:/0'), '0');
    assert.equal(proxiedStoragePath('s3://bucket/1/abc/artifacts'), undefined);
    assert.equal(proxiedStoragePath('file:///tmp/mlruns/1/abc/artifacts'), undefined);
    assert.equal(proxiedFilePath('mlflow-artifacts:/1/abc/artifacts', 'model/MLmodel'), '1/abc/artifacts/model/MLmodel');
    assert.equal(proxiedFilePath('mlflow-artifacts:/1/abc/artifacts', '../x'), undefined);
    assert.equal(proxiedFilePath('s3://b/x', 'y'), undefined);
  });

  test('parents and schemes', () => {
    assert.equal(parentPath('a/b/c.txt'), 'a/b');
    assert.equal(parentPath('c.txt'), '');
    assert.equal(schemeOf('s3://bucket/x'), 's3');
    assert.equal(schemeOf('/local/path'), 'local path');
  });
});
