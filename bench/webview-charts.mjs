// `npm run bench:charts`: draws the metric charts webview (dist/webview/main.js, as built) in headless
// chromium with synthetic histories and prints how long the first draw takes. A measurement, not a test:
// it never fails on timing. Targets from the issue: 50 runs × 10k steps under 300 ms; the first chart of
// a 1M-point metric under 100 ms.
//
// The page is the real panel bundle; only the host is replaced by a stub that answers requestSeries from
// data generated in the page, as the host sends it (Float64Array columns). Timing runs from the moment the
// answer is posted to the webview (its buffers transferred, as VS Code does) until the chart container
// reports data-rendered.
//
// Env: CHROMIUM_BIN (default /usr/bin/chromium), BENCH_REPEAT (default 5).
/* global document, window -- page.evaluate callbacks run in the browser */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const chromiumBin = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const repeat = Number(process.env.BENCH_REPEAT ?? 5);
const dist = path.join(root, 'dist', 'webview');
if (!fs.existsSync(path.join(dist, 'main.js'))) {
  console.error('dist/webview/main.js is missing: run `npm run build` first.');
  process.exit(1);
}
let chromium;
try {
  ({ chromium } = createRequire(path.join(root, 'test', 'e2e', 'package.json'))('playwright-core'));
} catch {
  console.error('playwright-core is missing: run `node scripts/e2e-setup.mjs` first.');
  process.exit(1);
}
if (!fs.existsSync(chromiumBin)) {
  console.error(`chromium not found at ${chromiumBin} (set CHROMIUM_BIN).`);
  process.exit(1);
}

const scenarios = [
  { name: '50 runs × 10k steps', runs: 50, points: 10_000, target: 300 },
  { name: '1 run × 1M points, unsampled (first chart)', runs: 1, points: 1_000_000, target: 100 },
  { name: '1M-point metric as the server samples it (2.5k)', runs: 1, points: 2_500, target: undefined },
];

/** The page: the panel bundle with a stub host that generates histories on request. */
function page(scenario) {
  const runIds = Array.from({ length: scenario.runs }, (_, i) => `run${String(i).padStart(4, '0')}`);
  const bootstrap = {
    protocol: 1,
    kind: 'charts',
    args: { runIds, metricKeys: ['loss'] },
    status: { state: 'ok' },
    ui: { settings: { xAxis: 'step', smoothing: 0, logScale: false, groupBy: '' }, metricKeys: ['loss'], zoom: {}, filter: '', hidden: [] },
    data: {
      version: 1,
      payload: {
        kind: 'charts',
        data: {
          runs: runIds.map((runId, i) => ({ runId, name: `run-${i}`, experimentId: '1', experimentName: 'bench', status: 'FINISHED', lifecycleStage: 'active', startTime: 1_700_000_000_000, params: { lr: String(10 ** -(i % 4)) }, metrics: {}, tags: {} })),
          metricKeys: ['loss'],
          missing: [],
        },
      },
    },
  };
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="${path.join(dist, 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${path.join(dist, 'main.css')}">
<style>:root{--vscode-font-family:sans-serif;--vscode-font-size:13px;--vscode-foreground:#ccc;--vscode-editor-background:#1e1e1e;--vscode-editor-foreground:#ccc}</style>
</head><body class="vscode-dark"><div id="app"></div>
<script type="application/json" id="runboard-bootstrap">${JSON.stringify(bootstrap)}</script>
<script>
window.__bench = { points: ${scenario.points} };
window.acquireVsCodeApi = () => ({
  getState: () => undefined,
  setState: () => {},
  postMessage(message) {
    if (message.type !== 'requestSeries') return;
    const n = window.__bench.points;
    const series = message.runIds.map((runId, r) => {
      const steps = new Float64Array(n), timestamps = new Float64Array(n), values = new Float64Array(n);
      let v = 2 + r / 50;
      for (let i = 0; i < n; i++) {
        steps[i] = i;
        timestamps[i] = 1700000000000 + i * 50;
        v = v * 0.9995 + (Math.sin(i * 12.9898 + r) * 43758.5453 % 1) * 0.01;
        values[i] = v;
      }
      return { runId, steps, timestamps, values, sampled: false };
    });
    const reply = { type: 'series', requestId: message.requestId, key: message.key, full: false, series };
    // VS Code hands a host message to the webview frame with its ArrayBuffers transferred, not copied.
    const transfer = series.flatMap((s) => [s.steps.buffer, s.timestamps.buffer, s.values.buffer]);
    setTimeout(() => {
      window.__bench.replyAt = performance.now();
      window.postMessage(reply, '*', transfer);
    }, 0);
  },
});
</script>
<script src="${path.join(dist, 'main.js')}"></script>
</body></html>`;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-bench-charts-'));
const browser = await chromium.launch({ executablePath: chromiumBin, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  console.log(`chromium ${browser.version()}, ${os.cpus().length} CPU(s); median of ${repeat}`);
  for (const scenario of scenarios) {
    const file = path.join(dataDir, `${scenario.runs}x${scenario.points}.html`);
    fs.writeFileSync(file, page(scenario));
    const totals = [];
    const renders = [];
    let seriesCount = 0;
    let pointCount = 0;
    for (let i = 0; i < repeat; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const tab = await context.newPage();
      const errors = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      await tab.goto(`file://${file}`);
      const container = tab.locator('[data-testid=chart-canvas][data-metric=loss][data-rendered=true]');
      await container.waitFor({ timeout: 120_000 });
      const result = await tab.evaluate(() => {
        const el = document.querySelector('[data-testid=chart-canvas][data-metric=loss]');
        return { drawnAt: Number(el.dataset.drawnAt), renderMs: Number(el.dataset.renderMs), seriesCount: Number(el.dataset.seriesCount), pointCount: Number(el.dataset.pointCount), replyAt: window.__bench.replyAt };
      });
      if (errors.length > 0) throw new Error(errors.join('\n'));
      totals.push(result.drawnAt - result.replyAt);
      renders.push(result.renderMs);
      seriesCount = result.seriesCount;
      pointCount = result.pointCount;
      await context.close();
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const total = median(totals);
    const target = scenario.target === undefined ? '' : ` (target < ${scenario.target} ms: ${total < scenario.target ? 'met' : 'NOT met'})`;
    console.log(
      `${scenario.name.padEnd(48)} answer → drawn ${total.toFixed(1).padStart(7)} ms, of which render ${median(renders).toFixed(1).padStart(6)} ms; ${seriesCount} series, ${pointCount} points drawn${target}`,
    );
  }
} finally {
  await browser.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
