/**
 * chart.js as the panels use it: only the pieces they need registered, the zoom plugin, a plugin that
 * paints the editor background (so exported PNGs are not transparent), an interaction mode that finds the
 * nearest point of a run's curve while ignoring faded raw curves and bands, and theme-derived options.
 */
import {
  CategoryScale,
  Chart,
  Filler,
  Interaction,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
  type ChartType,
  type InteractionItem,
  type Plugin,
} from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import { withAlpha } from '../lib/color';
import { theme, type Theme } from '../lib/theme';

/** Dataset fields of ours that chart.js carries along. */
export interface DatasetMeta {
  /** The faded raw curve behind a smoothed one, or a band edge: drawn, never hovered. */
  passive?: boolean;
  runId?: string;
}

const backgroundPlugin: Plugin = {
  id: 'runboardBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = theme().background;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

declare module 'chart.js' {
  interface InteractionModeMap {
    nearestSeries: (chart: Chart, e: Event, options: unknown, useFinalPosition?: boolean) => InteractionItem[];
  }
}

/**
 * The nearest drawn point of any interactive dataset (Euclidean, in pixels). Points are in x order, so each
 * dataset is searched around the pointer's x only.
 */
function nearestSeries(chart: Chart, e: Event): InteractionItem[] {
  // chart.js passes its ChartEvent: x and y are already relative to the canvas.
  const mouse = e as unknown as { x: number; y: number };
  let best: InteractionItem | undefined;
  let bestDistance = Infinity;
  const metas = chart.getSortedVisibleDatasetMetas();
  for (const meta of metas) {
    const dataset = chart.data.datasets[meta.index] as unknown as DatasetMeta | undefined;
    if (!dataset || dataset.passive) continue;
    const points = meta.data;
    if (points.length === 0) continue;
    let lo = 0;
    let hi = points.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]!.x < mouse.x) lo = mid + 1;
      else hi = mid;
    }
    for (let i = Math.max(0, lo - 8); i <= Math.min(points.length - 1, lo + 8); i++) {
      const p = points[i]!;
      const distance = Math.hypot(p.x - mouse.x, p.y - mouse.y);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = { element: p, datasetIndex: meta.index, index: i };
      }
    }
  }
  return best && bestDistance < 60 ? [best] : [];
}

let registered = false;

export function registerCharts(): void {
  if (registered) return;
  registered = true;
  Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Tooltip, Filler, Legend, Title, zoomPlugin, backgroundPlugin);
  (Interaction.modes as unknown as Record<string, unknown>).nearestSeries = nearestSeries;
  applyDefaults(theme());
}

/** Global chart.js defaults from the theme (charts created later pick them up). */
export function applyDefaults(t: Theme): void {
  Chart.defaults.color = t.foreground;
  Chart.defaults.borderColor = t.grid;
  Chart.defaults.font.family = t.fontFamily;
  Chart.defaults.font.size = Math.max(10, t.fontSize - 1);
  Chart.defaults.animation = false;
  // The panels draw their own legends and titles in HTML; exported images turn these on.
  Chart.defaults.plugins.legend.display = false;
  Chart.defaults.plugins.title.display = false;
}

/** Tooltip colours and font of the theme. */
export function tooltipOptions(t: Theme) {
  return {
    backgroundColor: t.tooltipBackground,
    titleColor: t.tooltipForeground,
    bodyColor: t.tooltipForeground,
    footerColor: t.muted,
    borderColor: t.tooltipBorder,
    borderWidth: 1,
    cornerRadius: 3,
    displayColors: true,
    boxWidth: 8,
    boxHeight: 8,
    usePointStyle: false,
    titleFont: { family: t.fontFamily, weight: 'bold' as const },
    bodyFont: { family: t.fontFamily },
    animation: false as const,
  };
}

/** Axis colours of the theme. */
export function axisColors(t: Theme) {
  return {
    ticks: { color: t.muted },
    grid: { color: withGridAlpha(t), drawTicks: false },
    border: { color: t.grid },
    title: { color: t.muted, display: true },
  };
}

function withGridAlpha(t: Theme): string {
  // Grid lines are quieter than borders, except in high contrast themes.
  return t.kind.startsWith('high-contrast') ? t.grid : withAlpha(t.grid, 0.45);
}

export type AnyChart = Chart<ChartType, unknown[], unknown>;
