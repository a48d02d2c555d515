/**
 * The HTML of every panel: a strict Content-Security-Policy (nothing but our bundle's script, styles and
 * font, images as data: URLs from the host, no network), the bootstrap state inlined as JSON with the
 * nonce, then the bundle. No `vscode` import: unit tests read it under plain Node.
 */
import { randomBytes } from 'node:crypto';
import { serializeBootstrap, type Bootstrap } from '../../webview/protocol';

export interface PanelAssets {
  /** `webview.cspSource`. */
  cspSource: string;
  script: string;
  style: string;
  codicons: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

/** The policy: default none; scripts only with the nonce; no eval; no connections, frames or forms. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "connect-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function panelHtml(assets: PanelAssets, bootstrap: Bootstrap, title: string, nonce = makeNonce()): string {
  const csp = contentSecurityPolicy(assets.cspSource, nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeAttribute(title)}</title>
<link rel="stylesheet" href="${escapeAttribute(assets.codicons)}" id="vscode-codicon-stylesheet" nonce="${nonce}">
<link rel="stylesheet" href="${escapeAttribute(assets.style)}" nonce="${nonce}">
</head>
<body data-panel="${escapeAttribute(bootstrap.kind)}">
<div id="app"></div>
<script type="application/json" id="runboard-bootstrap" nonce="${nonce}">${serializeBootstrap(bootstrap)}</script>
<script src="${escapeAttribute(assets.script)}" nonce="${nonce}"></script>
</body>
</html>`;
}
