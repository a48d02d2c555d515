import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { axisTick, buildAxis, dimensionsOf, parseDimension, varyingParams } from '../../src/webview/lib/parallel';
import { guessDirection, guessSweepMetric, rankRuns, sweptParams } from '../../src/webview/lib/sweep';
import type { RunRecord } from '../../src/webview/protocol';

function trial(i: number, accuracy: number | undefined, params: Record<string, string>): RunRecord {
  return {
    runId: `t${i}`,
    name: `trial-${i}`,
    experimentId: '1',
    experimentName: 'examples',
    status: 'FINISHED',
    lifecycleStage: 'active',
    startTime: 1000 + i,
    params,
    metrics: accuracy === undefined ? {} : { accuracy },
    tags: {},
  };
}

describe('sweep ranking', () => {
  // A 12-trial hyperopt sweep as examples/sweep_hyperopt.py logs it.
  const accuracies = [0.91, 0.93, 0.88, 0.97, 0.95, 0.9, 0.97, 0.89, 0.92, 0.94, 0.86, 0.96];
  const trials = accuracies.map((a, i) => trial(i, a, { n_estimators: String(10 + (i % 7) * 10), max_depth: String(2 + (i % 5)) }));

  test('guesses the direction from the metric name', () => {
    assert.equal(guessDirection('accuracy'), 'max');
    assert.equal(guessDirection('val_accuracy'), 'max');
    assert.equal(guessDirection('f1_score'), 'max');
    assert.equal(guessDirection('loss'), 'min');
    assert.equal(guessDirection('val_loss'), 'min');
    assert.equal(guessDirection('rmse'), 'min');
    assert.equal(guessDirection('eval/error_rate'), 'min');
  });

  test('the best trial comes first; ties go to the earlier trial', () => {
    const ranked = rankRuns(trials, 'accuracy', 'max');
    assert.equal(ranked.length, 12);
    assert.equal(ranked[0]!.run.runId, 't3');
    assert.equal(ranked[0]!.rank, 1);
    assert.equal(ranked[1]!.run.runId, 't6');
    assert.equal(ranked[11]!.run.runId, 't10');
  });

  test('trials without the metric come last, unranked', () => {
    const ranked = rankRuns([...trials, trial(99, undefined, {})], 'accuracy', 'min');
    assert.equal(ranked[0]!.run.runId, 't10');
    assert.equal(ranked[12]!.run.runId, 't99');
    assert.equal(ranked[12]!.rank, undefined);
  });

  test('guesses the metric a sweep optimises and the swept params', () => {
    assert.equal(guessSweepMetric(trials, ['accuracy']), 'accuracy');
    const mixed = trials.map((t) => ({ ...t, metrics: { ...t.metrics, 'system/cpu': 1, train_loss: 0.1 } }));
    assert.equal(guessSweepMetric(mixed, ['accuracy', 'system/cpu', 'train_loss']), 'accuracy');
    assert.deepEqual(sweptParams(trials), ['max_depth', 'n_estimators']);
  });
});

describe('parallel coordinates axes', () => {
  const runs = [trial(0, 0.5, { lr: '0.1', opt: 'adam' }), trial(1, 1, { lr: '0.3', opt: 'sgd' }), trial(2, 0.75, { lr: '0.2', opt: 'adam' })];

  test('numeric axes map to [0, 1]', () => {
    const axis = buildAxis(runs, { kind: 'param', key: 'lr' });
    assert.equal(axis.type, 'numeric');
    assert.deepEqual(axis.positions.map((p) => Number(p.toFixed(6))), [0, 1, 0.5]);
    assert.equal(Number(axisTick(axis, 0.5)), 0.2);
  });

  test('categorical axes spread their sorted categories', () => {
    const axis = buildAxis(runs, { kind: 'param', key: 'opt' });
    assert.equal(axis.type, 'categorical');
    assert.deepEqual(axis.categories, ['adam', 'sgd']);
    assert.deepEqual(axis.positions, [0, 1, 0]);
    assert.equal(axisTick(axis, 1), 'sgd');
  });

  test('metric axes, missing values and dimension ids', () => {
    const axis = buildAxis([...runs, trial(3, undefined, {})], { kind: 'metric', key: 'accuracy' });
    assert.ok(Number.isNaN(axis.positions[3]!));
    assert.deepEqual(parseDimension('metric:a:b'), { kind: 'metric', key: 'a:b' });
    assert.equal(parseDimension('tag:x'), undefined);
    assert.deepEqual(dimensionsOf(runs).map((d) => `${d.kind}:${d.key}`), ['param:lr', 'param:opt', 'metric:accuracy']);
    assert.deepEqual(varyingParams(runs), ['lr', 'opt']);
  });
});
