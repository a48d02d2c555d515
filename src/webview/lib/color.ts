/** Colour arithmetic for charts: alpha variants of theme colours and a longer run palette. Pure: no DOM. */

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()`/`rgba()` → components; undefined for anything else. */
export function parseColor(text: string): Rgba | undefined {
  const value = text.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3,8})$/.exec(value);
  if (hex) {
    const digits = hex[1]!;
    if (digits.length === 3 || digits.length === 4) {
      const [r, g, b, a = 'f'] = digits.split('');
      return { r: parseInt(r! + r!, 16), g: parseInt(g! + g!, 16), b: parseInt(b! + b!, 16), a: parseInt(a + a, 16) / 255 };
    }
    if (digits.length === 6 || digits.length === 8) {
      return {
        r: parseInt(digits.slice(0, 2), 16),
        g: parseInt(digits.slice(2, 4), 16),
        b: parseInt(digits.slice(4, 6), 16),
        a: digits.length === 8 ? parseInt(digits.slice(6, 8), 16) / 255 : 1,
      };
    }
    return undefined;
  }
  const fn = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(value);
  if (fn) {
    const alpha = fn[4] === undefined ? 1 : fn[4].endsWith('%') ? Number(fn[4].slice(0, -1)) / 100 : Number(fn[4]);
    return { r: Number(fn[1]), g: Number(fn[2]), b: Number(fn[3]), a: alpha };
  }
  return undefined;
}

export function formatRgba(color: Rgba): string {
  const c = (n: number) => Math.round(Math.min(255, Math.max(0, n)));
  return `rgba(${c(color.r)}, ${c(color.g)}, ${c(color.b)}, ${Number(Math.min(1, Math.max(0, color.a)).toFixed(3))})`;
}

/** The colour with its alpha multiplied by `alpha` (a faded curve, a band's fill). */
export function withAlpha(color: string, alpha: number): string {
  const parsed = parseColor(color);
  if (!parsed) return color;
  return formatRgba({ ...parsed, a: parsed.a * alpha });
}

function toHsl({ r, g, b }: Rgba): [number, number, number] {
  const rn = r / 255;
  const gn = g / 255;
  const bn = b / 255;
  const max = Math.max(rn, gn, bn);
  const min = Math.min(rn, gn, bn);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  const h = max === rn ? (gn - bn) / d + (gn < bn ? 6 : 0) : max === gn ? (bn - rn) / d + 2 : (rn - gn) / d + 4;
  return [h * 60, s, l];
}

function fromHsl(h: number, s: number, l: number, a: number): Rgba {
  const hue = (((h % 360) + 360) % 360) / 360;
  if (s === 0) return { r: l * 255, g: l * 255, b: l * 255, a };
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const channel = (t: number) => {
    let x = t;
    if (x < 0) x += 1;
    if (x > 1) x -= 1;
    if (x < 1 / 6) return p + (q - p) * 6 * x;
    if (x < 1 / 2) return q;
    if (x < 2 / 3) return p + (q - p) * (2 / 3 - x) * 6;
    return p;
  };
  return { r: channel(hue + 1 / 3) * 255, g: channel(hue) * 255, b: channel(hue - 1 / 3) * 255, a };
}

/**
 * `count` distinct colours: the theme's own chart colours first, then hue-shifted and lightness-shifted
 * variants of them (the theme's six colours alone repeat after six runs).
 */
export function extendPalette(base: readonly string[], count: number): string[] {
  const parsed = base.map(parseColor).filter((c): c is Rgba => c !== undefined);
  if (parsed.length === 0) return Array.from({ length: count }, (_, i) => formatRgba(fromHsl((i * 137.508) % 360, 0.6, 0.55, 1)));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const round = Math.floor(i / parsed.length);
    const color = parsed[i % parsed.length]!;
    if (round === 0) {
      out.push(formatRgba(color));
      continue;
    }
    const [h, s, l] = toHsl(color);
    const shift = ((round * 23) % 180) * (round % 2 === 0 ? 1 : -1);
    const lightness = Math.min(0.8, Math.max(0.25, l + (round % 3 === 1 ? 0.12 : round % 3 === 2 ? -0.12 : 0.06)));
    out.push(formatRgba(fromHsl(h + shift, Math.max(0.35, s), lightness, color.a)));
  }
  return out;
}

/** A colour between `low` and `high` for t in [0, 1] (parallel coordinates coloured by the metric). */
export function mix(low: string, high: string, t: number): string {
  const a = parseColor(low);
  const b = parseColor(high);
  if (!a || !b) return t < 0.5 ? low : high;
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  return formatRgba({ r: a.r + (b.r - a.r) * u, g: a.g + (b.g - a.g) * u, b: a.b + (b.b - a.b) * u, a: a.a + (b.a - a.a) * u });
}
