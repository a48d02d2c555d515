/**
 * Parallel coordinates of runs: one vertical axis per param (numeric or categorical) and the chosen metric
 * last; each run is a line across them, coloured by its metric value. Drawn with chart.js (a line per run
 * over normalised positions) plus a plugin that paints each axis with its own ticks.
 */
import { Chart, type ChartConfiguration, type Plugin, type TooltipItem } from 'chart.js';
import type { RunRecord } from '../protocol';
import { mix, withAlpha } from '../lib/color';
import { RunChart } from './run-chart';
import { formatNumber, runLabel } from '../lib/format';
import { buildAxis, type Axis, type Dimension } from '../lib/parallel';
import { theme } from '../lib/theme';
import { tooltipOptions, type DatasetMeta } from './setup';

export interface ParallelOptions {
  runs: readonly RunRecord[];
  /** Axes left to right; the last one colours the lines. */
  dimensions: readonly Dimension[];
  /** Drawn on top, thicker (a sweep's best trial). */
  highlight?: string;
  /** Lower is better on the colouring axis: best values get the "high" colour. */
  lowerIsBetter?: boolean;
  onOpenRun?: (runId: string) => void;
  testId?: string;
}

interface Point {
  x: number;
  y: number;
}

export class ParallelChart extends RunChart<ParallelOptions> {
  private axes: Axis[] = [];

  constructor(options: ParallelOptions) {
    super(options, 'Parallel coordinates of the runs', 'parallel-chart');
  }

  render(): void {
    this.chart?.destroy();
    const { runs, dimensions } = this.options;
    this.axes = dimensions.map((dimension) => buildAxis(runs, dimension));
    const t = theme();
    const colorAxis = this.axes[this.axes.length - 1];
    const datasets = runs.map((run, r) => {
      const data: Point[] = this.axes.map((axis, i) => ({ x: i, y: axis.positions[r]! }));
      const position = colorAxis?.positions[r] ?? NaN;
      const best = run.runId === this.options.highlight;
      const score = this.options.lowerIsBetter ? 1 - position : position;
      const color = Number.isNaN(position) ? t.muted : mix(t.scaleLow, t.scaleHigh, score);
      const meta: DatasetMeta = { runId: run.runId };
      return {
        ...meta,
        label: runLabel(run.name, run.runId),
        data,
        borderColor: best ? t.highlight : withAlpha(color, 0.75),
        backgroundColor: best ? t.highlight : color,
        borderWidth: best ? 3.5 : 1.5,
        pointRadius: best ? 3 : 2,
        pointHoverRadius: 5,
        order: best ? 0 : 1,
        spanGaps: false,
      };
    });
    this.chart = new Chart(this.canvas, this.config(datasets));
    this.element.dataset.rendered = 'true';
    this.element.dataset.seriesCount = String(datasets.length);
    this.element.dataset.axisCount = String(this.axes.length);
    this.canvas.setAttribute('aria-label', `Parallel coordinates of ${runs.length} runs over ${this.axes.map((a) => a.label).join(', ')}`);
  }

  private config(datasets: object[]): ChartConfiguration<'line', Point[]> {
    const t = theme();
    const axes = this.axes;
    const fontSize = Math.max(10, t.fontSize - 2);
    const axisPlugin: Plugin<'line'> = {
      id: 'runboardParallelAxes',
      // Axis lines under the runs' lines, tick labels over them (on a background, so they stay readable).
      beforeDatasetsDraw: (chart) => {
        const x = chart.scales.x;
        const y = chart.scales.y;
        if (!x || !y) return;
        const ctx = chart.ctx;
        ctx.save();
        ctx.strokeStyle = t.foreground;
        ctx.lineWidth = 1;
        axes.forEach((axis, i) => {
          const px = x.getPixelForValue(i);
          ctx.beginPath();
          ctx.moveTo(px, y.getPixelForValue(0));
          ctx.lineTo(px, y.getPixelForValue(1));
          ctx.stroke();
          for (const tick of axisTicks(axis)) {
            const py = y.getPixelForValue(tick.position);
            ctx.beginPath();
            ctx.moveTo(px - 3, py);
            ctx.lineTo(px + 3, py);
            ctx.stroke();
          }
        });
        ctx.restore();
      },
      afterDatasetsDraw: (chart) => {
        const x = chart.scales.x;
        const y = chart.scales.y;
        if (!x || !y) return;
        const ctx = chart.ctx;
        ctx.save();
        ctx.font = `${fontSize}px ${t.fontFamily}`;
        ctx.textBaseline = 'middle';
        axes.forEach((axis, i) => {
          const px = x.getPixelForValue(i);
          const last = i === axes.length - 1;
          for (const tick of axisTicks(axis)) {
            const py = y.getPixelForValue(tick.position);
            const width = ctx.measureText(tick.label).width;
            const left = last ? px - 6 - width : px + 6;
            ctx.fillStyle = withAlpha(t.background, 0.85);
            ctx.fillRect(left - 2, py - fontSize / 2 - 1, width + 4, fontSize + 2);
            ctx.fillStyle = t.muted;
            ctx.fillText(tick.label, left, py);
          }
        });
        ctx.restore();
      },
    };
    return {
      type: 'line',
      data: { datasets: datasets as never },
      plugins: [axisPlugin],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        events: ['mousemove', 'mouseout', 'click'],
        interaction: { mode: 'nearestSeries', intersect: false },
        layout: { padding: { top: 12, bottom: 4, left: 8, right: 8 } },
        scales: {
          x: {
            type: 'linear',
            min: -0.05,
            max: Math.max(1, axes.length - 1) + 0.05,
            grid: { display: false },
            border: { display: false },
            afterBuildTicks: (scale) => {
              scale.ticks = axes.map((_, i) => ({ value: i }));
            },
            ticks: { color: t.foreground, autoSkip: false, maxRotation: 0, callback: (value) => truncate(axes[Number(value)]?.label ?? '', 24) },
          },
          y: { type: 'linear', min: -0.04, max: 1.04, display: false },
        },
        onClick: (_event, elements) => {
          const element = elements[0];
          const dataset = element ? (this.chart?.data.datasets[element.datasetIndex] as DatasetMeta | undefined) : undefined;
          if (dataset?.runId) this.options.onOpenRun?.(dataset.runId);
        },
        plugins: {
          tooltip: {
            ...tooltipOptions(t),
            callbacks: {
              title: (items: TooltipItem<'line'>[]) => items[0]?.dataset.label ?? '',
              label: (item: TooltipItem<'line'>) => {
                const run = this.options.runs.findIndex((r) => r.runId === (item.dataset as DatasetMeta).runId);
                return axes.map((axis) => `${axis.label}: ${formatValue(axis.values[run])}`);
              },
              footer: () => (this.options.onOpenRun ? 'Click to open the run' : ''),
            },
          },
        },
      },
    };
  }
}

function formatValue(value: number | string | undefined): string {
  if (value === undefined) return '—';
  return typeof value === 'number' ? formatNumber(value) : value;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Tick marks of an axis: every category (thinned past 12), or five numbers. */
function axisTicks(axis: Axis): { position: number; label: string }[] {
  if (axis.type === 'categorical') {
    const n = axis.categories.length;
    if (n === 0) return [];
    const every = Math.max(1, Math.ceil(n / 12));
    return axis.categories
      .map((label, i) => ({ position: n > 1 ? i / (n - 1) : 0.5, label: truncate(label, 18) }))
      .filter((_, i) => i % every === 0 || i === n - 1);
  }
  if (axis.max === axis.min) return [{ position: 0.5, label: formatNumber(axis.min) }];
  return [0, 0.25, 0.5, 0.75, 1].map((position) => ({ position, label: formatNumber(axis.min + position * (axis.max - axis.min)) }));
}
