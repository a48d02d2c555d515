/** Short messages at the bottom of a panel (export failed, note saved), announced to screen readers. */
import { h, icon } from './dom';

let region: HTMLElement | undefined;

export function toast(text: string, kind: 'info' | 'error' = 'info', ms = 5000): void {
  if (!region) {
    region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(region);
  }
  const item = h('div', { class: `toast toast-${kind}`, data: { testid: 'toast' } }, icon(kind === 'error' ? 'error' : 'info'), h('span', {}, text));
  region.appendChild(item);
  window.setTimeout(() => item.remove(), ms);
}
