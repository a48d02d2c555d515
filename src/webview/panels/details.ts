/**
 * Run details: the run's info, its note (Markdown, editable: the `mlflow.note.content` tag), metrics with
 * min, max, last and step count, params, tags, and artifacts with inline image previews. Live while the
 * run trains: each snapshot from the host updates the sections in place (an open note editor is kept).
 */
import type { ArtifactEntry, Bootstrap, DetailsData, HostMessage, KeyValue, MetricStats } from '../protocol';
import { decodeMetricValue } from '../protocol';
import { checkbox, debounce, h, icon, iconButton, notice, replaceChildren, type Child } from '../lib/dom';
import { formatBytes, formatDuration, formatExact, formatNumber, formatTimestamp, runLabel } from '../lib/format';
import { post, request } from '../lib/host';
import { parseMarkdown, type Block, type Inline } from '../lib/markdown';
import { onThemeChange, theme } from '../lib/theme';
import { toast } from '../lib/toast';
import { normalizeDetailsUi } from '../lib/ui-state';
import { PanelApp } from './app';

const MAX_PREVIEWS = 48;
const SOURCE_TAGS: [string, string][] = [
  ['Source', 'mlflow.source.name'],
  ['Source type', 'mlflow.source.type'],
  ['Git commit', 'mlflow.source.git.commit'],
  ['Git branch', 'mlflow.source.git.branch'],
];

export class DetailsApp extends PanelApp<'details'> {
  private readonly sections = new Map<string, { element: HTMLElement; body: HTMLElement }>();
  private readonly header = h('header', { class: 'panel-header' });
  private readonly info = h('dl', { class: 'info-grid', data: { testid: 'run-info' } });
  private editing = false;
  private draft = '';
  private shownNote: string | undefined;
  private shownArtifacts = '';
  private readonly previews = new Map<string, string | { error: string }>();
  private readonly previewObserver: IntersectionObserver;
  private ticker: number | undefined;
  private readonly sparklines: { canvas: HTMLCanvasElement; values: number[] }[] = [];

  constructor(root: HTMLElement, bootstrap: Bootstrap) {
    super(root, bootstrap, 'details', normalizeDetailsUi);
    this.previewObserver = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        this.previewObserver.unobserve(entry.target);
        void this.loadPreview(entry.target as HTMLElement);
      }
    });
    onThemeChange(() => this.drawSparklines());
  }

  protected render(): void {
    const data = this.data!;
    if (this.sections.size === 0) this.layout();
    this.content.dataset.runId = data.run.runId;
    this.content.dataset.status = data.run.status;
    this.renderHeader(data);
    this.renderInfo(data);
    this.renderNote(data);
    this.renderMetrics(data.metrics);
    this.renderParams(data.params);
    this.renderTags(data.tags);
    this.renderArtifacts(data);
  }

  private layout(): void {
    const section = (id: string, title: string) => {
      const body = h('div', { class: 'section-body' });
      const element = h(
        'vscode-collapsible',
        {
          title,
          heading: title,
          class: 'section',
          props: { open: !this.ui.collapsed.includes(id) },
          data: { testid: `section-${id}` },
          on: {
            'vsc-collapsible-toggle': (event) => {
              const open = (event as CustomEvent<{ open: boolean }>).detail.open;
              const collapsed = new Set(this.ui.collapsed);
              if (open) collapsed.delete(id);
              else collapsed.add(id);
              this.setUi({ collapsed: [...collapsed] });
            },
          },
        },
        body,
      );
      this.sections.set(id, { element, body });
      return element;
    };
    replaceChildren(
      this.content,
      this.header,
      this.info,
      section('note', 'Note'),
      section('metrics', 'Metrics'),
      section('params', 'Parameters'),
      section('tags', 'Tags'),
      section('artifacts', 'Artifacts'),
    );
  }

  private body(id: string): HTMLElement {
    return this.sections.get(id)!.body;
  }

  private setCount(id: string, count: number | string): void {
    const section = this.sections.get(id);
    if (section) section.element.setAttribute('description', String(count));
  }

  // ------------------------------------------------------------ header and info

  private renderHeader(data: DetailsData): void {
    const { run } = data;
    const metricKeys = data.metrics.map((m) => m.key);
    replaceChildren(
      this.header,
      h('h1', { title: run.runId }, runLabel(run.name, run.runId)),
      statusBadge(run.status, run.lifecycleStage),
      h(
        'span',
        { class: 'header-actions' },
        h(
          'vscode-button',
          { icon: 'graph-line', data: { testid: 'open-charts' }, disabled: metricKeys.length === 0, on: { click: () => post({ type: 'openCharts', runIds: [run.runId], metricKeys: [] }) } },
          'Charts',
        ),
        h('vscode-button', { secondary: true, icon: 'diff', data: { testid: 'compare' }, on: { click: () => post({ type: 'compareRuns', runIds: [run.runId] }) } }, 'Compare…'),
        data.childCount > 0
          ? h('vscode-button', { secondary: true, icon: 'list-tree', data: { testid: 'open-sweep' }, on: { click: () => post({ type: 'openSweep', runId: run.runId }) } }, `Sweep (${data.childCount})`)
          : null,
        iconButton('copy', 'Copy run ID', () => post({ type: 'copy', text: run.runId })),
        iconButton('refresh', 'Refresh', () => post({ type: 'refresh' })),
      ),
    );
  }

  private renderInfo(data: DetailsData): void {
    const { run } = data;
    const tag = (key: string) => data.tags.find((t) => t.key === key)?.value;
    const duration = h('span', { data: { testid: 'run-duration' } });
    const updateDuration = () => {
      if (!run.startTime) return;
      const end = run.endTime && run.status !== 'RUNNING' ? run.endTime : Date.now();
      duration.textContent = formatDuration(end - run.startTime) + (run.status === 'RUNNING' ? ' so far' : '');
    };
    updateDuration();
    if (this.ticker !== undefined) window.clearInterval(this.ticker);
    this.ticker = run.status === 'RUNNING' ? window.setInterval(updateDuration, 1000) : undefined;
    const rows: [string, Child][] = [
      ['Run ID', h('code', {}, run.runId)],
      ['Experiment', `${run.experimentName || run.experimentId} (${run.experimentId})`],
      ['Started', formatTimestamp(run.startTime)],
      [run.status === 'RUNNING' ? 'Running for' : 'Duration', duration],
      ['User', run.userId || tag('mlflow.user')],
      ...SOURCE_TAGS.map(([label, key]): [string, Child] => [label, tag(key) ? h('code', {}, key.endsWith('commit') ? tag(key)!.slice(0, 12) : tag(key)!) : undefined]),
      ['Parent run', run.parentRunId ? h('a', { href: '#', on: { click: (e) => (e.preventDefault(), post({ type: 'openRun', runId: run.parentRunId! })) } }, data.parentName ?? run.parentRunId) : undefined],
      ['Artifact URI', data.artifactUri ? h('code', {}, data.artifactUri) : undefined],
    ];
    replaceChildren(
      this.info,
      rows.filter(([, value]) => value !== undefined && value !== '').map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]),
    );
  }

  // ------------------------------------------------------------ note

  private renderNote(data: DetailsData): void {
    const body = this.body('note');
    if (this.editing) {
      if (data.note !== this.shownNote) {
        const warning = body.querySelector('.note-changed');
        if (!warning) body.prepend(notice('info', 'The note changed while you were editing; saving replaces it.'));
        body.querySelector('.notice')?.classList.add('note-changed');
      }
      return;
    }
    this.shownNote = data.note;
    const edit = h('vscode-button', { secondary: true, icon: 'edit', data: { testid: 'edit-note' }, on: { click: () => this.startEditing() } }, data.note ? 'Edit note' : 'Add a note');
    replaceChildren(
      body,
      data.note ? h('div', { class: 'markdown', data: { testid: 'note' } }, renderMarkdown(parseMarkdown(data.note))) : h('p', { class: 'muted', data: { testid: 'note' } }, 'No note yet. Notes are Markdown, kept in the run (also shown by the MLflow UI).'),
      h('div', { class: 'note-actions' }, edit),
    );
    this.setCount('note', data.note ? '' : 'empty');
  }

  private startEditing(): void {
    this.editing = true;
    this.draft = this.data?.note ?? '';
    const body = this.body('note');
    const area = h('vscode-textarea', {
      rows: 10,
      resize: 'vertical',
      'aria-label': 'Run note (Markdown)',
      placeholder: 'What this run tried, what came out of it (Markdown)',
      props: { value: this.draft },
      data: { testid: 'note-editor' },
      on: { input: (event) => (this.draft = (event.target as HTMLTextAreaElement).value) },
    });
    const save = h('vscode-button', { icon: 'check', data: { testid: 'save-note' }, on: { click: () => void this.saveNote(save) } }, 'Save');
    const cancel = h(
      'vscode-button',
      {
        secondary: true,
        data: { testid: 'cancel-note' },
        on: {
          click: () => {
            this.editing = false;
            if (this.data) this.renderNote(this.data);
          },
        },
      },
      'Cancel',
    );
    area.addEventListener('keydown', (event) => {
      const e = event as KeyboardEvent;
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void this.saveNote(save);
      if (e.key === 'Escape') cancel.click();
    });
    replaceChildren(body, area, h('div', { class: 'note-actions' }, save, cancel, h('span', { class: 'muted' }, 'Ctrl+Enter saves · Escape cancels')));
    requestAnimationFrame(() => (area as HTMLElement).focus());
  }

  private async saveNote(button: HTMLElement): Promise<void> {
    if (!this.data) return;
    button.setAttribute('disabled', '');
    const reply = await request<Extract<HostMessage, { type: 'result' }>>({ type: 'saveNote', runId: this.data.run.runId, content: this.draft });
    button.removeAttribute('disabled');
    if (!reply.ok) {
      toast(`The note was not saved: ${reply.error ?? 'unknown error'}`, 'error');
      return;
    }
    this.editing = false;
    this.data = { ...this.data, note: this.draft };
    this.renderNote(this.data);
    toast('Note saved.');
  }

  // ------------------------------------------------------------ metrics

  private renderMetrics(metrics: MetricStats[]): void {
    const body = this.body('metrics');
    this.setCount('metrics', metrics.length);
    this.sparklines.length = 0;
    if (metrics.length === 0) {
      replaceChildren(body, h('p', { class: 'muted' }, 'No metrics logged yet.'));
      return;
    }
    const runId = this.data!.run.runId;
    const approx = (m: MetricStats) => (m.exact ? '' : '≈ ');
    const rows = metrics.map((m) => {
      const canvas = h('canvas', { class: 'sparkline', width: 96, height: 22, role: 'img', 'aria-label': `Trend of ${m.key}` });
      const values = (m.spark ?? []).map(decodeMetricValue);
      this.sparklines.push({ canvas, values });
      return h(
        'tr',
        { data: { key: m.key, testid: 'metric-row' } },
        h('th', { scope: 'row' }, h('a', { href: '#', title: `Chart ${m.key}`, on: { click: (e) => (e.preventDefault(), post({ type: 'openCharts', runIds: [runId], metricKeys: [m.key] })) } }, m.key)),
        h('td', { class: 'num', title: formatExact(decodeMetricValue(m.last)), data: { testid: 'metric-last' } }, formatNumber(decodeMetricValue(m.last))),
        h('td', { class: 'num' }, m.min === undefined ? '…' : approx(m) + formatNumber(decodeMetricValue(m.min))),
        h('td', { class: 'num' }, m.max === undefined ? '…' : approx(m) + formatNumber(decodeMetricValue(m.max))),
        h('td', { class: 'num', data: { testid: 'metric-count' } }, m.count === undefined ? '…' : approx(m) + m.count.toLocaleString()),
        h('td', { class: 'num' }, String(m.lastStep)),
        h('td', {}, canvas),
      );
    });
    const exactAll = metrics.every((m) => m.exact);
    replaceChildren(
      body,
      h(
        'table',
        { class: 'data-table', data: { testid: 'metrics-table' } },
        h('thead', {}, h('tr', {}, ['Metric', 'Last', 'Min', 'Max', 'Points', 'Last step', 'Trend'].map((label) => h('th', { scope: 'col' }, label)))),
        h('tbody', {}, rows),
      ),
      exactAll ? null : h('p', { class: 'muted' }, '≈: a long history, read from a sample while the full count runs.'),
    );
    this.drawSparklines();
  }

  private drawSparklines(): void {
    const color = theme().palette[0]!;
    for (const { canvas, values } of this.sparklines) drawSparkline(canvas, values, color);
  }

  // ------------------------------------------------------------ params and tags

  private renderParams(params: KeyValue[]): void {
    const body = this.body('params');
    this.setCount('params', params.length);
    if (params.length === 0) {
      replaceChildren(body, h('p', { class: 'muted' }, 'No parameters logged.'));
      return;
    }
    const tableBody = h('tbody');
    const fill = () => {
      const filter = this.ui.paramFilter.trim().toLowerCase();
      const shown = params.filter((p) => filter === '' || p.key.toLowerCase().includes(filter) || p.value.toLowerCase().includes(filter));
      replaceChildren(tableBody, shown.length === 0 ? h('tr', {}, h('td', { colspan: 2, class: 'muted' }, 'No parameter matches.')) : shown.map((p) => keyValueRow(p, 'param-row')));
    };
    fill();
    const filterField =
      params.length > 10
        ? h('vscode-textfield', {
            placeholder: 'Filter parameters',
            'aria-label': 'Filter parameters',
            props: { value: this.ui.paramFilter },
            on: {
              input: debounce((event: Event) => {
                this.setUi({ paramFilter: (event.target as HTMLInputElement).value });
                fill();
              }, 150),
            },
          })
        : null;
    // Keep a focused filter field (live updates re-render).
    const existing = body.querySelector('vscode-textfield');
    if (existing && existing === document.activeElement && filterField) {
      const table = body.querySelector('tbody');
      if (table) replaceChildren(table, ...tableBody.childNodes);
      return;
    }
    replaceChildren(body, filterField, h('table', { class: 'data-table kv', data: { testid: 'params-table' } }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'))), tableBody));
  }

  private renderTags(tags: KeyValue[]): void {
    const body = this.body('tags');
    const user = tags.filter((t) => !t.key.startsWith('mlflow.'));
    const system = tags.filter((t) => t.key.startsWith('mlflow.') && t.key !== 'mlflow.note.content');
    this.setCount('tags', user.length);
    const shown = this.ui.showSystemTags ? [...user, ...system] : user;
    replaceChildren(
      body,
      checkbox(`Show mlflow.* tags (${system.length})`, this.ui.showSystemTags, (checked) => {
        this.setUi({ showSystemTags: checked });
        if (this.data) this.renderTags(this.data.tags);
      }),
      shown.length === 0
        ? h('p', { class: 'muted' }, 'No user tags.')
        : h('table', { class: 'data-table kv', data: { testid: 'tags-table' } }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Tag'), h('th', { scope: 'col' }, 'Value'))), h('tbody', {}, shown.map((t) => keyValueRow(t, 'tag-row')))),
    );
  }

  // ------------------------------------------------------------ artifacts

  private renderArtifacts(data: DetailsData): void {
    const listing = data.artifacts;
    const signature = JSON.stringify(listing);
    if (signature === this.shownArtifacts) return;
    this.shownArtifacts = signature;
    const body = this.body('artifacts');
    const files = listing.entries.filter((e) => e.kind !== 'dir' && e.kind !== 'model');
    this.setCount('artifacts', `${files.length}${listing.truncated ? '+' : ''}`);
    if (listing.error) {
      replaceChildren(body, notice('error', `Could not list the artifacts: ${listing.error}`));
      return;
    }
    if (listing.entries.length === 0) {
      replaceChildren(body, h('p', { class: 'muted' }, 'No artifacts logged yet.'));
      return;
    }
    const runId = data.run.runId;
    const images = listing.entries.filter((e) => e.kind === 'image');
    const list = h(
      'ul',
      { class: 'artifact-list', data: { testid: 'artifact-list' } },
      listing.entries.map((entry) => {
        const name = entry.path.split('/').pop() ?? entry.path;
        const iconName = entry.kind === 'dir' ? 'folder' : entry.kind === 'model' ? 'package' : entry.kind === 'image' ? 'file-media' : 'file';
        const label: Child =
          entry.kind === 'dir' || entry.kind === 'model'
            ? h('span', {}, name, entry.kind === 'model' ? h('span', { class: 'muted' }, ' model') : null)
            : h('a', { href: '#', title: `Open ${entry.path}`, on: { click: (e) => (e.preventDefault(), post({ type: 'openArtifact', runId, path: entry.path })) } }, name);
        return h(
          'li',
          { class: `artifact depth-${Math.min(entry.depth, 8)}`, data: { path: entry.path, kind: entry.kind } },
          icon(iconName),
          label,
          entry.size !== undefined && entry.kind !== 'dir' ? h('span', { class: 'muted size' }, formatBytes(entry.size)) : null,
        );
      }),
    );
    const gallery =
      images.length > 0
        ? h(
            'div',
            { class: 'gallery', data: { testid: 'image-previews' } },
            images.slice(0, MAX_PREVIEWS).map((entry) => this.previewTile(runId, entry)),
          )
        : null;
    replaceChildren(
      body,
      gallery,
      images.length > MAX_PREVIEWS ? h('p', { class: 'muted' }, `Previews of the first ${MAX_PREVIEWS} of ${images.length} images.`) : null,
      list,
      listing.truncated ? h('p', { class: 'muted' }, 'More artifacts exist than are listed here; browse them in the Experiments view.') : null,
    );
  }

  private previewTile(runId: string, entry: ArtifactEntry): HTMLElement {
    const tile = h(
      'figure',
      { class: 'preview', data: { path: entry.path, runId }, tabindex: 0, title: `Open ${entry.path}`, on: { click: () => post({ type: 'openArtifact', runId, path: entry.path }) } },
      h('div', { class: 'preview-image' }),
      h('figcaption', {}, entry.path),
    );
    tile.addEventListener('keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Enter') post({ type: 'openArtifact', runId, path: entry.path });
    });
    const cached = this.previews.get(`${runId}/${entry.path}`);
    if (cached !== undefined) this.showPreview(tile, entry.path, cached);
    else this.previewObserver.observe(tile);
    return tile;
  }

  private async loadPreview(tile: HTMLElement): Promise<void> {
    const runId = tile.dataset.runId!;
    const path = tile.dataset.path!;
    const slot = tile.querySelector('.preview-image');
    if (slot) replaceChildren(slot, h('vscode-progress-ring', { 'aria-label': `Loading ${path}` }));
    const reply = await request<Extract<HostMessage, { type: 'artifact' }>>({ type: 'requestArtifact', runId, path });
    const result = reply.dataUrl ?? { error: reply.error ?? 'not available' };
    this.previews.set(`${runId}/${path}`, result);
    this.showPreview(tile, path, result);
  }

  private showPreview(tile: HTMLElement, path: string, result: string | { error: string }): void {
    const slot = tile.querySelector('.preview-image');
    if (!slot) return;
    if (typeof result === 'string') replaceChildren(slot, h('img', { src: result, alt: path, loading: 'lazy', data: { testid: 'image-preview' } }));
    else replaceChildren(slot, h('span', { class: 'muted' }, icon('warning'), ` ${result.error}`));
  }
}

function statusBadge(status: string, lifecycle: string): HTMLElement {
  const deleted = lifecycle === 'deleted';
  const iconName = deleted ? 'trash' : status === 'RUNNING' ? 'loading' : status === 'FINISHED' ? 'pass' : status === 'FAILED' ? 'error' : status === 'KILLED' ? 'circle-slash' : 'clock';
  const badge = h('span', { class: `status status-${status.toLowerCase()}${deleted ? ' status-deleted' : ''}`, data: { testid: 'run-status', status } }, icon(iconName), ` ${status.toLowerCase()}${deleted ? ' (deleted)' : ''}`);
  if (status === 'RUNNING') badge.querySelector('.codicon')?.classList.add('codicon-modifier-spin');
  return badge;
}

function keyValueRow(entry: KeyValue, testId: string): HTMLElement {
  return h(
    'tr',
    { data: { key: entry.key, testid: testId } },
    h('th', { scope: 'row' }, entry.key),
    h('td', {}, entry.value.includes('\n') || entry.value.length > 200 ? h('pre', { class: 'value-block' }, entry.value) : entry.value),
  );
}

function drawSparkline(canvas: HTMLCanvasElement, values: number[], color: string): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const ratio = window.devicePixelRatio || 1;
  const width = 96;
  const height = 22;
  if (canvas.width !== width * ratio) {
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return;
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min || 1;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.25;
  ctx.beginPath();
  let started = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const x = (i / (values.length - 1)) * (width - 2) + 1;
    const y = height - 2 - ((v - min) / span) * (height - 4);
    if (started) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    started = true;
  });
  ctx.stroke();
}

// ------------------------------------------------------------ markdown → DOM (text nodes only)

function renderMarkdown(blocks: readonly Block[]): Child[] {
  return blocks.map((block): Child => {
    switch (block.type) {
      case 'heading':
        return h(`h${Math.min(6, block.level + 1)}`, {}, renderInlines(block.children));
      case 'paragraph':
        return h('p', {}, renderInlines(block.children));
      case 'code':
        return h('pre', {}, h('code', { class: block.lang ? `language-${block.lang}` : undefined }, block.text));
      case 'list':
        return h(
          block.ordered ? 'ol' : 'ul',
          { start: block.ordered && block.start !== 1 ? block.start : undefined },
          // A tight item (one paragraph) shows its text without a paragraph's margins.
          block.items.map((item) => h('li', {}, item.length === 1 && item[0]!.type === 'paragraph' ? renderInlines(item[0]!.children) : renderMarkdown(item))),
        );
      case 'quote':
        return h('blockquote', {}, renderMarkdown(block.children));
      case 'rule':
        return h('hr');
    }
  });
}

function renderInlines(nodes: readonly Inline[]): Child[] {
  return nodes.map((node): Child => {
    switch (node.type) {
      case 'text':
        return node.text;
      case 'code':
        return h('code', {}, node.text);
      case 'strong':
        return h('strong', {}, renderInlines(node.children));
      case 'em':
        return h('em', {}, renderInlines(node.children));
      case 'strike':
        return h('del', {}, renderInlines(node.children));
      case 'link':
        return h('a', { href: node.href, title: node.href }, renderInlines(node.children));
      case 'break':
        return h('br');
    }
  });
}
