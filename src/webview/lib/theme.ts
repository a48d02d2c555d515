/**
 * VS Code's theme as canvas drawing needs it. CSS reads the injected `--vscode-*` variables directly;
 * chart.js draws on a canvas and cannot, so the values are read here and re-read whenever VS Code switches
 * theme (it changes the body's class and data-vscode-theme-kind).
 */
import { extendPalette } from './color';

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export interface Theme {
  kind: ThemeKind;
  foreground: string;
  muted: string;
  background: string;
  grid: string;
  border: string;
  focus: string;
  fontFamily: string;
  fontSize: number;
  tooltipBackground: string;
  tooltipForeground: string;
  tooltipBorder: string;
  /** Per-run colours: the theme's chart colours, extended. */
  palette: string[];
  /** Low and high ends of a value scale (parallel coordinates). */
  scaleLow: string;
  scaleHigh: string;
  highlight: string;
}

const FALLBACK_DARK = ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700'];
const FALLBACK_LIGHT = ['#1a85ff', '#d18616', '#388a34', '#e51400', '#652d90', '#bf8803'];

function kindOf(body: HTMLElement): ThemeKind {
  const attribute = body.dataset.vscodeThemeKind;
  if (attribute === 'vscode-high-contrast-light' || body.classList.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (attribute === 'vscode-high-contrast' || body.classList.contains('vscode-high-contrast')) return 'high-contrast';
  if (attribute === 'vscode-light' || body.classList.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const kind = kindOf(document.body);
  const dark = kind === 'dark' || kind === 'high-contrast';
  const v = (name: string, fallback: string) => style.getPropertyValue(`--vscode-${name}`).trim() || fallback;
  const foreground = v('editor-foreground', v('foreground', dark ? '#cccccc' : '#3b3b3b'));
  const fallback = dark ? FALLBACK_DARK : FALLBACK_LIGHT;
  const base = ['charts-blue', 'charts-orange', 'charts-green', 'charts-red', 'charts-purple', 'charts-yellow'].map((name, i) => v(name, fallback[i]!));
  const highContrast = kind === 'high-contrast' || kind === 'high-contrast-light';
  return {
    kind,
    foreground,
    muted: v('descriptionForeground', foreground),
    background: v('editor-background', dark ? '#1e1e1e' : '#ffffff'),
    grid: highContrast ? v('contrastBorder', foreground) : v('editorWidget-border', v('widget-border', dark ? '#454545' : '#c8c8c8')),
    border: v('panel-border', v('editorWidget-border', dark ? '#454545' : '#c8c8c8')),
    focus: v('focusBorder', base[0]!),
    fontFamily: v('font-family', 'system-ui, sans-serif'),
    fontSize: Number.parseFloat(v('font-size', '13')) || 13,
    tooltipBackground: v('editorHoverWidget-background', dark ? '#252526' : '#f3f3f3'),
    tooltipForeground: v('editorHoverWidget-foreground', foreground),
    tooltipBorder: v('editorHoverWidget-border', v('editorWidget-border', '#454545')),
    palette: extendPalette(base, 48),
    scaleLow: v('charts-blue', fallback[0]!),
    scaleHigh: v('charts-red', fallback[3]!),
    highlight: v('charts-yellow', fallback[5]!),
  };
}

let current: Theme | undefined;
const listeners = new Set<(theme: Theme) => void>();

export function theme(): Theme {
  current ??= readTheme();
  return current;
}

/** Calls `listener` after every theme switch; one observer serves every chart. */
export function onThemeChange(listener: (theme: Theme) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const observer = new MutationObserver(() => {
  const next = readTheme();
  const previous = current;
  current = next;
  if (previous && JSON.stringify(previous) === JSON.stringify(next)) return;
  document.body.dataset.themeKind = next.kind;
  for (const listener of listeners) listener(next);
});
observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
// The --vscode-* variables live in the style attribute of <html>.
observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
