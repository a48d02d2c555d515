// Issue "Show": a user logs runs and a hyperopt sweep with the real mlflow client, then looks at them in
// Runboard's panels inside a real VS Code: a run's metric chart, two runs overlaid (smoothing, x axis), three
// runs compared (only differences, transpose) after selecting them together in the tree, the sweep ranked
// with its best trial first, and every panel in a light and a dark theme.
import assert from 'node:assert/strict';
import path from 'node:path';
import { lastJsonLine, runPython } from '../remote/servers.mjs';
import * as h from './harness.mjs';
import { copiedTrackingEnv, mlflowRest } from './tracking.mjs';

const FIXTURES = path.join(h.E2E_DIR, 'fixtures');
const wb = h.useWorkbench({ name: 'panels', settings: { 'workbench.colorTheme': 'Default Dark Modern' } });

/** What the fixtures logged: { env, rest, runs: { 'cmp-a': id, ... }, sweepParentId }. */
const logged = {};

const experiments = (page, label) => h.treeItem(page, label, { view: 'Experiments' });

/** A chart canvas's data attributes (numbers where they are numbers). */
async function canvasData(frame, metric) {
  const canvas = frame.locator(`[data-testid=chart-canvas][data-metric="${metric}"]`);
  const data = await canvas.evaluate((el) => ({ ...el.dataset }));
  for (const key of ['seriesCount', 'datasetCount', 'renderCount', 'xMin', 'xMax', 'smoothing']) if (key in data) data[key] = Number(data[key]);
  return data;
}

/** Waits until the chart of `metric` has drawn with data and `predicate(data)` holds; returns its data attributes. */
async function drawn(frame, metric, predicate = () => true, what = 'the chart') {
  let data;
  await h.expectPoll(async () => {
    data = await canvasData(frame, metric);
    return data.rendered === 'true' && data.renderCount > 0 && predicate(data);
  }, { what: `${what} of ${metric}`, detail: () => JSON.stringify(data) });
  return data;
}

async function closeAllEditors(page) {
  await h.runCommand(page, 'View: Close All Editors');
  await h.expectPoll(async () => (await page.locator('.part.editor .tabs-container .tab').count()) === 0, { what: 'every editor closed' });
}

wb.test('the Python client logs three runs and a 12-trial hyperopt sweep into the workspace\'s server', async ({ page }) => {
  await h.openViewContainer(page, 'Runboard');
  await experiments(page, 'Default').waitFor({ state: 'visible', timeout: 60000 });
  logged.env = await copiedTrackingEnv(page);
  logged.rest = mlflowRest(logged.env);
  const [runs, sweep] = await Promise.all([
    runPython(path.join(FIXTURES, 'log_panel_runs.py'), [], { env: logged.env }).then(lastJsonLine),
    runPython(path.join(FIXTURES, 'hyperopt_sweep.py'), [], { env: logged.env }).then(lastJsonLine),
  ]);
  logged.runs = runs.run_ids;
  logged.sweepParentId = sweep.parent_run_id;
  for (const experiment of ['e2e-panels', 'e2e-sweep']) await experiments(page, experiment).waitFor({ state: 'visible', timeout: 30000 });
  await experiments(page, 'e2e-panels').click();
  for (const run of ['cmp-a', 'cmp-b', 'cmp-c']) await experiments(page, run).waitFor({ state: 'visible', timeout: 30000 });
});

wb.test('Open Metric Charts from a run\'s context menu draws that run: one series per chart', async ({ page }) => {
  await h.contextMenu(page, experiments(page, 'cmp-a'), 'Open Metric Charts');
  const frame = await h.panelFrame(page, 'charts', { heading: 'Metrics of cmp-a' });
  const { metrics } = await logged.rest.values(logged.runs['cmp-a']);
  const charted = await frame.locator('[data-testid=chart-canvas]').evaluateAll((canvases) => canvases.map((c) => c.dataset.metric));
  assert.deepEqual(charted.sort(), Object.keys(metrics).sort(), 'a chart per metric the run logged');
  for (const key of charted) {
    const chart = await drawn(frame, key);
    assert.equal(chart.seriesCount, 1, `${key}: one run, one series`);
  }
  const data = await canvasData(frame, 'loss');
  assert.equal(data.datasetCount, 1, 'no smoothing: the series is the only curve');
  assert.equal(data.xAxis, 'step');
  const history = await logged.rest.history(logged.runs['cmp-a'], 'loss');
  assert.deepEqual([data.xMin, data.xMax], [history[0].step, history.at(-1).step], 'the x axis spans the logged steps');
  await page.locator('.part.editor').screenshot({ path: `${h.RESULTS_DIR}/panels-charts-one-run.png` });
  await closeAllEditors(page);
});

wb.test('two runs picked in the palette chart together; smoothing adds a faded raw curve per run; the x axis goes step → wall → relative', async ({ page }) => {
  await h.runCommand(page, 'Runboard: Open Metric Charts', { closes: false });
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill('cmp-');
  for (const run of ['cmp-a', 'cmp-b']) await h.pickQuickItem(page, run);
  await page.locator('.quick-input-widget .quick-input-action .monaco-button', { hasText: 'OK' }).click();
  const frame = await h.panelFrame(page, 'charts', { heading: 'Metrics of 2 runs' });

  let data = await drawn(frame, 'loss');
  assert.equal(data.seriesCount, 2, 'two runs: two series');
  assert.equal(data.datasetCount, 2, 'no smoothing: one curve per run');
  assert.equal(data.smoothing, 0);

  // Smoothing: a user drags the slider to about 60%.
  const slider = frame.locator('[data-testid=smoothing]');
  const box = await slider.boundingBox();
  await slider.click({ position: { x: box.width * 0.6, y: box.height / 2 } });
  const before = data.renderCount;
  data = await drawn(frame, 'loss', (d) => d.smoothing > 0 && d.renderCount > before, 'the smoothed chart');
  assert.equal(data.seriesCount, 2, 'smoothing keeps one series per run');
  assert.equal(data.datasetCount, 4, 'each smoothed series has its raw curve drawn faded behind it');
  assert.equal(Number(await frame.locator('[data-testid=smoothing-value]').textContent()), data.smoothing, 'the value shown is the one applied');

  // Expected x ranges from the server: steps, timestamps, and time since each run started.
  const runs = [logged.runs['cmp-a'], logged.runs['cmp-b']];
  const histories = await Promise.all(runs.map((id) => logged.rest.history(id, 'loss')));
  const starts = await Promise.all(runs.map(async (id) => Number((await logged.rest.run(id)).info.start_time)));
  const span = (values) => [Math.min(...values), Math.max(...values)];
  const expected = {
    step: span(histories.flat().map((p) => p.step)),
    wall: span(histories.flat().map((p) => Number(p.timestamp))),
    relative: span(histories.flatMap((points, i) => {
      const origin = Math.min(starts[i], Number(points[0].timestamp));
      return points.map((p) => (Number(p.timestamp) - origin) / 1000);
    })),
  };
  assert.ok(expected.wall[1] - expected.wall[0] >= 19000, 'the fixture logged its points a second apart');
  for (const mode of ['step', 'wall', 'relative']) {
    const previous = data.renderCount;
    if (mode !== 'step') await frame.locator(`[data-testid=x-axis-${mode}]`).click();
    data = await drawn(frame, 'loss', (d) => d.xAxis === mode && (mode === 'step' || d.renderCount > previous), `the ${mode} x axis`);
    assert.equal(data.seriesCount, 2, `${mode}: still two series`);
    assert.ok(Math.abs(data.xMin - expected[mode][0]) < 1e-6 && Math.abs(data.xMax - expected[mode][1]) < 1e-6, `${mode}: x spans ${expected[mode]} (drawn ${data.xMin}..${data.xMax})`);
  }
  assert.equal(await frame.locator('[data-testid=x-axis]').getAttribute('data-value'), 'relative', 'the radio group shows the axis in use');
  await page.locator('.part.editor').screenshot({ path: `${h.RESULTS_DIR}/panels-charts-two-runs.png` });
});

wb.test('three runs selected in the tree with Ctrl+click compare from the context menu; only differences keeps exactly the rows that differ; transpose swaps runs and keys', async ({ page }) => {
  const names = ['cmp-a', 'cmp-b', 'cmp-c'];
  await experiments(page, names[0]).click();
  for (const name of names.slice(1)) await experiments(page, name).click({ modifiers: ['Control'] });
  const selected = h.viewPane(page, 'Experiments').locator('.monaco-list-row[aria-selected="true"]');
  await h.expectPoll(async () => (await selected.count()) === 3, { what: 'three runs selected', detail: () => selected.allInnerTexts() });
  await h.contextMenu(page, experiments(page, 'cmp-c'), 'Compare Runs...');
  const frame = await h.panelFrame(page, 'compare', { heading: 'Compare 3 runs' });
  const table = frame.locator('[data-testid=compare-table]');
  const ids = names.map((name) => logged.runs[name]);
  assert.equal(await table.getAttribute('data-run-count'), '3', 'the three selected runs, no picker in between');
  assert.deepEqual((await frame.locator('[data-testid=compare-table] thead th[data-run-id]').evaluateAll((ths) => ths.map((th) => th.dataset.runId))).sort(), [...ids].sort());

  // Expected rows from the server: experiment and status, then every param, metric and user tag; a row
  // differs when not every run has the same value.
  const values = await Promise.all(ids.map((id) => logged.rest.values(id)));
  const expected = [{ key: 'attribute:Experiment', differs: false }, { key: 'attribute:Status', differs: false }];
  for (const [section, field] of [['param', 'params'], ['metric', 'metrics'], ['tag', 'tags']]) {
    const keys = [...new Set(values.flatMap((v) => Object.keys(v[field])))].filter((key) => !key.startsWith('mlflow.')).sort();
    for (const key of keys) expected.push({ key: `${section}:${key}`, differs: new Set(values.map((v) => v[field][key])).size > 1 });
  }
  const differing = expected.filter((row) => row.differs).map((row) => row.key);
  // What log_panel_runs.py sets up: shared optimizer, batch_size, epochs and team; lr, layers, loss and accuracy differ.
  assert.deepEqual([...differing].sort(), ['metric:accuracy', 'metric:loss', 'param:layers', 'param:lr']);
  const rowKeys = () => frame.locator('[data-testid=compare-row]').evaluateAll((rows) => rows.map((row) => `${row.dataset.section}:${row.dataset.key}`));

  assert.equal(await table.getAttribute('data-only-differences'), 'false');
  assert.equal(Number(await table.getAttribute('data-row-count')), expected.length, 'every row at first');
  assert.deepEqual(await rowKeys(), expected.map((row) => row.key));

  await frame.locator('[data-testid=only-differences]').click();
  await h.expectPoll(async () => (await table.getAttribute('data-only-differences')) === 'true', { what: 'only differences on' });
  assert.equal(Number(await table.getAttribute('data-row-count')), differing.length, 'only the rows that differ');
  assert.deepEqual(await rowKeys(), differing);
  assert.equal(await frame.locator('[data-testid=compare-row]:not(.differs)').count(), 0, 'every row left is marked as differing');

  await frame.locator('[data-testid=transpose]').click();
  await h.expectPoll(async () => (await table.getAttribute('data-transposed')) === 'true', { what: 'the table transposed' });
  assert.equal(await table.getAttribute('data-only-differences'), 'true', 'transposing keeps only the differences');
  assert.deepEqual((await frame.locator('[data-testid=compare-row]').evaluateAll((rows) => rows.map((row) => row.dataset.runId))).sort(), [...ids].sort(), 'a row per run');
  const columns = await table.locator('thead th').allInnerTexts();
  assert.deepEqual(columns.map((c) => c.trim()), ['Run', ...differing.map((key) => key.replace(/^param:/, 'params.').replace(/^metric:/, 'metrics.'))], 'a column per differing key');
  await page.locator('.part.editor').screenshot({ path: `${h.RESULTS_DIR}/panels-compare-transposed.png` });

  await frame.locator('[data-testid=transpose]').click(); // back to keys down the side for the theme screenshots
  await h.expectPoll(async () => (await table.getAttribute('data-transposed')) === 'false', { what: 'the table back' });
});

wb.test('the sweep view of the hyperopt parent ranks its 12 trials by val_loss, the best one (per the server) first and marked best', async ({ page }) => {
  const rest = logged.rest;
  const parent = await rest.run(logged.sweepParentId);
  const { runs: trials = [] } = await rest.post('runs/search', {
    experiment_ids: [parent.info.experiment_id],
    filter: `tags.mlflow.parentRunId = '${logged.sweepParentId}'`,
    max_results: 1000,
  });
  assert.equal(trials.length, 12, 'hyperopt ran 12 trials, each a nested run');
  const lossOf = (run) => run.data.metrics.find((m) => m.key === 'val_loss').value;
  const ranked = [...trials].sort((a, b) => lossOf(a) - lossOf(b));
  assert.ok(lossOf(ranked[0]) < lossOf(ranked[1]), 'one trial is strictly best (no tie to break)');

  await experiments(page, 'e2e-sweep').click();
  await h.contextMenu(page, experiments(page, 'hpo-sweep'), 'Open Sweep View');
  const frame = await h.panelFrame(page, 'sweep', { heading: 'Sweep hpo-sweep' });
  const panel = frame.locator('[data-testid=sweep-panel]');
  assert.equal(await panel.getAttribute('data-child-count'), '12');
  assert.equal(await panel.getAttribute('data-metric'), 'val_loss', 'the metric the search minimised ranks the trials');
  assert.equal(await panel.getAttribute('data-direction'), 'min', 'a loss: lower is better');

  const rows = frame.locator('[data-testid=sweep-row]');
  assert.equal(await rows.count(), 12);
  const first = rows.first();
  assert.equal(await first.getAttribute('data-run-id'), ranked[0].info.run_id, `the first row is ${ranked[0].info.run_name}, the lowest val_loss on the server`);
  assert.equal(await first.getAttribute('data-best'), 'true');
  assert.equal(await first.getAttribute('data-rank'), '1');
  assert.equal(await frame.locator('[data-testid=sweep-row][data-best="true"]').count(), 1, 'one best trial');
  assert.equal(await panel.getAttribute('data-best-run-id'), ranked[0].info.run_id);
  assert.match(await frame.locator('[data-testid=best-run]').innerText(), new RegExp(`^${ranked[0].info.run_name}$`));
  const order = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.runId));
  assert.deepEqual(order, ranked.map((run) => run.info.run_id), 'every trial in val_loss order');
  // Parallel coordinates: a line per trial across the params that differ and the ranking metric last.
  const parallel = frame.locator('[data-testid=sweep-parallel][data-rendered="true"]');
  await parallel.waitFor({ state: 'attached', timeout: 30000 });
  assert.equal(await parallel.getAttribute('data-series-count'), '12', 'one line per trial');
  assert.ok(Number(await parallel.getAttribute('data-axis-count')) >= 2, 'at least one param axis and the metric axis');
  await page.locator('.part.editor').screenshot({ path: `${h.RESULTS_DIR}/panels-sweep.png` });
  // Scatter: every trial is a point (a param against val_loss).
  await frame.locator('[data-testid=tab-scatter]').click();
  const scatter = frame.locator('[data-testid=sweep-scatter][data-rendered="true"]');
  await scatter.waitFor({ state: 'visible', timeout: 30000 });
  assert.equal(await scatter.getAttribute('data-point-count'), '12', 'one point per trial');
  await frame.locator('[data-testid=tab-parallel]').click();
});

/** Relative luminance of a CSS colour (#rgb, #rrggbb[aa], rgb[a]()), per WCAG. */
function luminance(color) {
  let rgb;
  const hex = /^#([0-9a-f]{3,8})$/i.exec(color.trim());
  if (hex) {
    const digits = hex[1].length <= 4 ? [...hex[1]].map((d) => d + d) : hex[1].match(/../g);
    rgb = digits.slice(0, 3).map((d) => parseInt(d, 16));
  } else if (/^color\(srgb /.test(color.trim())) {
    // What getComputedStyle gives for color-mix(in srgb, ...): channels from 0 to 1.
    rgb = color.trim().slice('color(srgb '.length, -1).split(/\s+/).slice(0, 3).map((v) => Number(v) * 255);
  } else {
    const fn = /^rgba?\(([^)]+)\)$/.exec(color.trim());
    if (!fn) throw new Error(`not a colour: ${color}`);
    rgb = fn[1].split(/[\s,/]+/).slice(0, 3).map(Number);
  }
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const contrast = (a, b) => (Math.max(luminance(a), luminance(b)) + 0.05) / (Math.min(luminance(a), luminance(b)) + 0.05);

/** The panels open at this point, by editor tab and heading. */
const OPEN_PANELS = [
  { kind: 'charts', tab: 'Charts of 2 runs', heading: 'Metrics of 2 runs' },
  { kind: 'compare', tab: 'Compare 3 Runs', heading: 'Compare 3 runs' },
  { kind: 'sweep', tab: 'Sweep hpo-sweep', heading: 'Sweep hpo-sweep' },
  { kind: 'details', tab: 'Run cmp-c', heading: 'cmp-c' },
];

/**
 * Shows each open panel and saves test-results/e2e/panels-<kind>-<theme>.png of the editor area; checks on the
 * way that each tab's icon is the one drawn for the theme and that the compare table's best values are readable.
 */
async function screenshotPanels(page, themeKind) {
  for (const panel of OPEN_PANELS) {
    const tab = h.editorTab(page, panel.tab);
    await tab.click();
    const frame = await h.panelFrame(page, panel.kind, { heading: panel.heading });
    await h.expectPoll(async () => (await frame.evaluate(() => document.body.dataset.themeKind)) === themeKind, { what: `the ${panel.kind} panel in the ${themeKind} theme` });
    // The tab icon is an image (currentColor would be black there): one file per theme.
    const icon = await tab.locator('.monaco-icon-label').evaluate((label) => getComputedStyle(label, '::before').backgroundImage);
    assert.match(icon, new RegExp(`panel-${themeKind}\\.svg`), `the ${panel.kind} tab shows the ${themeKind} icon`);
    if (panel.kind === 'charts') await drawn(frame, 'loss', (d) => d.themeKind === themeKind, `the ${themeKind} chart`);
    if (panel.kind === 'compare') {
      const colors = await frame.locator('td.best').first().evaluate((cell) => ({ text: getComputedStyle(cell).color, background: getComputedStyle(document.body).backgroundColor }));
      assert.ok(contrast(colors.text, colors.background) >= 4.5, `${themeKind}: best values (${colors.text} on ${colors.background}) are readable, contrast ${contrast(colors.text, colors.background).toFixed(2)}`);
    }
    await page.locator('.part.editor').screenshot({ path: `${h.RESULTS_DIR}/panels-${panel.kind}-${themeKind}.png` });
  }
}

/** Preferences: Color Theme, as a user picks one; waits until the workbench wears it. */
async function pickColorTheme(page, label, workbenchClass) {
  await h.runCommand(page, 'Preferences: Color Theme', { closes: false });
  const name = page.locator('.label-name', { hasText: new RegExp(`^\\s*${label}\\s*$`) });
  await page.locator('.quick-input-widget .monaco-list-row').filter({ has: name }).first().click({ timeout: 15000 });
  await h.expectPoll(async () => page.locator('.monaco-workbench').evaluate((el, cls) => el.classList.contains(cls), workbenchClass), { what: `the workbench in ${label}` });
}

wb.test('every panel is screenshotted in the dark and the light theme; a theme switch recolours the open charts to keep their text readable', async ({ page }) => {
  await h.contextMenu(page, experiments(page, 'cmp-c'), 'Open Run Details');
  await h.panelFrame(page, 'details', { heading: 'cmp-c' });

  // The theme is chosen here rather than assumed: VS Code web may start in the browser's (light) colour scheme
  // before the user's settings apply.
  await pickColorTheme(page, 'Dark Modern', 'vs-dark');
  await screenshotPanels(page, 'dark');
  await h.editorTab(page, 'Charts of 2 runs').click();
  let frame = await h.panelFrame(page, 'charts', { heading: 'Metrics of 2 runs' });
  assert.ok(await frame.evaluate(() => document.body.classList.contains('vscode-dark')), 'VS Code marks the webview dark');
  const dark = await drawn(frame, 'loss', (d) => d.themeKind === 'dark');

  // A user switches the colour theme while the panels are open.
  await pickColorTheme(page, 'Light Modern', 'vs');
  frame = await h.panelFrame(page, 'charts', { heading: 'Metrics of 2 runs' });
  await h.expectPoll(async () => frame.evaluate(() => document.body.classList.contains('vscode-light')), { what: 'VS Code marks the webview light' });
  const light = await drawn(frame, 'loss', (d) => d.themeKind === 'light' && d.renderCount > 0, 'the chart rebuilt in the light theme');

  for (const key of ['textColor', 'gridColor', 'background']) assert.notEqual(light[key], dark[key], `${key} follows the theme (${dark[key]} → ${light[key]})`);
  assert.ok(luminance(dark.textColor) > luminance(dark.background), `dark: light text (${dark.textColor}) on a dark background (${dark.background})`);
  assert.ok(luminance(light.textColor) < luminance(light.background), `light: dark text (${light.textColor}) on a light background (${light.background})`);
  for (const [name, colors] of [['dark', dark], ['light', light]]) {
    assert.ok(contrast(colors.textColor, colors.background) >= 4.5, `${name}: axis text contrast ${contrast(colors.textColor, colors.background).toFixed(2)} is readable (WCAG AA)`);
  }
  await screenshotPanels(page, 'light');
}, { timeout: 300_000 });

