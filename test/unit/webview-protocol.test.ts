import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { metricKeysOf, runIdOf, runIdsOf, sourceMatches } from '../../src/extension/panels/args';
import { contentSecurityPolicy, panelHtml } from '../../src/extension/panels/html';
import {
  decodeMetricValue,
  encodeMetricValue,
  isArtifactPath,
  isWebviewMessage,
  panelIdentity,
  parsePanelArgs,
  parsePersistedState,
  PROTOCOL_VERSION,
  serializeBootstrap,
  type Bootstrap,
} from '../../src/webview/protocol';
import { defaultMetricKeys, normalizeChartsUi, normalizeCompareUi } from '../../src/webview/lib/ui-state';

const RUN = '0123456789abcdef0123456789abcdef';

describe('protocol guards', () => {
  test('accepts well-formed webview messages', () => {
    assert.ok(isWebviewMessage({ type: 'ready' }));
    assert.ok(isWebviewMessage({ type: 'requestSeries', requestId: 1, key: 'loss', runIds: [RUN], range: { start: 0, end: 10 } }));
    assert.ok(isWebviewMessage({ type: 'saveFile', requestId: 2, fileName: 'loss.png', format: 'png', content: 'data:image/png;base64,AA==' }));
    assert.ok(isWebviewMessage({ type: 'registerBestModel', requestId: 3, parentRunId: RUN, runId: RUN, metric: 'accuracy', direction: 'max' }));
  });

  test('rejects unknown types, bad ids, traversal and bad file names', () => {
    assert.ok(!isWebviewMessage({ type: 'eval', code: '1' }));
    assert.ok(!isWebviewMessage({ type: 'toString' }));
    assert.ok(!isWebviewMessage(null));
    assert.ok(!isWebviewMessage({ type: 'openRun', runId: '../x' }));
    assert.ok(!isWebviewMessage({ type: 'openArtifact', runId: RUN, path: '../../etc/passwd' }));
    assert.ok(!isWebviewMessage({ type: 'openArtifact', runId: RUN, path: '/etc/passwd' }));
    assert.ok(!isWebviewMessage({ type: 'saveFile', requestId: 1, fileName: '../x.csv', format: 'csv', content: '' }));
    assert.ok(!isWebviewMessage({ type: 'saveFile', requestId: 1, fileName: 'x.exe', format: 'exe', content: '' }));
    assert.ok(!isWebviewMessage({ type: 'requestSeries', requestId: 1, key: 'k', runIds: [RUN], range: { start: 5, end: 1 } }));
    assert.ok(!isWebviewMessage({ type: 'requestSeries', requestId: -1, key: 'k', runIds: [RUN] }));
    assert.ok(isArtifactPath('plots/a.png') && !isArtifactPath('a/../b'));
  });

  test('metric values survive JSON', () => {
    for (const v of [1.5, NaN, Infinity, -Infinity]) {
      const back = decodeMetricValue(JSON.parse(JSON.stringify(encodeMetricValue(v))));
      assert.ok(Object.is(back, v) || (Number.isNaN(back) && Number.isNaN(v)));
    }
  });

  test('persisted state is checked against the view type being revived', () => {
    const state = { v: PROTOCOL_VERSION, kind: 'charts', args: { runIds: [RUN, RUN], metricKeys: ['loss'] }, ui: { settings: {} } };
    assert.deepEqual(parsePersistedState('charts', state), { args: { kind: 'charts', args: { runIds: [RUN], metricKeys: ['loss'] } }, ui: { settings: {} } });
    assert.equal(parsePersistedState('details', state), undefined);
    assert.equal(parsePersistedState('charts', { ...state, v: 99 }), undefined);
    assert.equal(parsePanelArgs('sweep', { parentRunId: 'bad id' }), undefined);
  });

  test('one panel per selection, whatever its order', () => {
    assert.equal(panelIdentity({ kind: 'compare', args: { runIds: ['b', 'a'] } }), panelIdentity({ kind: 'compare', args: { runIds: ['a', 'b'] } }));
  });

  test('the inlined bootstrap cannot close its script element', () => {
    const bootstrap: Bootstrap = { protocol: PROTOCOL_VERSION, kind: 'details', args: { runId: RUN }, status: { state: 'ok' }, ui: { note: '</script><script>alert(1)</script>' } };
    const text = serializeBootstrap(bootstrap);
    assert.ok(!text.includes('</script>'));
    assert.deepEqual(JSON.parse(text), bootstrap);
  });
});

describe('panel HTML', () => {
  test('a strict CSP: nonce scripts, no eval, no network', () => {
    const csp = contentSecurityPolicy('vscode-resource:', 'abc');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc'/);
    assert.match(csp, /connect-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
  });

  test('every script carries the nonce; the state is inlined', () => {
    const html = panelHtml({ cspSource: 'src:', script: 'main.js', style: 'main.css', codicons: 'codicon.css' }, { protocol: PROTOCOL_VERSION, kind: 'details', args: { runId: RUN }, status: { state: 'ok' } }, 'Run "x"', 'N0NCE');
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.equal(scripts.length, 2);
    for (const tag of scripts) assert.match(tag, /nonce="N0NCE"/);
    assert.match(html, /id="runboard-bootstrap"/);
    assert.match(html, /<title>Run &quot;x&quot;<\/title>/);
  });
});

describe('command arguments', () => {
  const runRow = { kind: 'run', run: { info: { run_id: RUN } } };
  const metricRow = { kind: 'metric', key: 'loss', run: runRow };

  test('runs from tree rows, ids, objects and selections', () => {
    assert.equal(runIdOf(runRow), RUN);
    assert.equal(runIdOf(metricRow), RUN);
    assert.equal(runIdOf({ runId: RUN }), RUN);
    assert.equal(runIdOf({ kind: 'modelVersion', version: { name: 'm', version: '1', run_id: RUN } }), RUN);
    assert.equal(runIdOf({ kind: 'modelVersion', version: { name: 'm', version: '1' } }), undefined);
    assert.equal(runIdOf('not an id!'), undefined);
    assert.deepEqual(runIdsOf([runRow, [runRow, { runId: 'abc' }]]), [RUN, 'abc']);
    assert.deepEqual(runIdsOf([{ runIds: ['a', 'b'] }]), ['a', 'b']);
    assert.deepEqual(runIdsOf([]), []);
    assert.deepEqual(metricKeysOf([metricRow]), ['loss']);
    assert.deepEqual(metricKeysOf([{ runIds: [RUN], metricKeys: ['a', 'b'] }]), ['a', 'b']);
  });

  test('script sources match the open file', () => {
    assert.ok(sourceMatches('train.py', '/ws/train.py', ['/ws']));
    assert.ok(sourceMatches('./src/train.py', '/ws/src/train.py', ['/ws']));
    assert.ok(sourceMatches('/ws/train.py', '/ws/train.py', []));
    assert.ok(sourceMatches('train.py', '/ws/sub/train.py', ['/ws']));
    assert.ok(!sourceMatches('other/train.py', '/ws/train.py', ['/ws']));
    assert.ok(!sourceMatches('/elsewhere/train.py', '/ws/train.py', ['/ws']));
    assert.ok(!sourceMatches('mytrain.py', '/ws/train.py', ['/ws']));
  });
});

describe('UI state', () => {
  test('invalid saved state falls back to defaults', () => {
    const ui = normalizeChartsUi({ settings: { xAxis: 'nonsense', smoothing: 7, logScale: 'yes', groupBy: 'evil' }, zoom: { loss: { min: 5, max: 1 }, acc: { min: 0, max: 10 } } });
    assert.deepEqual(ui.settings, { xAxis: 'step', smoothing: 0.99, logScale: false, groupBy: '' });
    assert.deepEqual(ui.zoom, { acc: { min: 0, max: 10 } });
    assert.equal(normalizeCompareUi(undefined).tab, 'table');
  });

  test('default metrics: those asked for, else model metrics before system ones', () => {
    assert.deepEqual(defaultMetricKeys(['acc', 'loss', 'system/cpu'], ['loss']), ['loss']);
    assert.deepEqual(defaultMetricKeys(['system/cpu', 'acc'], [], 6), ['acc']);
    assert.deepEqual(defaultMetricKeys(['system/cpu'], []), ['system/cpu']);
  });
});
