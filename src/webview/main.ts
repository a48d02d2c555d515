/**
 * The webview entry of every Runboard panel: reads the state the host inlined (with the CSP nonce), routes
 * to the panel's app and draws it at once. No network: all data comes from the host by postMessage.
 */
import './styles.css';
import './lib/elements';
import { PROTOCOL_VERSION, type Bootstrap } from './protocol';
import { h, notice, replaceChildren } from './lib/dom';
import { logToHost } from './lib/host';
import { theme } from './lib/theme';
import { ChartsApp } from './panels/charts';
import { CompareApp } from './panels/compare';
import { DetailsApp } from './panels/details';
import { SweepApp } from './panels/sweep';

function readBootstrap(): Bootstrap | undefined {
  const element = document.getElementById('runboard-bootstrap');
  if (!element?.textContent) return undefined;
  try {
    const value = JSON.parse(element.textContent) as Bootstrap;
    return value.protocol === PROTOCOL_VERSION ? value : undefined;
  } catch {
    return undefined;
  }
}

window.addEventListener('error', (event) => logToHost('error', `${event.message} at ${event.filename}:${event.lineno}`));
window.addEventListener('unhandledrejection', (event) => logToHost('error', `Unhandled rejection: ${String((event as PromiseRejectionEvent).reason)}`));

const root = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const bootstrap = readBootstrap();
document.body.dataset.themeKind = theme().kind;
if (!bootstrap) {
  replaceChildren(root, notice('error', 'This panel could not start (its state is missing). Close it and open it again.'));
} else {
  document.body.dataset.panel = bootstrap.kind;
  const app =
    bootstrap.kind === 'details'
      ? new DetailsApp(root, bootstrap)
      : bootstrap.kind === 'charts'
        ? new ChartsApp(root, bootstrap)
        : bootstrap.kind === 'compare'
          ? new CompareApp(root, bootstrap)
          : new SweepApp(root, bootstrap);
  app.start();
}
