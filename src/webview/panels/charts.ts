/** The metric charts panel: one or many runs, the metrics chosen, live while runs train. */
import type { Bootstrap, HostMessage } from '../protocol';
import { ChartsView } from '../charts/charts-view';
import { h, notice, replaceChildren } from '../lib/dom';
import { runLabel } from '../lib/format';
import { post } from '../lib/host';
import { defaultMetricKeys, normalizeChartsUi } from '../lib/ui-state';
import { PanelApp } from './app';

export class ChartsApp extends PanelApp<'charts'> {
  private view: ChartsView | undefined;
  private readonly header = h('header', { class: 'panel-header' });
  private keysChosen: boolean;

  constructor(root: HTMLElement, bootstrap: Bootstrap) {
    super(root, bootstrap, 'charts', (value) => normalizeChartsUi(value));
    // Keys from a saved state are the user's; otherwise they are picked once data arrives.
    this.keysChosen = this.ui.metricKeys.length > 0;
  }

  protected render(): void {
    const data = this.data!;
    if (!this.keysChosen && data.metricKeys.length > 0) {
      this.keysChosen = true;
      this.setUi({ metricKeys: defaultMetricKeys(data.metricKeys, this.args.metricKeys) });
    }
    if (!this.view) {
      this.view = new ChartsView({ ui: this.ui, onUiChange: (ui) => this.setUi(ui) });
      replaceChildren(this.content, this.header, this.view.element);
    }
    const runs = data.runs;
    const title = runs.length === 1 ? runLabel(runs[0]!.name, runs[0]!.runId) : `${runs.length} runs`;
    replaceChildren(
      this.header,
      h('h1', {}, `Metrics of ${title}`),
      runs.length === 1
        ? h('vscode-button', { secondary: true, icon: 'info', on: { click: () => post({ type: 'openRun', runId: runs[0]!.runId }) } }, 'Run details')
        : h('vscode-button', { secondary: true, icon: 'diff', on: { click: () => post({ type: 'compareRuns', runIds: runs.map((r) => r.runId) }) } }, 'Compare runs'),
      data.missing.length > 0 ? notice('info', `${data.missing.length} run(s) could not be loaded (deleted, or on another server).`) : null,
    );
    this.view.setRuns(runs, data.metricKeys);
  }

  protected override onAppend(message: Extract<HostMessage, { type: 'append' }>): void {
    this.view?.append(message.key, message.series);
  }

  /** The charts view (benchmarks drive it directly). */
  get chartsView(): ChartsView | undefined {
    return this.view;
  }
}
