/**
 * Metric charts of a set of runs: the settings toolbar (x axis, smoothing, log scale, group by), a shared
 * legend that hides and shows runs, the metric picker and one chart card per chosen metric. Histories come
 * from the host on demand (a chart loads when it scrolls into view), sampled by the server; zooming asks
 * for the visible step range at full resolution; live runs append points.
 */
import type { ChartSettings, ChartsUi, HostMessage, RunRecord, SeriesPayload, StepRange, XAxisMode, ZoomRange } from '../protocol';
import { checkbox, debounce, h, icon, replaceChildren, select } from '../lib/dom';
import { seriesToCsv } from '../lib/csv';
import { ema } from '../lib/ema';
import { runLabel, safeFileName } from '../lib/format';
import { groupKeyName, groupRuns } from '../lib/grouping';
import { request } from '../lib/host';
import { appendPoints, coversRange, decodeSeries, spliceRange, stepRangeOf, type Series } from '../lib/series';
import { theme } from '../lib/theme';
import { MetricChart, type ChartGroup, type ChartRun, type MetricChartHost } from './metric-chart';
import { saveFile } from './export';
import { toast } from '../lib/toast';

interface LoadEntry {
  state: 'idle' | 'loading' | 'loaded' | 'error';
  error?: string;
  series: Map<string, Series>;
  /** Runs asked for (a run added later is asked for alone). */
  requested: Set<string>;
}

export interface ChartsViewOptions {
  ui: ChartsUi;
  onUiChange: (ui: ChartsUi) => void;
  /** Offer to remove a chart and pick metrics (the compare panel shows the same picker). */
  testIdPrefix?: string;
}

const X_AXIS_LABELS: Record<XAxisMode, string> = { step: 'Step', wall: 'Wall time', relative: 'Relative time' };

export class ChartsView implements MetricChartHost {
  readonly element: HTMLElement;
  private runsById = new Map<string, RunRecord>();
  private runOrder: RunRecord[] = [];
  private metricKeys: string[] = [];
  private readonly entries = new Map<string, LoadEntry>();
  private readonly charts = new Map<string, MetricChart>();
  private readonly toolbar: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly picker: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly observer: IntersectionObserver;
  private ui: ChartsUi;
  private readonly refineLater = new Map<string, ReturnType<typeof debounce<[]>>>();

  constructor(private readonly options: ChartsViewOptions) {
    this.ui = options.ui;
    this.toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Chart settings' });
    this.legend = h('div', { class: 'legend', role: 'group', 'aria-label': 'Runs (click to hide or show)', data: { testid: 'legend' } });
    this.picker = h('div', { class: 'metric-picker', role: 'group', 'aria-label': 'Metrics to chart' });
    this.grid = h('div', { class: 'chart-grid', data: { testid: 'chart-grid' } });
    this.element = h('div', { class: 'charts-view' }, this.toolbar, this.legend, this.picker, this.grid);
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const key = (entry.target as HTMLElement).dataset.metric;
        if (key !== undefined) this.ensureLoaded(key);
        this.charts.get(key ?? '')?.invalidate();
      }
    });
  }

  // ------------------------------------------------------------ MetricChartHost

  settings(): ChartSettings {
    return this.ui.settings;
  }

  runs(): ChartRun[] {
    const palette = theme().palette;
    const hidden = new Set(this.ui.hidden);
    return this.runOrder
      .map((run, i) => ({ runId: run.runId, name: runLabel(run.name, run.runId), color: palette[i % palette.length]!, startTime: run.startTime }))
      .filter((run) => !hidden.has(run.runId));
  }

  groups(): ChartGroup[] | undefined {
    if (!this.ui.settings.groupBy) return undefined;
    const hidden = new Set(this.ui.hidden);
    const palette = theme().palette;
    return groupRuns(
      this.runOrder.filter((run) => !hidden.has(run.runId)),
      this.ui.settings.groupBy,
    ).map((group, i) => ({ ...group, color: palette[i % palette.length]! }));
  }

  series(key: string): ReadonlyMap<string, Series> | undefined {
    const entry = this.entries.get(key);
    return entry && entry.state !== 'idle' && (entry.state !== 'loading' || entry.series.size > 0) ? entry.series : undefined;
  }

  loadState(key: string): { state: 'idle' | 'loading' | 'loaded' | 'error'; error?: string } {
    const entry = this.entries.get(key);
    return entry ? { state: entry.state, error: entry.error } : { state: 'idle' };
  }

  zoom(key: string): ZoomRange | undefined {
    return this.ui.zoom[key];
  }

  setZoom(key: string, range: ZoomRange | undefined): void {
    const zoom = { ...this.ui.zoom };
    if (range && Number.isFinite(range.min) && Number.isFinite(range.max) && range.min < range.max) zoom[key] = range;
    else delete zoom[key];
    this.update({ zoom });
    if (range) this.scheduleRefine(key);
  }

  exportPng(key: string, dataUrl: string): void {
    void saveFile(`${safeFileName(key)}.png`, 'png', dataUrl);
  }

  async exportCsv(key: string): Promise<void> {
    const runs = this.runs();
    const reply = await request<Extract<HostMessage, { type: 'series' }>>({ type: 'requestSeries', key, runIds: runs.map((r) => r.runId), full: true });
    if (reply.error) {
      toast(`Could not export ${key}: ${reply.error}`, 'error');
      return;
    }
    const names = new Map(runs.map((r) => [r.runId, r.name]));
    const weight = this.ui.settings.smoothing;
    const rows = reply.series.map((payload) => {
      const series = decodeSeries(payload);
      return {
        runId: series.runId,
        runName: names.get(series.runId) ?? series.runId,
        key,
        steps: series.steps,
        timestamps: series.timestamps,
        values: series.values,
        ...(weight > 0 ? { smoothed: ema(series.values, weight) } : {}),
      };
    });
    await saveFile(`${safeFileName(key)}.csv`, 'csv', seriesToCsv(rows));
  }

  remove(key: string): void {
    this.update({ metricKeys: this.ui.metricKeys.filter((k) => k !== key) });
    this.renderPicker();
    this.syncCharts();
  }

  // ------------------------------------------------------------ data

  /** Runs and the metric keys they logged (a data snapshot from the host). */
  setRuns(runs: readonly RunRecord[], metricKeys: readonly string[]): void {
    const previous = this.runsById;
    this.runOrder = [...runs];
    this.runsById = new Map(runs.map((run) => [run.runId, run]));
    this.metricKeys = [...metricKeys];
    // Runs added since a metric loaded are asked for; runs removed are dropped.
    for (const [key, entry] of this.entries) {
      for (const runId of [...entry.series.keys()]) if (!this.runsById.has(runId)) entry.series.delete(runId);
      const added = runs.filter((run) => !entry.requested.has(run.runId) && !previous.has(run.runId));
      if (added.length > 0 && entry.state !== 'idle') void this.load(key, added.map((r) => r.runId));
    }
    this.renderToolbar();
    this.renderLegend();
    this.renderPicker();
    this.syncCharts();
    for (const chart of this.charts.values()) chart.invalidate();
  }

  /** Live points of running runs. */
  append(key: string, payloads: readonly SeriesPayload[]): void {
    const entry = this.entries.get(key);
    if (!entry || entry.state !== 'loaded') return;
    let changed = false;
    for (const payload of payloads) {
      const incoming = decodeSeries(payload);
      const series = entry.series.get(payload.runId);
      if (series) changed = appendPoints(series, incoming) > 0 || changed;
      else if (entry.requested.has(payload.runId)) {
        entry.series.set(payload.runId, incoming);
        changed = true;
      }
    }
    if (changed) this.charts.get(key)?.invalidate();
  }

  /** Every chart drawn now (benchmarks). */
  renderNow(): void {
    for (const chart of this.charts.values()) chart.render();
  }

  chartOf(key: string): MetricChart | undefined {
    return this.charts.get(key);
  }

  destroy(): void {
    this.observer.disconnect();
    for (const chart of this.charts.values()) chart.destroy();
    this.charts.clear();
  }

  /** Histories put in directly (benchmarks, tests): no host round trip. */
  setSeries(key: string, series: readonly Series[]): void {
    this.entries.set(key, { state: 'loaded', series: new Map(series.map((s) => [s.runId, s])), requested: new Set(series.map((s) => s.runId)) });
    this.charts.get(key)?.invalidate();
  }

  private ensureLoaded(key: string): void {
    const entry = this.entries.get(key);
    if (entry && entry.state !== 'idle' && entry.state !== 'error') return;
    void this.load(
      key,
      this.runOrder.map((run) => run.runId),
    );
  }

  private async load(key: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { state: 'idle', series: new Map(), requested: new Set() };
      this.entries.set(key, entry);
    }
    for (const runId of runIds) entry.requested.add(runId);
    if (entry.state !== 'loaded') entry.state = 'loading';
    this.charts.get(key)?.invalidate();
    const reply = await request<Extract<HostMessage, { type: 'series' }>>({ type: 'requestSeries', key, runIds });
    if (reply.error) {
      entry.state = 'error';
      entry.error = reply.error;
      for (const runId of runIds) entry.requested.delete(runId);
    } else {
      for (const payload of reply.series) {
        const incoming = decodeSeries(payload);
        const existing = entry.series.get(payload.runId);
        // A live append may have arrived first: keep whichever holds more.
        if (!existing || existing.steps.length <= incoming.steps.length) entry.series.set(payload.runId, incoming);
      }
      entry.state = 'loaded';
      entry.error = undefined;
      if (this.ui.zoom[key]) this.scheduleRefine(key);
    }
    this.charts.get(key)?.invalidate();
  }

  private scheduleRefine(key: string): void {
    let later = this.refineLater.get(key);
    if (!later) {
      later = debounce(() => void this.refine(key), 300);
      this.refineLater.set(key, later);
    }
    later();
  }

  /** Asks for the zoomed step range of sampled histories (full resolution when it fits the server's limit). */
  private async refine(key: string): Promise<void> {
    const zoom = this.ui.zoom[key];
    const entry = this.entries.get(key);
    if (!zoom || !entry || entry.state !== 'loaded') return;
    const byRange = new Map<string, { range: StepRange; runIds: string[] }>();
    for (const run of this.runs()) {
      const series = entry.series.get(run.runId);
      if (!series || !series.sampled) continue;
      let range: StepRange | undefined;
      if (this.ui.settings.xAxis === 'step') range = { start: Math.floor(zoom.min), end: Math.ceil(zoom.max) };
      else {
        const origin = this.ui.settings.xAxis === 'relative' ? (run.startTime && run.startTime > 0 ? Math.min(run.startTime, series.timestamps[0] ?? run.startTime) : (series.timestamps[0] ?? 0)) : 0;
        const xs = this.ui.settings.xAxis === 'wall' ? series.timestamps : series.timestamps.map((t) => (t - origin) / 1000);
        range = stepRangeOf(series, xs, zoom.min, zoom.max);
      }
      if (!range || range.start > range.end || coversRange(series, range)) continue;
      const id = `${range.start}:${range.end}`;
      const group = byRange.get(id);
      if (group) group.runIds.push(run.runId);
      else byRange.set(id, { range, runIds: [run.runId] });
    }
    for (const { range, runIds } of byRange.values()) {
      const reply = await request<Extract<HostMessage, { type: 'series' }>>({ type: 'requestSeries', key, runIds, range });
      if (reply.error) continue;
      for (const payload of reply.series) {
        const series = entry.series.get(payload.runId);
        if (series) spliceRange(series, range, decodeSeries(payload, range));
      }
      this.charts.get(key)?.invalidate();
    }
  }

  // ------------------------------------------------------------ UI

  private update(patch: Partial<ChartsUi>): void {
    this.ui = { ...this.ui, ...patch };
    this.options.onUiChange(this.ui);
  }

  private setSettings(patch: Partial<ChartSettings>): void {
    const settings = { ...this.ui.settings, ...patch };
    // Zoom ranges are in x-axis units: a new x axis starts unzoomed.
    const zoom = patch.xAxis !== undefined && patch.xAxis !== this.ui.settings.xAxis ? {} : this.ui.zoom;
    this.update({ settings, zoom });
    this.renderToolbar();
    if (patch.groupBy !== undefined) this.renderLegend();
    for (const chart of this.charts.values()) {
      if (patch.xAxis !== undefined || patch.logScale !== undefined) chart.rebuild();
      else chart.invalidate();
    }
  }

  private renderToolbar(): void {
    const settings = this.ui.settings;
    const xAxis = h(
      'vscode-radio-group',
      { 'aria-label': 'X axis', data: { testid: 'x-axis', value: settings.xAxis } },
      (Object.keys(X_AXIS_LABELS) as XAxisMode[]).map((mode) =>
        h('vscode-radio', {
          label: X_AXIS_LABELS[mode],
          value: mode,
          name: 'x-axis',
          props: { checked: mode === settings.xAxis },
          data: { testid: `x-axis-${mode}` },
          on: { change: (event) => (event.target as HTMLInputElement).checked && this.setSettings({ xAxis: mode }) },
        }),
      ),
    );
    const valueLabel = h('output', { class: 'smoothing-value', data: { testid: 'smoothing-value' } }, settings.smoothing.toFixed(2));
    const slider = h('input', {
      type: 'range',
      min: '0',
      max: '0.99',
      step: '0.01',
      value: String(settings.smoothing),
      id: 'smoothing',
      'aria-label': 'Smoothing (exponential moving average)',
      data: { testid: 'smoothing' },
      on: {
        input: (event) => {
          const value = Number((event.target as HTMLInputElement).value);
          valueLabel.textContent = value.toFixed(2);
          this.setSettings({ smoothing: value });
        },
      },
    });
    const groupOptions = [{ value: '', label: 'No grouping' }, ...this.groupChoices()];
    replaceChildren(
      this.toolbar,
      h('span', { class: 'toolbar-item' }, h('span', { class: 'toolbar-label' }, 'X axis'), xAxis),
      h('span', { class: 'toolbar-item' }, h('label', { class: 'toolbar-label', for: 'smoothing' }, 'Smoothing'), slider, valueLabel),
      h('span', { class: 'toolbar-item' }, checkbox('Log scale', settings.logScale, (checked) => this.setSettings({ logScale: checked }), 'log-scale')),
      groupOptions.length > 1
        ? h(
            'span',
            { class: 'toolbar-item' },
            h('span', { class: 'toolbar-label' }, 'Group by'),
            select(groupOptions, settings.groupBy, 'Group runs by', (value) => this.setSettings({ groupBy: value }), 'group-by'),
          )
        : null,
      h('span', { class: 'toolbar-hint muted' }, 'Drag to zoom · Shift+drag to pan · Ctrl+wheel · double-click resets'),
    );
  }

  private groupChoices(): { value: string; label: string; description?: string }[] {
    const params = new Set<string>();
    const tags = new Set<string>();
    for (const run of this.runOrder) {
      for (const key of Object.keys(run.params)) params.add(key);
      for (const key of Object.keys(run.tags)) tags.add(key);
    }
    const sorted = (set: Set<string>) => [...set].sort((a, b) => a.localeCompare(b));
    return [...sorted(params).map((key) => ({ value: `param:${key}`, label: `param ${key}` })), ...sorted(tags).map((key) => ({ value: `tag:${key}`, label: `tag ${key}` }))];
  }

  private renderLegend(): void {
    const palette = theme().palette;
    const hidden = new Set(this.ui.hidden);
    const groups = this.groups();
    if (groups) {
      replaceChildren(
        this.legend,
        h('span', { class: 'legend-title muted' }, `Grouped by ${groupKeyName(this.ui.settings.groupBy)}: mean line, min–max band`),
        groups.map((group) =>
          h('span', { class: 'legend-item', data: { testid: 'legend-group' }, title: `${group.runIds.length} run(s)` }, h('span', { class: 'swatch', style: { background: group.color } }), `${group.label} (${group.runIds.length})`),
        ),
      );
      return;
    }
    replaceChildren(
      this.legend,
      this.runOrder.map((run, i) => {
        const off = hidden.has(run.runId);
        return h(
          'button',
          {
            class: `legend-item${off ? ' off' : ''}`,
            type: 'button',
            'aria-pressed': String(!off),
            title: `${off ? 'Show' : 'Hide'} ${run.name} (${run.status.toLowerCase()})`,
            data: { testid: 'legend-item', runId: run.runId },
            on: {
              click: () => {
                const next = new Set(this.ui.hidden);
                if (next.has(run.runId)) next.delete(run.runId);
                else next.add(run.runId);
                this.update({ hidden: [...next] });
                this.renderLegend();
                for (const chart of this.charts.values()) chart.invalidate();
              },
            },
          },
          h('span', { class: 'swatch', style: { background: palette[i % palette.length]! } }),
          runLabel(run.name, run.runId),
          run.status === 'RUNNING' ? icon('loading', 'running') : null,
        );
      }),
    );
    for (const el of this.legend.querySelectorAll('.codicon-loading')) el.classList.add('codicon-modifier-spin');
  }

  private renderPicker(): void {
    const selected = new Set(this.ui.metricKeys);
    const filter = this.ui.filter.trim().toLowerCase();
    const keys = this.metricKeys.filter((key) => filter === '' || key.toLowerCase().includes(filter) || selected.has(key));
    const field = h('vscode-textfield', {
      placeholder: `Filter ${this.metricKeys.length} metrics`,
      'aria-label': 'Filter metrics',
      props: { value: this.ui.filter },
      data: { testid: 'metric-filter' },
      on: {
        input: debounce((event: Event) => {
          this.update({ filter: (event.target as HTMLInputElement).value });
          this.renderPickerChips();
        }, 150),
      },
    });
    replaceChildren(this.picker, h('span', { class: 'toolbar-label' }, 'Metrics'), this.metricKeys.length > 8 ? field : null, h('span', { class: 'chips' }));
    this.renderPickerChips(keys);
  }

  private renderPickerChips(keys?: string[]): void {
    const selected = new Set(this.ui.metricKeys);
    const filter = this.ui.filter.trim().toLowerCase();
    const shown = keys ?? this.metricKeys.filter((key) => filter === '' || key.toLowerCase().includes(filter) || selected.has(key));
    const chips = this.picker.querySelector('.chips');
    if (!chips) return;
    replaceChildren(
      chips,
      shown.length === 0 ? h('span', { class: 'muted' }, this.metricKeys.length === 0 ? 'These runs logged no metrics yet.' : 'No metric matches the filter.') : null,
      shown.map((key) =>
        h(
          'button',
          {
            type: 'button',
            class: `chip${selected.has(key) ? ' on' : ''}`,
            'aria-pressed': String(selected.has(key)),
            data: { testid: 'metric-toggle', key },
            title: selected.has(key) ? `Hide the chart of ${key}` : `Chart ${key}`,
            on: {
              click: () => {
                const next = selected.has(key) ? this.ui.metricKeys.filter((k) => k !== key) : [...this.ui.metricKeys, key];
                this.update({ metricKeys: next });
                this.renderPickerChips();
                this.syncCharts();
              },
            },
          },
          key,
        ),
      ),
    );
  }

  /** One card per chosen metric, in the chosen order. */
  private syncCharts(): void {
    const wanted = this.ui.metricKeys.filter((key) => this.metricKeys.length === 0 || this.metricKeys.includes(key) || this.entries.has(key));
    for (const [key, chart] of this.charts) {
      if (wanted.includes(key)) continue;
      this.observer.unobserve(chart.container);
      chart.destroy();
      this.charts.delete(key);
    }
    for (const key of wanted) {
      let chart = this.charts.get(key);
      if (!chart) {
        chart = new MetricChart(key, this);
        this.charts.set(key, chart);
        this.observer.observe(chart.container);
      }
      this.grid.appendChild(chart.element); // (re)appending keeps the order
    }
    if (wanted.length === 0) replaceChildren(this.grid, h('p', { class: 'muted empty' }, this.metricKeys.length === 0 ? 'No metrics logged yet.' : 'Pick metrics above to chart them.'));
    else for (const child of [...this.grid.children]) if (!child.classList.contains('chart-card')) child.remove();
    this.grid.dataset.chartCount = String(wanted.length);
  }
}
