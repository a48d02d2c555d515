/**
 * Defaults and checks of each panel's UI state. What comes back from getState() or the serializer may be
 * from an older version or hand-edited: every field is validated and falls back to its default. Pure.
 */
import type { ChartSettings, ChartsUi, CompareUi, DetailsUi, SweepUi, XAxisMode, ZoomRange } from '../protocol';

type Loose = Record<string, unknown> | undefined;

const X_AXES: readonly XAxisMode[] = ['step', 'wall', 'relative'];

function obj(value: unknown): Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function strings(value: unknown, max = 1000): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]).slice(0, max) : undefined;
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length <= 1000 ? value : fallback;
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

export function defaultChartSettings(): ChartSettings {
  return { xAxis: 'step', smoothing: 0, logScale: false, groupBy: '' };
}

export function normalizeChartSettings(value: unknown): ChartSettings {
  const v = obj(value);
  const defaults = defaultChartSettings();
  if (!v) return defaults;
  const smoothing = typeof v.smoothing === 'number' && Number.isFinite(v.smoothing) ? Math.min(0.99, Math.max(0, v.smoothing)) : defaults.smoothing;
  return {
    xAxis: X_AXES.includes(v.xAxis as XAxisMode) ? (v.xAxis as XAxisMode) : defaults.xAxis,
    smoothing,
    logScale: bool(v.logScale, defaults.logScale),
    groupBy: typeof v.groupBy === 'string' && (v.groupBy === '' || /^(param|tag):/.test(v.groupBy)) ? v.groupBy : defaults.groupBy,
  };
}

function zoomMap(value: unknown): Record<string, ZoomRange> {
  const v = obj(value);
  const out: Record<string, ZoomRange> = {};
  if (!v) return out;
  for (const [key, range] of Object.entries(v)) {
    const r = obj(range);
    if (r && typeof r.min === 'number' && typeof r.max === 'number' && Number.isFinite(r.min) && Number.isFinite(r.max) && r.min < r.max) out[key] = { min: r.min, max: r.max };
  }
  return out;
}

export function normalizeChartsUi(value: unknown, initialKeys: readonly string[] = []): ChartsUi {
  const v = obj(value);
  return {
    settings: normalizeChartSettings(v?.settings),
    metricKeys: strings(v?.metricKeys) ?? [...initialKeys],
    zoom: zoomMap(v?.zoom),
    filter: str(v?.filter, ''),
    hidden: strings(v?.hidden) ?? [],
  };
}

export function normalizeDetailsUi(value: unknown): DetailsUi {
  const v = obj(value);
  return { collapsed: strings(v?.collapsed, 50) ?? [], showSystemTags: bool(v?.showSystemTags, false), paramFilter: str(v?.paramFilter, '') };
}

const COMPARE_TABS: readonly CompareUi['tab'][] = ['table', 'parallel', 'scatter', 'charts'];

export function normalizeCompareUi(value: unknown): CompareUi {
  const v = obj(value);
  return {
    tab: COMPARE_TABS.includes(v?.tab as CompareUi['tab']) ? (v!.tab as CompareUi['tab']) : 'table',
    onlyDifferences: bool(v?.onlyDifferences, false),
    transpose: bool(v?.transpose, false),
    parallelMetric: str(v?.parallelMetric, ''),
    scatterX: str(v?.scatterX, ''),
    scatterY: str(v?.scatterY, ''),
    charts: normalizeChartsUi(v?.charts),
  };
}

export function normalizeSweepUi(value: unknown): SweepUi {
  const v = obj(value);
  return {
    metric: str(v?.metric, ''),
    direction: v?.direction === 'min' || v?.direction === 'max' ? v.direction : '',
    tab: v?.tab === 'scatter' ? 'scatter' : 'parallel',
    scatterX: str(v?.scatterX, ''),
  };
}

/** The metrics a chart panel opens with: those asked for, else the first few model metrics (system ones last). */
export function defaultMetricKeys(available: readonly string[], asked: readonly string[], max = 6): string[] {
  const known = new Set(available);
  const picked = asked.filter((key) => known.has(key));
  if (picked.length > 0) return picked;
  const model = available.filter((key) => !key.startsWith('system/'));
  return (model.length > 0 ? model : available).slice(0, max);
}
