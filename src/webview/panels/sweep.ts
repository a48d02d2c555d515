/**
 * A sweep (a parent run and its trials): the trials ranked by a chosen metric, the best one marked and
 * first, parallel coordinates of the swept params, a scatter of a param against the metric, and
 * "Register best model".
 */
import type { Bootstrap, Direction, HostMessage, RunRecord } from '../protocol';
import { decodeMetricValue } from '../protocol';
import { ParallelChart } from '../charts/parallel-chart';
import { ScatterChart } from '../charts/scatter-chart';
import { h, icon, notice, replaceChildren, select } from '../lib/dom';
import { formatDuration, formatNumber, runLabel } from '../lib/format';
import { post, request } from '../lib/host';
import { dimensionId, parseDimension, type Dimension } from '../lib/parallel';
import { guessDirection, guessSweepMetric, rankRuns, sweptParams, type Ranked } from '../lib/sweep';
import { toast } from '../lib/toast';
import { normalizeSweepUi } from '../lib/ui-state';
import { PanelApp } from './app';

const MAX_TABLE_PARAMS = 8;

export class SweepApp extends PanelApp<'sweep'> {
  private readonly header = h('header', { class: 'panel-header' });
  private readonly controls = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Ranking' });
  private readonly summary = h('div', { class: 'sweep-summary', data: { testid: 'sweep-summary' } });
  private readonly tableHost = h('div', { class: 'table-scroll' });
  private readonly plotTabs = h('div', { class: 'plot-area' });
  private parallel: ParallelChart | undefined;
  private scatter: ScatterChart | undefined;
  private registering = false;

  constructor(root: HTMLElement, bootstrap: Bootstrap) {
    super(root, bootstrap, 'sweep', normalizeSweepUi);
  }

  protected render(): void {
    const data = this.data!;
    if (!this.content.firstChild) replaceChildren(this.content, this.header, this.controls, this.summary, this.tableHost, this.plotTabs);
    const { parent, children } = data;
    const metric = this.metric();
    const direction = this.direction(metric);
    const ranked = metric ? rankRuns(children, metric, direction) : children.map((run) => ({ run, value: undefined, rank: undefined }));
    const best = ranked[0]?.rank === 1 ? ranked[0] : undefined;
    this.content.dataset.childCount = String(children.length);
    this.content.dataset.bestRunId = best?.run.runId ?? '';
    this.content.dataset.metric = metric ?? '';
    this.content.dataset.direction = direction;

    replaceChildren(
      this.header,
      h('h1', {}, `Sweep ${runLabel(parent.name, parent.runId)}`),
      h('span', { class: 'muted' }, `${children.length}${data.truncated ? '+' : ''} trials · ${parent.status.toLowerCase()}${parent.status === 'RUNNING' ? ' (live)' : ''}`),
      h(
        'span',
        { class: 'header-actions' },
        h('vscode-button', { secondary: true, icon: 'info', on: { click: () => post({ type: 'openRun', runId: parent.runId }) } }, 'Parent run'),
        h(
          'vscode-button',
          {
            secondary: true,
            icon: 'diff',
            disabled: ranked.length < 2,
            data: { testid: 'compare-top' },
            on: { click: () => post({ type: 'compareRuns', runIds: ranked.slice(0, 5).map((r) => r.run.runId) }) },
          },
          'Compare top 5',
        ),
        h(
          'vscode-button',
          {
            icon: 'package',
            disabled: !best || this.registering,
            data: { testid: 'register-best' },
            title: best ? `Register the model logged by ${runLabel(best.run.name, best.run.runId)}` : 'No trial has a value of the chosen metric',
            on: { click: () => best && metric && void this.registerBest(parent.runId, best.run.runId, metric, direction) },
          },
          'Register best model',
        ),
      ),
    );
    this.renderControls(data.metricKeys, metric, direction);
    if (children.length === 0) {
      replaceChildren(this.summary, notice('empty', parent.status === 'RUNNING' ? 'No trials yet: they appear here as the sweep logs them.' : 'This run has no child runs.'));
      replaceChildren(this.tableHost);
      replaceChildren(this.plotTabs);
      return;
    }
    replaceChildren(
      this.summary,
      best && metric
        ? h(
            'p',
            {},
            icon('star-full'),
            ' Best trial: ',
            h('a', { href: '#', data: { testid: 'best-run' }, on: { click: (e) => (e.preventDefault(), post({ type: 'openRun', runId: best.run.runId })) } }, runLabel(best.run.name, best.run.runId)),
            ` with ${metric} = ${formatNumber(best.value)} (${direction === 'min' ? 'lowest' : 'highest'})`,
          )
        : h('p', { class: 'muted' }, metric ? `No trial logged ${metric} yet.` : 'The trials logged no metrics yet.'),
    );
    this.renderTable(ranked, metric, children);
    this.renderPlots(ranked, metric, direction, best?.run.runId);
  }

  private metric(): string | undefined {
    const data = this.data!;
    if (this.ui.metric && data.metricKeys.includes(this.ui.metric)) return this.ui.metric;
    return guessSweepMetric(data.children, data.metricKeys);
  }

  private direction(metric: string | undefined): Direction {
    if (this.ui.direction) return this.ui.direction;
    return metric ? guessDirection(metric) : 'min';
  }

  private renderControls(metricKeys: string[], metric: string | undefined, direction: Direction): void {
    if (metricKeys.length === 0) {
      replaceChildren(this.controls);
      return;
    }
    const radio = (value: Direction, label: string) =>
      h('vscode-radio', {
        label,
        value,
        name: 'direction',
        props: { checked: direction === value },
        data: { testid: `direction-${value}` },
        on: {
          change: (event) => {
            if (!(event.target as HTMLInputElement).checked) return;
            this.setUi({ direction: value });
            this.render();
          },
        },
      });
    replaceChildren(
      this.controls,
      h('span', { class: 'toolbar-label' }, 'Rank by'),
      select(
        metricKeys.map((key) => ({ value: key, label: key })),
        metric ?? '',
        'Metric that ranks the trials',
        (value) => {
          // A new metric: its own guessed direction unless the user picks one again.
          this.setUi({ metric: value, direction: '' });
          this.render();
        },
        'sweep-metric',
      ),
      h('vscode-radio-group', { 'aria-label': 'Better is', data: { testid: 'sweep-direction', value: direction } }, radio('min', 'lower is better'), radio('max', 'higher is better')),
    );
  }

  private renderTable(ranked: Ranked<RunRecord>[], metric: string | undefined, children: RunRecord[]): void {
    const params = sweptParams(children).slice(0, MAX_TABLE_PARAMS);
    const otherMetrics = [...new Set(children.flatMap((c) => Object.keys(c.metrics)))].filter((k) => k !== metric && !k.startsWith('system/')).sort().slice(0, 4);
    const rows = ranked.map((entry) => {
      const run = entry.run;
      const isBest = entry.rank === 1;
      const duration = run.startTime && run.endTime ? formatDuration(run.endTime - run.startTime) : run.status === 'RUNNING' ? 'running' : '';
      return h(
        'tr',
        {
          class: isBest ? 'best-row' : undefined,
          data: { testid: 'sweep-row', runId: run.runId, rank: entry.rank ?? '', best: String(isBest) },
        },
        h('td', { class: 'num' }, isBest ? h('span', { title: 'Best trial', 'aria-label': 'best' }, icon('star-full')) : String(entry.rank ?? '—')),
        h('th', { scope: 'row' }, h('a', { href: '#', title: run.runId, on: { click: (e) => (e.preventDefault(), post({ type: 'openRun', runId: run.runId })) } }, runLabel(run.name, run.runId))),
        metric ? h('td', { class: 'num metric', data: { testid: 'sweep-value' } }, entry.value === undefined ? '—' : formatNumber(entry.value)) : null,
        params.map((key) => h('td', {}, run.params[key] ?? '—')),
        otherMetrics.map((key) => h('td', { class: 'num' }, run.metrics[key] === undefined ? '—' : formatNumber(decodeMetricValue(run.metrics[key])))),
        h('td', { class: `status-${run.status.toLowerCase()}` }, run.status.toLowerCase()),
        h('td', { class: 'muted' }, duration),
      );
    });
    replaceChildren(
      this.tableHost,
      h(
        'table',
        { class: 'data-table sweep', data: { testid: 'sweep-table', rowCount: rows.length } },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, '#'),
            h('th', { scope: 'col' }, 'Trial'),
            metric ? h('th', { scope: 'col', class: 'metric' }, metric) : null,
            params.map((key) => h('th', { scope: 'col' }, key)),
            otherMetrics.map((key) => h('th', { scope: 'col', class: 'muted' }, key)),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Duration'),
          ),
        ),
        h('tbody', {}, rows),
      ),
    );
  }

  private renderPlots(ranked: Ranked<RunRecord>[], metric: string | undefined, direction: Direction, best: string | undefined): void {
    const children = ranked.map((r) => r.run).filter((run) => metric !== undefined && run.metrics[metric] !== undefined);
    if (!metric || children.length === 0) {
      replaceChildren(this.plotTabs);
      return;
    }
    const params = sweptParams(children);
    const selected = this.ui.tab === 'scatter' ? 1 : 0;
    const parallelPanel = h('vscode-tab-panel', { data: { testid: 'tab-panel-parallel' } });
    const scatterPanel = h('vscode-tab-panel', { data: { testid: 'tab-panel-scatter' } });
    const tabs = h(
      'vscode-tabs',
      {
        'selected-index': String(selected),
        props: { selectedIndex: selected },
        on: {
          'vsc-tabs-select': (event) => {
            const index = (event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
            this.setUi({ tab: index === 1 ? 'scatter' : 'parallel' });
            requestAnimationFrame(() => (index === 1 ? this.scatter : this.parallel)?.render());
          },
        },
      },
      h('vscode-tab-header', { slot: 'header', data: { testid: 'tab-parallel' } }, 'Parallel coordinates'),
      parallelPanel,
      h('vscode-tab-header', { slot: 'header', data: { testid: 'tab-scatter' } }, 'Scatter'),
      scatterPanel,
    );
    replaceChildren(this.plotTabs, tabs);

    const dimensions: Dimension[] = [...params.map((key): Dimension => ({ kind: 'param', key })), { kind: 'metric', key: metric }];
    const options = { runs: children, dimensions, highlight: best, lowerIsBetter: direction === 'min', onOpenRun: (runId: string) => post({ type: 'openRun', runId }), testId: 'sweep-parallel' };
    this.parallel?.destroy();
    this.parallel = new ParallelChart(options);
    replaceChildren(parallelPanel, params.length === 0 ? h('p', { class: 'muted' }, 'No parameter differs between the trials.') : null, this.parallel.element);

    const xChoices: Dimension[] = [...params.map((key): Dimension => ({ kind: 'param', key })), ...[...new Set(children.flatMap((c) => Object.keys(c.metrics)))].filter((k) => k !== metric).map((key): Dimension => ({ kind: 'metric', key }))];
    const saved = parseDimension(this.ui.scatterX);
    const x = saved && xChoices.some((d) => dimensionId(d) === this.ui.scatterX) ? saved : xChoices[0];
    this.scatter?.destroy();
    this.scatter = undefined;
    if (!x) {
      replaceChildren(scatterPanel, h('p', { class: 'muted' }, 'Nothing to plot against the metric.'));
    } else {
      this.scatter = new ScatterChart({ runs: children, x, y: { kind: 'metric', key: metric }, highlight: best, onOpenRun: (runId) => post({ type: 'openRun', runId }), testId: 'sweep-scatter' });
      replaceChildren(
        scatterPanel,
        h(
          'div',
          { class: 'toolbar' },
          h('span', { class: 'toolbar-label' }, 'X'),
          select(xChoices.map((d) => ({ value: dimensionId(d), label: `${d.kind} ${d.key}` })), dimensionId(x), 'X axis of the scatter', (value) => {
            this.setUi({ scatterX: value });
            const dimension = parseDimension(value);
            if (dimension) this.scatter?.update({ runs: children, x: dimension, y: { kind: 'metric', key: metric }, highlight: best, onOpenRun: (runId) => post({ type: 'openRun', runId }), testId: 'sweep-scatter' });
          }, 'sweep-scatter-x'),
        ),
        this.scatter.element,
      );
    }
    requestAnimationFrame(() => (selected === 1 ? this.scatter : this.parallel)?.render());
  }

  private async registerBest(parentRunId: string, runId: string, metric: string, direction: Direction): Promise<void> {
    this.registering = true;
    this.render();
    try {
      const reply = await request<Extract<HostMessage, { type: 'result' }>>({ type: 'registerBestModel', parentRunId, runId, metric, direction });
      if (!reply.ok && reply.error) toast(reply.error, 'error');
    } finally {
      this.registering = false;
      if (this.data) this.render();
    }
  }
}
