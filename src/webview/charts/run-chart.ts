/**
 * What the parallel-coordinates and scatter charts of runs share: a canvas in a tall chart box that tests can
 * find, redrawn on every option change and theme change, and exportable as PNG.
 */
import type { Chart } from 'chart.js';
import { h } from '../lib/dom';
import { onThemeChange } from '../lib/theme';
import { registerCharts } from './setup';

export abstract class RunChart<Options extends { testId?: string }> {
  readonly element: HTMLElement;
  protected readonly canvas: HTMLCanvasElement;
  protected chart: Chart | undefined;
  private readonly disposeTheme: () => void;

  constructor(
    protected options: Options,
    ariaLabel: string,
    defaultTestId: string,
  ) {
    registerCharts();
    this.canvas = h('canvas', { role: 'img', 'aria-label': ariaLabel });
    this.element = h('div', { class: 'chart-canvas tall', data: { testid: options.testId ?? defaultTestId, rendered: 'false' } }, this.canvas);
    this.disposeTheme = onThemeChange(() => this.render());
  }

  /** Destroys the previous chart.js instance and draws the current options. */
  abstract render(): void;

  update(options: Options): void {
    this.options = options;
    this.render();
  }

  destroy(): void {
    this.disposeTheme();
    this.chart?.destroy();
    this.element.remove();
  }

  toBase64Image(): string | undefined {
    return this.chart?.toBase64Image('image/png', 1);
  }
}
