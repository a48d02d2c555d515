/** A scatter of runs: a param or metric across, a metric up; categorical params on evenly spaced columns. */
import { Chart, type ChartConfiguration, type TooltipItem } from 'chart.js';
import type { RunRecord } from '../protocol';
import { RunChart } from './run-chart';
import { formatNumber, runLabel } from '../lib/format';
import { buildAxis, type Axis, type Dimension } from '../lib/parallel';
import { theme } from '../lib/theme';
import { axisColors, tooltipOptions } from './setup';

export interface ScatterOptions {
  runs: readonly RunRecord[];
  x: Dimension;
  y: Dimension;
  /** Run id → colour (defaults to the palette by run order). */
  colors?: ReadonlyMap<string, string>;
  highlight?: string;
  onOpenRun?: (runId: string) => void;
  testId?: string;
}

interface Point {
  x: number;
  y: number;
  runId: string;
  name: string;
  xLabel: string;
}

export class ScatterChart extends RunChart<ScatterOptions> {
  constructor(options: ScatterOptions) {
    super(options, 'Scatter plot of the runs', 'scatter-chart');
  }

  render(): void {
    this.chart?.destroy();
    const { runs, x, y } = this.options;
    const xAxis = buildAxis(runs, x);
    const yAxis = buildAxis(runs, y);
    const t = theme();
    const entries: { point: Point; color: string; radius: number; style: string }[] = [];
    runs.forEach((run, i) => {
      const xv = xAxis.values[i];
      const yv = yAxis.values[i];
      if (xv === undefined || typeof yv !== 'number' || !Number.isFinite(yv)) return;
      const xPos = xAxis.type === 'categorical' ? xAxis.categories.indexOf(String(xv)) : (xv as number);
      if (typeof xPos !== 'number' || !Number.isFinite(xPos)) return;
      const best = run.runId === this.options.highlight;
      entries.push({
        point: { x: xPos, y: yv, runId: run.runId, name: runLabel(run.name, run.runId), xLabel: typeof xv === 'number' ? formatNumber(xv) : xv },
        color: best ? t.highlight : (this.options.colors?.get(run.runId) ?? t.palette[i % t.palette.length]!),
        radius: best ? 9 : 4,
        style: best ? 'star' : 'circle',
      });
    });
    // chart.js takes unparsed data as sorted by x (it binary-searches the visible points).
    entries.sort((a, b) => a.point.x - b.point.x);
    const points = entries.map((e) => e.point);
    const colors = entries.map((e) => e.color);
    const radius = entries.map((e) => e.radius);
    const styles = entries.map((e) => e.style);
    this.chart = new Chart(this.canvas, this.config(points, colors, radius, styles, xAxis, yAxis));
    this.element.dataset.rendered = 'true';
    this.element.dataset.pointCount = String(points.length);
    this.canvas.setAttribute('aria-label', `Scatter of ${points.length} runs: ${yAxis.label} against ${xAxis.label}`);
  }

  private config(points: Point[], colors: string[], radius: number[], styles: string[], xAxis: Axis, yAxis: Axis): ChartConfiguration<'scatter', Point[]> {
    const t = theme();
    const colorsOf = axisColors(t);
    const categorical = xAxis.type === 'categorical';
    return {
      type: 'scatter',
      data: { datasets: [{ label: yAxis.label, data: points, pointBackgroundColor: colors, pointBorderColor: colors, pointRadius: radius, pointHoverRadius: radius.map((r) => r + 2), pointStyle: styles as never }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        events: ['mousemove', 'mouseout', 'click'],
        interaction: { mode: 'nearest', intersect: false, axis: 'xy' },
        layout: { padding: { top: 8, right: 12 } },
        scales: {
          x: {
            type: 'linear',
            ...colorsOf,
            title: { ...colorsOf.title, text: xAxis.label },
            ...(categorical ? { min: -0.5, max: Math.max(0.5, xAxis.categories.length - 0.5) } : { grace: '5%' }),
            afterBuildTicks: categorical
              ? (scale) => {
                  scale.ticks = xAxis.categories.map((_, i) => ({ value: i }));
                }
              : undefined,
            ticks: { ...colorsOf.ticks, callback: (value) => (categorical ? (xAxis.categories[Number(value)] ?? '') : formatNumber(Number(value))) },
          },
          y: { type: 'linear', grace: '5%', ...colorsOf, title: { ...colorsOf.title, text: yAxis.label }, ticks: { ...colorsOf.ticks, callback: (value) => formatNumber(Number(value)) } },
        },
        onClick: (_event, elements) => {
          const point = elements[0] ? points[elements[0].index] : undefined;
          if (point) this.options.onOpenRun?.(point.runId);
        },
        plugins: {
          tooltip: {
            ...tooltipOptions(t),
            callbacks: {
              title: (items: TooltipItem<'scatter'>[]) => (items[0]?.raw as Point | undefined)?.name ?? '',
              label: (item: TooltipItem<'scatter'>) => {
                const point = item.raw as Point;
                return [`${xAxis.label}: ${point.xLabel}`, `${yAxis.label}: ${formatNumber(point.y)}`];
              },
              footer: () => (this.options.onOpenRun ? 'Click to open the run' : ''),
            },
          },
        },
      },
    };
  }
}
