/** A tiny element builder: no templates, no innerHTML, so text from runs is always text. */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

export interface Props {
  class?: string;
  /** Data attributes (`data-*`), names in camelCase or kebab-case. */
  data?: Record<string, string | number | boolean | undefined>;
  /** CSSOM properties (the CSP forbids style attributes, not these). */
  style?: Partial<Record<string, string>>;
  /** Event listeners. */
  on?: Record<string, (event: Event) => void>;
  /** Element properties (custom elements: checked, value, selectedIndex...). */
  props?: Record<string, unknown>;
  [attribute: string]: unknown;
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(parent, c);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

function apply(element: HTMLElement, props: Props | undefined): void {
  if (!props) return;
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    switch (name) {
      case 'class':
        element.className = String(value);
        break;
      case 'data':
        for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
          if (v !== undefined) element.dataset[key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = String(v);
        }
        break;
      case 'style':
        for (const [key, v] of Object.entries(value as Record<string, string>)) if (v !== undefined) element.style.setProperty(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v);
        break;
      case 'on':
        for (const [event, listener] of Object.entries(value as Record<string, (e: Event) => void>)) element.addEventListener(event, listener);
        break;
      case 'props':
        for (const [key, v] of Object.entries(value as Record<string, unknown>)) (element as unknown as Record<string, unknown>)[key] = v;
        break;
      default:
        element.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, props?: Props, ...children: Child[]): HTMLElement;
export function h(tag: string, props?: Props, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  apply(element, props);
  for (const child of children) append(element, child);
  return element;
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

export function replaceChildren(element: Element, ...children: Child[]): void {
  clear(element);
  for (const child of children) append(element, child);
}

/** A codicon (the font is bundled with the webview). */
export function icon(name: string, label?: string): HTMLElement {
  return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': label ? undefined : 'true', 'aria-label': label, role: label ? 'img' : undefined });
}

/** A button made of a codicon, labelled for screen readers and with a tooltip. */
export function iconButton(name: string, label: string, onClick: (event: Event) => void, data?: Props['data']): HTMLElement {
  return h('vscode-toolbar-button', { icon: name, label, title: label, 'aria-label': label, data, on: { click: onClick } });
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: number | undefined;
  const wrapped = (...args: A) => {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, ms);
  };
  wrapped.cancel = () => {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = undefined;
  };
  return wrapped;
}

/** A labelled select of vscode-elements (value '' for the first option when none is given). */
export function select(options: { value: string; label: string; description?: string }[], value: string, label: string, onChange: (value: string) => void, testId?: string): HTMLElement {
  const element = h(
    'vscode-single-select',
    { 'aria-label': label, title: label, data: { testid: testId }, on: { change: (event) => onChange((event.target as unknown as { value: string }).value) } },
    options.map((option) => h('vscode-option', { value: option.value, description: option.description, props: { selected: option.value === value } }, option.label)),
  );
  return element;
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void, testId?: string): HTMLElement {
  return h('vscode-checkbox', {
    label,
    props: { checked },
    data: { testid: testId, checked: checked },
    on: {
      change: (event) => {
        const box = event.target as HTMLElement & { checked: boolean };
        box.dataset.checked = String(box.checked);
        onChange(box.checked);
      },
    },
  });
}

/** A message in place of content: loading, empty, error. */
export function notice(kind: 'loading' | 'empty' | 'error' | 'info', text: string, ...actions: Child[]): HTMLElement {
  return h(
    'div',
    { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    kind === 'loading' ? h('vscode-progress-ring', { 'aria-label': 'Loading' }) : icon(kind === 'error' ? 'error' : kind === 'empty' ? 'circle-slash' : 'info'),
    h('span', {}, text),
    ...actions,
  );
}
