/**
 * Compare runs (any selection, across experiments): a table of params and metrics ("only differences",
 * transpose, CSV), parallel coordinates of params to a chosen metric, a scatter of a param or metric
 * against a metric, and overlaid metric charts (grouping by a param or tag shows mean and min–max band).
 */
import type { Bootstrap, CompareUi, HostMessage, RunRecord } from '../protocol';
import { ChartsView } from '../charts/charts-view';
import { saveFile } from '../charts/export';
import { ParallelChart } from '../charts/parallel-chart';
import { ScatterChart } from '../charts/scatter-chart';
import { buildCompareTable, extremes, tableMatrix, type CompareRow, type CompareTable } from '../lib/compare';
import { toCsv } from '../lib/csv';
import { checkbox, h, notice, replaceChildren, select } from '../lib/dom';
import { runLabel } from '../lib/format';
import { post } from '../lib/host';
import { dimensionId, dimensionsOf, parseDimension, varyingParams, type Dimension } from '../lib/parallel';
import { guessDirection } from '../lib/sweep';
import { theme } from '../lib/theme';
import { defaultMetricKeys, normalizeCompareUi } from '../lib/ui-state';
import { PanelApp } from './app';

const TABS: { id: CompareUi['tab']; label: string }[] = [
  { id: 'table', label: 'Table' },
  { id: 'parallel', label: 'Parallel coordinates' },
  { id: 'scatter', label: 'Scatter' },
  { id: 'charts', label: 'Metric charts' },
];

export class CompareApp extends PanelApp<'compare'> {
  private readonly header = h('header', { class: 'panel-header' });
  private tabs: HTMLElement | undefined;
  private readonly panels = new Map<CompareUi['tab'], HTMLElement>();
  private chartsView: ChartsView | undefined;
  private parallel: ParallelChart | undefined;
  private scatter: ScatterChart | undefined;

  constructor(root: HTMLElement, bootstrap: Bootstrap) {
    super(root, bootstrap, 'compare', normalizeCompareUi);
  }

  protected render(): void {
    const data = this.data!;
    if (!this.tabs) this.layout();
    const names = data.runs.map((r) => runLabel(r.name, r.runId));
    const experiments = new Set(data.runs.map((r) => r.experimentId));
    replaceChildren(
      this.header,
      h('h1', {}, `Compare ${data.runs.length} runs`),
      h('span', { class: 'muted' }, `${experiments.size === 1 ? `experiment ${data.runs[0]?.experimentName ?? ''}` : `${experiments.size} experiments`} · ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`),
      data.missing.length > 0 ? notice('info', `${data.missing.length} run(s) could not be loaded (deleted, or on another server).`) : null,
      h('span', { class: 'header-actions' }, h('vscode-button', { secondary: true, icon: 'graph-line', on: { click: () => post({ type: 'openCharts', runIds: data.runs.map((r) => r.runId), metricKeys: [] }) } }, 'Open in charts panel')),
    );
    this.content.dataset.runCount = String(data.runs.length);
    this.renderTab(this.ui.tab);
  }

  private layout(): void {
    const selected = TABS.findIndex((t) => t.id === this.ui.tab);
    const children: HTMLElement[] = [];
    for (const tab of TABS) {
      children.push(h('vscode-tab-header', { slot: 'header', data: { testid: `tab-${tab.id}` } }, tab.label));
      const panel = h('vscode-tab-panel', { data: { testid: `tab-panel-${tab.id}` } });
      this.panels.set(tab.id, panel);
      children.push(panel);
    }
    this.tabs = h(
      'vscode-tabs',
      {
        'selected-index': String(Math.max(0, selected)),
        props: { selectedIndex: Math.max(0, selected) },
        on: {
          'vsc-tabs-select': (event) => {
            const index = (event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
            const tab = TABS[index]?.id ?? 'table';
            this.setUi({ tab });
            this.renderTab(tab);
          },
        },
      },
      children,
    );
    replaceChildren(this.content, this.header, this.tabs);
  }

  private renderTab(tab: CompareUi['tab']): void {
    const data = this.data;
    const panel = this.panels.get(tab);
    if (!data || !panel) return;
    switch (tab) {
      case 'table':
        return this.renderTable(panel, data.runs);
      case 'parallel':
        return this.renderParallel(panel, data.runs);
      case 'scatter':
        return this.renderScatter(panel, data.runs);
      case 'charts':
        return this.renderCharts(panel, data.runs, data.metricKeys);
    }
  }

  // ------------------------------------------------------------ table

  private renderTable(panel: HTMLElement, runs: RunRecord[]): void {
    const table = buildCompareTable(runs, { onlyDifferences: this.ui.onlyDifferences, tags: true });
    const controls = h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Table options' },
      checkbox('Only differences', this.ui.onlyDifferences, (checked) => {
        this.setUi({ onlyDifferences: checked });
        this.renderTable(panel, runs);
      }, 'only-differences'),
      checkbox('Transpose', this.ui.transpose, (checked) => {
        this.setUi({ transpose: checked });
        this.renderTable(panel, runs);
      }, 'transpose'),
      h('vscode-button', { secondary: true, icon: 'table', data: { testid: 'export-table-csv' }, on: { click: () => void this.exportTable(table) } }, 'Export CSV'),
      h('span', { class: 'muted' }, `${table.rows.length} row${table.rows.length === 1 ? '' : 's'}${this.ui.onlyDifferences ? ' that differ' : ''}`),
    );
    const element = this.ui.transpose ? this.transposedTable(table, runs) : this.keyTable(table, runs);
    element.dataset.testid = 'compare-table';
    element.dataset.rowCount = String(table.rows.length);
    element.dataset.runCount = String(runs.length);
    element.dataset.transposed = String(this.ui.transpose);
    element.dataset.onlyDifferences = String(this.ui.onlyDifferences);
    replaceChildren(panel, controls, h('div', { class: 'table-scroll' }, element));
  }

  private runHeader(run: RunRecord): HTMLElement {
    return h(
      'th',
      { scope: 'col', data: { runId: run.runId } },
      h('a', { href: '#', title: `Open ${run.runId}`, on: { click: (e) => (e.preventDefault(), post({ type: 'openRun', runId: run.runId })) } }, runLabel(run.name, run.runId)),
      h('div', { class: 'muted small' }, run.experimentName),
    );
  }

  private keyTable(table: CompareTable, runs: RunRecord[]): HTMLTableElement {
    const sections: [CompareRow['section'], string][] = [
      ['attribute', 'Run'],
      ['param', 'Parameters'],
      ['metric', 'Metrics (latest value)'],
      ['tag', 'Tags'],
    ];
    const body = h('tbody');
    for (const [section, title] of sections) {
      const rows = table.rows.filter((row) => row.section === section);
      if (rows.length === 0) continue;
      body.appendChild(h('tr', { class: 'section-row' }, h('th', { colspan: runs.length + 1, scope: 'rowgroup' }, title)));
      for (const row of rows) {
        const best = bestIndex(row);
        body.appendChild(
          h(
            'tr',
            { class: row.differs ? 'differs' : undefined, data: { testid: 'compare-row', section: row.section, key: row.key } },
            h('th', { scope: 'row', title: row.key }, row.key),
            row.cells.map((cell, i) => h('td', { class: `${row.section === 'metric' ? 'num' : ''}${i === best ? ' best' : ''}`, title: i === best ? `best (${guessDirection(row.key) === 'min' ? 'lowest' : 'highest'})` : undefined }, cell ?? '—')),
          ),
        );
      }
    }
    if (table.rows.length === 0) body.appendChild(h('tr', {}, h('td', { colspan: runs.length + 1, class: 'muted' }, 'These runs have the same params and metrics.')));
    return h('table', { class: 'data-table compare' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), runs.map((run) => this.runHeader(run)))), body);
  }

  private transposedTable(table: CompareTable, runs: RunRecord[]): HTMLTableElement {
    const label = (row: CompareRow) => (row.section === 'attribute' ? row.key : `${row.section === 'param' ? 'params' : row.section === 'metric' ? 'metrics' : 'tags'}.${row.key}`);
    const bests = table.rows.map(bestIndex);
    return h(
      'table',
      { class: 'data-table compare transposed' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Run'), table.rows.map((row) => h('th', { scope: 'col', class: [row.differs ? 'differs' : '', row.section === 'metric' ? 'num' : ''].join(' ').trim() || undefined, title: label(row) }, label(row))))),
      h(
        'tbody',
        {},
        runs.map((run, i) =>
          h(
            'tr',
            { data: { testid: 'compare-row', runId: run.runId } },
            h('th', { scope: 'row' }, h('a', { href: '#', on: { click: (e) => (e.preventDefault(), post({ type: 'openRun', runId: run.runId })) } }, runLabel(run.name, run.runId))),
            table.rows.map((row, r) => h('td', { class: `${row.section === 'metric' ? 'num' : ''}${bests[r] === i ? ' best' : ''}` }, row.cells[i] ?? '—')),
          ),
        ),
      ),
    );
  }

  private async exportTable(table: CompareTable): Promise<void> {
    const [header = [], ...rows] = tableMatrix(table, this.ui.transpose);
    await saveFile('run-comparison.csv', 'csv', toCsv(header, rows));
  }

  // ------------------------------------------------------------ parallel coordinates

  private renderParallel(panel: HTMLElement, runs: RunRecord[]): void {
    const metrics = metricKeysOf(runs);
    if (metrics.length === 0) {
      replaceChildren(panel, notice('empty', 'These runs logged no metrics to compare.'));
      return;
    }
    const metric = metrics.includes(this.ui.parallelMetric) ? this.ui.parallelMetric : (defaultMetricKeys(metrics, [])[0] ?? metrics[0]!);
    const params = varyingParams(runs);
    const dimensions: Dimension[] = [...params.map((key): Dimension => ({ kind: 'param', key })), { kind: 'metric', key: metric }];
    const options = { runs: runs.filter((r) => r.metrics[metric] !== undefined), dimensions, lowerIsBetter: guessDirection(metric) === 'min', onOpenRun: (runId: string) => post({ type: 'openRun', runId }) };
    const controls = h(
      'div',
      { class: 'toolbar' },
      h('span', { class: 'toolbar-label' }, 'Metric'),
      select(metrics.map((key) => ({ value: key, label: key })), metric, 'Metric of the last axis and of the colours', (value) => {
        this.setUi({ parallelMetric: value });
        this.renderParallel(panel, runs);
      }, 'parallel-metric'),
      h('span', { class: 'muted' }, params.length === 0 ? 'No parameter differs between these runs.' : `${params.length} parameter${params.length === 1 ? '' : 's'} that differ · colour: ${metric} (${guessDirection(metric) === 'min' ? 'lower' : 'higher'} is better, warmer)`),
    );
    this.parallel?.destroy();
    this.parallel = new ParallelChart(options);
    replaceChildren(panel, controls, this.parallel.element);
    requestAnimationFrame(() => this.parallel?.render());
  }

  // ------------------------------------------------------------ scatter

  private renderScatter(panel: HTMLElement, runs: RunRecord[]): void {
    const dimensions = dimensionsOf(runs);
    const metrics = dimensions.filter((d) => d.kind === 'metric');
    if (metrics.length === 0) {
      replaceChildren(panel, notice('empty', 'These runs logged no metrics to plot.'));
      return;
    }
    const ids = dimensions.map(dimensionId);
    const y = parseDimension(this.ui.scatterY) && ids.includes(this.ui.scatterY) ? parseDimension(this.ui.scatterY)! : metrics[0]!;
    const firstParam = varyingParams(runs)[0];
    const fallbackX: Dimension = firstParam !== undefined ? { kind: 'param', key: firstParam } : (metrics.find((m) => m.key !== y.key) ?? metrics[0]!);
    const x = parseDimension(this.ui.scatterX) && ids.includes(this.ui.scatterX) ? parseDimension(this.ui.scatterX)! : fallbackX;
    const palette = theme().palette;
    const colors = new Map(runs.map((run, i) => [run.runId, palette[i % palette.length]!]));
    const label = (d: Dimension) => `${d.kind === 'param' ? 'param' : 'metric'} ${d.key}`;
    const controls = h(
      'div',
      { class: 'toolbar' },
      h('span', { class: 'toolbar-label' }, 'X'),
      select(dimensions.map((d) => ({ value: dimensionId(d), label: label(d) })), dimensionId(x), 'X axis: a param or a metric', (value) => {
        this.setUi({ scatterX: value });
        this.renderScatter(panel, runs);
      }, 'scatter-x'),
      h('span', { class: 'toolbar-label' }, 'Y'),
      select(metrics.map((d) => ({ value: dimensionId(d), label: d.key })), dimensionId(y), 'Y axis: a metric', (value) => {
        this.setUi({ scatterY: value });
        this.renderScatter(panel, runs);
      }, 'scatter-y'),
    );
    this.scatter?.destroy();
    this.scatter = new ScatterChart({ runs, x, y, colors, onOpenRun: (runId) => post({ type: 'openRun', runId }) });
    replaceChildren(panel, controls, this.scatter.element);
    requestAnimationFrame(() => this.scatter?.render());
  }

  // ------------------------------------------------------------ charts

  private renderCharts(panel: HTMLElement, runs: RunRecord[], metricKeys: string[]): void {
    if (!this.chartsView) {
      const charts = this.ui.charts.metricKeys.length > 0 ? this.ui.charts : { ...this.ui.charts, metricKeys: defaultMetricKeys(metricKeys, [], 4) };
      this.chartsView = new ChartsView({ ui: charts, onUiChange: (ui) => this.setUi({ charts: ui }) });
      replaceChildren(panel, this.chartsView.element);
    }
    this.chartsView.setRuns(runs, metricKeys);
  }

  protected override onAppend(message: Extract<HostMessage, { type: 'append' }>): void {
    this.chartsView?.append(message.key, message.series);
  }
}

function metricKeysOf(runs: readonly RunRecord[]): string[] {
  const keys = new Set<string>();
  for (const run of runs) for (const key of Object.keys(run.metrics)) keys.add(key);
  return [...keys].sort((a, b) => a.localeCompare(b));
}

/** The best cell of a metric row by the direction its name suggests; -1 when none stands out. */
function bestIndex(row: CompareRow): number {
  if (row.section !== 'metric' || !row.numbers) return -1;
  const range = extremes(row.numbers);
  if (!range) return -1;
  return guessDirection(row.key) === 'min' ? range.min : range.max;
}
