/**
 * One metric's chart over one or many runs. Each render takes the held series, smooths them (EMA, the raw
 * curve faded behind), cuts them to the visible x range and downsamples each to about the canvas width
 * with LTTB, so 50 runs of 10k points or one run of 1M points draw in milliseconds. Zoom and pan come from
 * chartjs-plugin-zoom; the container carries data attributes tests and benchmarks read.
 */
import { Chart, type ChartConfiguration, type TooltipItem } from 'chart.js';
import type { ChartSettings, XAxisMode, ZoomRange } from '../protocol';
import { withAlpha } from '../lib/color';
import { h, icon, iconButton, replaceChildren } from '../lib/dom';
import { ema } from '../lib/ema';
import { formatClock, formatExact, formatNumber, formatWallTime } from '../lib/format';
import { bandOf, type Curve, type RunGroup } from '../lib/grouping';
import { isAscending, lttb, visibleRange } from '../lib/lttb';
import type { Series } from '../lib/series';
import { onThemeChange, theme } from '../lib/theme';
import { axisColors, registerCharts, tooltipOptions, type DatasetMeta } from './setup';

export interface ChartRun {
  runId: string;
  name: string;
  color: string;
  /** Run start (ms): the origin of relative time. */
  startTime?: number;
}

export interface ChartGroup extends RunGroup {
  color: string;
}

/** What a chart reads from the view that owns it (settings, runs, data, zoom). */
export interface MetricChartHost {
  settings(): ChartSettings;
  /** Runs drawn, in legend order (hidden runs left out). */
  runs(): ChartRun[];
  /** Groups when grouping is on. */
  groups(): ChartGroup[] | undefined;
  series(key: string): ReadonlyMap<string, Series> | undefined;
  loadState(key: string): { state: 'idle' | 'loading' | 'loaded' | 'error'; error?: string };
  zoom(key: string): ZoomRange | undefined;
  setZoom(key: string, range: ZoomRange | undefined): void;
  exportPng(key: string, dataUrl: string): void;
  exportCsv(key: string): Promise<void>;
  remove?(key: string): void;
}

/** A point as the datasets hold it: x, y as drawn, plus the step, time and raw value for the tooltip. */
interface Point {
  x: number;
  y: number;
  s: number;
  t: number;
  r: number;
  /** Group points: runs in the bin, min and max. */
  n?: number;
  lo?: number;
  hi?: number;
}

interface XColumn {
  revision: number;
  mode: XAxisMode;
  origin: number;
  xs: ArrayLike<number>;
  ascending: boolean;
}

const AXIS_TITLES: Record<XAxisMode, string> = { step: 'Step', wall: 'Wall time', relative: 'Relative time' };

export class MetricChart {
  readonly element: HTMLElement;
  /**
   * The canvas container, with what tests and benchmarks read: data-series-count (runs or groups drawn),
   * data-dataset-count, data-rendered, data-render-count, data-x-axis, data-x-min/-max, data-smoothing,
   * data-point-count, data-render-ms, and the theme colours the chart was built with.
   */
  readonly container: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly overlay: HTMLElement;
  private readonly badges: HTMLElement;
  private chart: Chart | undefined;
  private frame: number | undefined;
  private readonly xColumns = new WeakMap<Series, XColumn>();
  private readonly smoothed = new WeakMap<Series, { revision: number; weight: number; ys: Float64Array }>();
  private readonly disposers: (() => void)[] = [];
  private chartMode: { xAxis: XAxisMode; logScale: boolean } | undefined;
  private exporting = false;

  constructor(
    readonly key: string,
    private readonly host: MetricChartHost,
  ) {
    registerCharts();
    this.canvas = h('canvas', { role: 'img', 'aria-label': `Chart of metric ${key}` });
    this.overlay = h('div', { class: 'chart-overlay' });
    this.container = h('div', { class: 'chart-canvas', data: { testid: 'chart-canvas', metric: key, rendered: 'false', seriesCount: 0 } }, this.canvas, this.overlay);
    this.badges = h('span', { class: 'chart-badges' });
    const csvButton = iconButton('table', 'Export as CSV (every point)', () => void this.exportCsv(csvButton), { testid: 'export-csv' });
    this.element = h(
      'section',
      { class: 'chart-card', 'aria-label': `Metric ${key}`, data: { testid: 'metric-chart', metric: key } },
      h(
        'header',
        { class: 'chart-header' },
        h('h3', { class: 'chart-title', title: key }, key),
        this.badges,
        h(
          'span',
          { class: 'chart-actions' },
          iconButton('zoom-out', 'Reset zoom (double-click the chart)', () => this.resetZoom(), { testid: 'reset-zoom' }),
          iconButton('file-media', 'Export as PNG', () => this.exportPng(), { testid: 'export-png' }),
          csvButton,
          host.remove ? iconButton('close', `Hide ${key}`, () => host.remove?.(key), { testid: 'remove-chart' }) : null,
        ),
      ),
      this.container,
    );
    this.canvas.addEventListener('dblclick', () => this.resetZoom());
    this.disposers.push(onThemeChange(() => this.rebuild()));
  }

  /** Draws again on the next frame (coalesced). */
  invalidate(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.render();
    });
  }

  /** A new chart.js instance (x axis, log scale or theme changed), keeping the zoom. */
  rebuild(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.chartMode = undefined;
    this.invalidate();
  }

  destroy(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    this.chart?.destroy();
    this.chart = undefined;
    for (const dispose of this.disposers) dispose();
    this.element.remove();
  }

  resetZoom(): void {
    this.chart?.resetZoom('none');
    this.host.setZoom(this.key, undefined);
    this.invalidate();
  }

  /** Renders now (benchmarks call this directly). */
  render(): void {
    const started = performance.now();
    const settings = this.host.settings();
    const load = this.host.loadState(this.key);
    const seriesByRun = this.host.series(this.key);
    this.updateOverlay(load, seriesByRun);
    const width = this.container.clientWidth;
    if (width === 0) return; // not laid out (a hidden tab): drawn when it shows
    // The chart exists before its data arrives: the first draw then costs only the datasets.
    const chart = this.ensureChart(settings);
    if (!seriesByRun) {
      this.container.dataset.rendered = load.state === 'error' ? 'true' : 'false';
      return;
    }
    const zoom = this.host.zoom(this.key);
    const groups = this.host.groups();
    const runs = groups ? groups.length : this.host.runs().length;
    // About one point per pixel per curve (more for a few curves): LTTB keeps their shape.
    const density = runs > 20 ? 0.75 : runs > 5 ? 1 : 1.5;
    const target = Math.max(100, Math.min(4000, Math.round(width * density)));
    const { datasets, seriesCount, pointCount, sampled } = groups ? this.groupDatasets(groups, seriesByRun, settings, zoom, target) : this.runDatasets(seriesByRun, settings, zoom, target);
    chart.data.datasets = datasets as never;
    chart.update('none');
    const elapsed = performance.now() - started;
    const data = this.container.dataset;
    data.seriesCount = String(seriesCount);
    // Curves drawn: a series plus its faded raw curve when smoothed, three per group (band edges, mean).
    data.datasetCount = String(datasets.length);
    data.pointCount = String(pointCount);
    const extent = xExtent(datasets as { data: Point[] }[]);
    data.xMin = String(extent.min);
    data.xMax = String(extent.max);
    // Counts draws with data, so a test sees that a change of settings drew again.
    data.renderCount = String(Number(data.renderCount ?? 0) + 1);
    data.renderMs = elapsed.toFixed(1);
    data.drawnAt = performance.now().toFixed(1);
    data.xAxis = settings.xAxis;
    data.smoothing = String(settings.smoothing);
    data.logScale = String(settings.logScale);
    data.grouped = String(groups !== undefined);
    data.zoomed = String(zoom !== undefined);
    data.rendered = 'true';
    replaceChildren(this.badges, sampled ? h('vscode-badge', { variant: 'default', title: 'The server sent a sample of this long history; zoom in for every point' }, 'sampled') : null);
    if (seriesCount === 0) {
      this.overlay.hidden = false;
      replaceChildren(this.overlay, h('span', { class: 'muted' }, settings.logScale ? 'No positive values to draw on a log scale' : 'No values logged for these runs'));
    }
  }

  private updateOverlay(load: { state: string; error?: string }, series: ReadonlyMap<string, Series> | undefined): void {
    if (load.state === 'error') {
      this.overlay.hidden = false;
      replaceChildren(this.overlay, icon('error'), h('span', {}, load.error ?? 'Could not load the history'));
    } else if (!series || load.state === 'loading') {
      this.overlay.hidden = false;
      replaceChildren(this.overlay, h('vscode-progress-ring', { 'aria-label': `Loading ${this.key}` }));
    } else {
      this.overlay.hidden = true;
      replaceChildren(this.overlay);
    }
  }

  // ------------------------------------------------------------ datasets

  private runDatasets(seriesByRun: ReadonlyMap<string, Series>, settings: ChartSettings, zoom: ZoomRange | undefined, target: number) {
    const datasets: object[] = [];
    let seriesCount = 0;
    let pointCount = 0;
    let sampled = false;
    const weight = settings.smoothing;
    for (const run of this.host.runs()) {
      const series = seriesByRun.get(run.runId);
      if (!series || series.steps.length === 0) continue;
      const column = this.xColumn(series, settings.xAxis, run);
      const raw = series.values;
      const smooth = weight > 0 ? this.smoothOf(series, weight) : undefined;
      const { start, end } = zoom && column.ascending ? visibleRange(column.xs, zoom.min, zoom.max) : { start: 0, end: column.xs.length };
      const ys = smooth ?? raw;
      const data = this.points(series, column.xs, ys, raw, lttb(column.xs, ys, start, end, target), settings.logScale, column.ascending);
      if (data.length === 0) continue;
      seriesCount++;
      pointCount += data.length;
      sampled ||= series.sampled && !(zoom && series.fullRanges.length > 0);
      const meta: DatasetMeta = { runId: run.runId };
      datasets.push({
        ...meta,
        label: run.name,
        data,
        borderColor: run.color,
        backgroundColor: run.color,
        borderWidth: 1.5,
        pointRadius: data.length <= 1 ? 3 : 0,
        pointHoverRadius: 4,
        order: 0,
      });
      if (smooth) {
        const rawData = this.points(series, column.xs, raw, raw, lttb(column.xs, raw, start, end, target), settings.logScale, column.ascending);
        pointCount += rawData.length;
        const faded: DatasetMeta = { passive: true, runId: run.runId };
        datasets.push({ ...faded, label: `${run.name} (raw)`, data: rawData, borderColor: withAlpha(run.color, 0.25), backgroundColor: withAlpha(run.color, 0.25), borderWidth: 1, pointRadius: 0, order: 1 });
      }
    }
    return { datasets, seriesCount, pointCount, sampled };
  }

  private groupDatasets(groups: ChartGroup[], seriesByRun: ReadonlyMap<string, Series>, settings: ChartSettings, zoom: ZoomRange | undefined, target: number) {
    const datasets: object[] = [];
    let seriesCount = 0;
    let pointCount = 0;
    let sampled = false;
    const runs = new Map(this.host.runs().map((run) => [run.runId, run]));
    const bins = Math.max(20, Math.min(600, Math.round(target / 3)));
    for (const group of groups) {
      const curves: Curve[] = [];
      for (const runId of group.runIds) {
        const run = runs.get(runId);
        const series = seriesByRun.get(runId);
        if (!run || !series || series.steps.length === 0) continue;
        const column = this.xColumn(series, settings.xAxis, run);
        curves.push({ xs: column.xs, ys: settings.smoothing > 0 ? this.smoothOf(series, settings.smoothing) : series.values });
        sampled ||= series.sampled;
      }
      if (curves.length === 0) continue;
      const band = bandOf(curves, bins, zoom?.min, zoom?.max);
      const lower: Point[] = [];
      const upper: Point[] = [];
      const mean: Point[] = [];
      for (let i = 0; i < band.x.length; i++) {
        const x = band.x[i]!;
        const lo = band.min[i]!;
        const hi = band.max[i]!;
        const m = band.mean[i]!;
        if (settings.logScale && (lo <= 0 || m <= 0)) continue;
        lower.push({ x, y: lo, s: x, t: x, r: lo });
        upper.push({ x, y: hi, s: x, t: x, r: hi });
        mean.push({ x, y: m, s: x, t: x, r: m, n: band.count[i]!, lo, hi });
      }
      if (mean.length === 0) continue;
      seriesCount++;
      pointCount += mean.length * 3;
      const passive: DatasetMeta = { passive: true };
      datasets.push({ ...passive, label: `${group.label} min`, data: lower, borderWidth: 0, pointRadius: 0, borderColor: 'transparent', fill: false, order: 2 });
      datasets.push({ ...passive, label: `${group.label} max`, data: upper, borderWidth: 0, pointRadius: 0, borderColor: 'transparent', backgroundColor: withAlpha(group.color, 0.2), fill: '-1', order: 2 });
      datasets.push({ label: `${group.label} (${curves.length} run${curves.length === 1 ? '' : 's'})`, data: mean, borderColor: group.color, backgroundColor: group.color, borderWidth: 2, pointRadius: mean.length <= 1 ? 3 : 0, pointHoverRadius: 4, fill: false, order: 0, isGroup: true });
    }
    return { datasets, seriesCount, pointCount, sampled };
  }

  private points(series: Series, xs: ArrayLike<number>, ys: ArrayLike<number>, raw: ArrayLike<number>, indices: Uint32Array, log: boolean, ascending = true): Point[] {
    const out: Point[] = [];
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      const y = ys[i]!;
      if (!Number.isFinite(y) || (log && y <= 0)) continue;
      out.push({ x: xs[i]!, y, s: series.steps[i]!, t: series.timestamps[i]!, r: raw[i]! });
    }
    // Time that does not grow with the step (a resumed run): chart.js takes unparsed data as sorted by x.
    if (!ascending) out.sort((a, b) => a.x - b.x);
    return out;
  }

  private xColumn(series: Series, mode: XAxisMode, run: ChartRun): XColumn {
    const origin = mode === 'relative' ? (run.startTime && run.startTime > 0 ? Math.min(run.startTime, series.timestamps[0] ?? run.startTime) : (series.timestamps[0] ?? 0)) : 0;
    const cached = this.xColumns.get(series);
    if (cached && cached.revision === series.revision && cached.mode === mode && cached.origin === origin) return cached;
    let xs: ArrayLike<number>;
    if (mode === 'step') xs = series.steps;
    else if (mode === 'wall') xs = series.timestamps;
    else {
      const relative = new Float64Array(series.timestamps.length);
      for (let i = 0; i < relative.length; i++) relative[i] = (series.timestamps[i]! - origin) / 1000;
      xs = relative;
    }
    const column: XColumn = { revision: series.revision, mode, origin, xs, ascending: mode === 'step' || isAscending(xs) };
    this.xColumns.set(series, column);
    return column;
  }

  private smoothOf(series: Series, weight: number): Float64Array {
    const cached = this.smoothed.get(series);
    if (cached && cached.revision === series.revision && cached.weight === weight) return cached.ys;
    const ys = ema(series.values, weight);
    this.smoothed.set(series, { revision: series.revision, weight, ys });
    return ys;
  }

  // ------------------------------------------------------------ chart.js

  private ensureChart(settings: ChartSettings): Chart {
    if (this.chart && this.chartMode?.xAxis === settings.xAxis && this.chartMode.logScale === settings.logScale) return this.chart;
    this.chart?.destroy();
    this.chartMode = { xAxis: settings.xAxis, logScale: settings.logScale };
    const chart = new Chart(this.canvas, this.config(settings));
    this.chart = chart;
    // The colours this chart was built with (a theme switch rebuilds it): what tests check against the theme.
    const t = theme();
    const colors = axisColors(t);
    Object.assign(this.container.dataset, { themeKind: t.kind, textColor: colors.ticks.color, gridColor: colors.grid.color, background: t.background });
    const zoom = this.host.zoom(this.key);
    // Applied through the plugin so that "reset zoom" returns to the full range, not to this one.
    if (zoom) chart.zoomScale('x', zoom, 'none');
    return chart;
  }

  private config(settings: ChartSettings): ChartConfiguration<'line', Point[]> {
    const t = theme();
    const colors = axisColors(t);
    const xAxis = settings.xAxis;
    const onZoomed = ({ chart }: { chart: Chart }) => {
      const scale = chart.scales.x;
      if (!scale) return;
      this.host.setZoom(this.key, { min: scale.min, max: scale.max });
      this.invalidate();
    };
    return {
      type: 'line',
      data: { datasets: [] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        normalized: true,
        spanGaps: true,
        events: ['mousemove', 'mouseout', 'click', 'touchstart', 'touchmove'],
        interaction: { mode: 'nearestSeries', intersect: false },
        elements: { line: { tension: 0 }, point: { radius: 0, hitRadius: 0 } },
        layout: { padding: { top: 4, right: 8 } },
        scales: {
          x: {
            type: 'linear',
            ...colors,
            title: { ...colors.title, text: AXIS_TITLES[xAxis] },
            ticks: {
              ...colors.ticks,
              maxRotation: 0,
              autoSkipPadding: 24,
              // Steps are whole numbers: a metric logged once (at step 0) must not get an axis of -0.8, -0.6...
              ...(xAxis === 'step' ? { precision: 0 } : {}),
              callback(value, _index, ticks) {
                const v = Number(value);
                // Tick spacing decides the precision: close points must not all read the same second.
                const step = ticks.length > 1 ? Math.abs(ticks[1]!.value - ticks[0]!.value) : undefined;
                if (xAxis === 'wall') return formatWallTime(v, this.max - this.min, step);
                if (xAxis === 'relative') return formatClock(v, step);
                return formatNumber(v);
              },
            },
          },
          y: {
            type: settings.logScale ? 'logarithmic' : 'linear',
            ...colors,
            title: { ...colors.title, display: false },
            ticks: { ...colors.ticks, callback: (value) => formatNumber(Number(value)) },
          },
        },
        plugins: {
          // Shown only in exported images (the panel has its own title and legend).
          title: { display: false, text: this.key, color: t.foreground, font: { family: t.fontFamily, size: t.fontSize + 1, weight: 'bold' } },
          legend: {
            display: false,
            position: 'bottom',
            labels: { color: t.foreground, boxWidth: 10, boxHeight: 10, filter: (item, data) => !(data.datasets[item.datasetIndex ?? -1] as DatasetMeta | undefined)?.passive },
          },
          tooltip: {
            ...tooltipOptions(t),
            callbacks: {
              title: (items: TooltipItem<'line'>[]) => items[0]?.dataset.label ?? '',
              label: (item: TooltipItem<'line'>) => this.tooltipLines(item, settings),
            },
          },
          zoom: {
            zoom: {
              mode: 'x',
              wheel: { enabled: true, modifierKey: 'ctrl' },
              drag: { enabled: true, threshold: 6, backgroundColor: withAlpha(t.focus, 0.15), borderColor: t.focus, borderWidth: 1 },
              pinch: { enabled: true },
              onZoomComplete: onZoomed,
            },
            // While panning, the visible range moves: the slice to draw follows it.
            pan: { enabled: true, mode: 'x', modifierKey: 'shift', onPan: onZoomed, onPanComplete: onZoomed },
          },
        },
      },
    };
  }

  private tooltipLines(item: TooltipItem<'line'>, settings: ChartSettings): string[] {
    const point = item.raw as Point;
    const dataset = item.dataset as unknown as { isGroup?: boolean };
    const x = settings.xAxis === 'wall' ? new Date(point.x).toLocaleString() : settings.xAxis === 'relative' ? formatClock(point.x) : undefined;
    if (dataset.isGroup) {
      return [
        `${settings.xAxis === 'step' ? 'step ≈ ' : ''}${x ?? formatNumber(point.x)}`,
        `mean ${formatNumber(point.y)}`,
        `min ${formatNumber(point.lo)} · max ${formatNumber(point.hi)}`,
        `${point.n ?? 0} run${point.n === 1 ? '' : 's'} here`,
      ];
    }
    const lines = [`step ${point.s}`, `value ${formatExact(point.r)}`];
    if (settings.smoothing > 0) lines.push(`smoothed ${formatNumber(point.y)}`);
    if (x !== undefined) lines.push(settings.xAxis === 'wall' ? x : `time ${x}`);
    return lines;
  }

  // ------------------------------------------------------------ export

  /** The chart as drawn, with the metric as title and a legend of the runs (the HTML around it is not in the image). */
  private exportPng(): void {
    const chart = this.chart;
    const plugins = chart?.options.plugins;
    if (!chart || !plugins?.title || !plugins.legend) return;
    plugins.title.display = true;
    plugins.legend.display = true;
    chart.update('none');
    const image = chart.toBase64Image('image/png', 1);
    plugins.title.display = false;
    plugins.legend.display = false;
    chart.update('none');
    this.host.exportPng(this.key, image);
  }

  private async exportCsv(button: HTMLElement): Promise<void> {
    if (this.exporting) return;
    this.exporting = true;
    button.setAttribute('disabled', '');
    try {
      await this.host.exportCsv(this.key);
    } finally {
      this.exporting = false;
      button.removeAttribute('disabled');
    }
  }
}

/** The smallest and largest x drawn (points of every dataset are in x order); NaN when nothing is drawn. */
function xExtent(datasets: readonly { data: readonly Point[] }[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const { data } of datasets) {
    if (data.length === 0) continue;
    min = Math.min(min, data[0]!.x);
    max = Math.max(max, data[data.length - 1]!.x);
  }
  return min <= max ? { min, max } : { min: NaN, max: NaN };
}
