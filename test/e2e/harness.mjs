// E2E harness: Runboard loaded in development mode into a real VS Code (code-server 4.100.3, the VS Code
// 1.100.3 server + web workbench on this machine's Node 20), driven by Debian's headless chromium through
// playwright-core. Every code-server gets its own tmp user-data, extensions and XDG dirs, and opens a tmp
// copy of examples/ so each test file starts from a clean store. No network is used.
//
// Env: CHROMIUM_BIN, CODE_SERVER_BIN, E2E_KEEP_TMP=1 (keep tmp dirs), E2E_HEADED=1, E2E_LOG=1 (print the
// extension host log at teardown), CI=true (missing tools fail instead of skipping).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(E2E_DIR, '..', '..');
export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');
export const CODE_SERVER = process.env.CODE_SERVER_BIN || path.join(E2E_DIR, 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const IS_CI = process.env.CI === 'true' || process.env.CI === '1';

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];
// Tall: list rows are virtualized (only rows on screen exist in the DOM).
export const VIEWPORT = { width: 1600, height: 1200 };

export const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'window.commandCenter': true,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // DOM renderer: terminal text is readable from .xterm-rows (no GPU in headless chromium anyway).
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.defaultProfile.linux': 'bash',
  'terminal.integrated.enablePersistentSessions': false,
  // The examples' python files would otherwise pull recommendations and notifications.
  'workbench.editor.enablePreview': false,
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log('[e2e]', ...a);

// ---------------------------------------------------------------- tools

/** Why the e2e tools are unusable, or null. */
export function missingTools() {
  const missing = [];
  if (!fs.existsSync(CHROMIUM)) missing.push(`chromium (${CHROMIUM})`);
  if (!fs.existsSync(CODE_SERVER)) missing.push(`code-server (${CODE_SERVER})`);
  try { createRequire(import.meta.url).resolve('playwright-core'); } catch { missing.push('playwright-core'); }
  return missing.length ? `missing ${missing.join(', ')}: run \`node scripts/e2e-setup.mjs\`` : null;
}

/**
 * A reason to skip (string) when the tools are missing on a developer's machine; under CI a missing tool is
 * an error, never a skip. Usage: `test(name, { skip: skipReason() }, fn)` (useWorkbench does it for you).
 */
export function skipReason() {
  const why = missingTools();
  if (why && IS_CI) throw new Error(`E2E tools missing under CI=true (refusing to skip): ${why}`);
  if (why) log(`SKIPPING e2e: ${why}`);
  return why || false;
}

async function loadChromium() {
  const { chromium } = await import('playwright-core');
  return chromium;
}

// ---------------------------------------------------------------- workspace

/** A tmp copy of `from` (default examples/) without any store (.runboard) or caches. */
export function makeWorkspace(from = EXAMPLES_DIR) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-ws-'));
  const ws = path.join(dir, path.basename(from));
  fs.cpSync(from, ws, {
    recursive: true,
    filter: (src) => !['.runboard', '__pycache__', '.venv', 'mlruns'].includes(path.basename(src)),
  });
  return ws;
}

// ---------------------------------------------------------------- code-server

/**
 * Starts an isolated code-server. The extension is loaded in development mode through the workbench URL
 * payload (code-server's CLI rejects --extensionDevelopmentPath), from `extensionDevelopmentPath`
 * (default: the repo root, i.e. our package.json + dist/). `extensionTestsPath` makes the workbench run an
 * in-host test module. `env` goes to code-server and so to the extension host.
 */
export async function startCodeServer({ workspace, extensionDevelopmentPath = REPO_ROOT, extensionTestsPath, env = {}, settings = {} } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-cs-'));
  const ud = path.join(tmp, 'user-data');
  const exts = path.join(tmp, 'extensions');
  fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
  fs.mkdirSync(exts, { recursive: true });
  const ws = workspace || makeWorkspace();
  fs.writeFileSync(path.join(ud, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2));
  // Own config file so code-server never writes ~/.config/code-server/config.yaml
  const cfg = path.join(tmp, 'config.yaml');
  fs.writeFileSync(cfg, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  const csEnv = {
    ...process.env,
    EXTENSIONS_GALLERY: '{}', // no gallery lookups
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'), // code-server writes coder-logs/ here regardless of --user-data-dir
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'), // else ~/.cache/Microsoft/DeveloperTools/deviceid
    SHELL: process.env.SHELL || '/bin/bash',
    ...env,
  };
  // Not inherited by the extension host: a test's own tracking settings must not leak in.
  delete csEnv.MLFLOW_TRACKING_URI;
  delete csEnv.MLFLOW_TRACKING_TOKEN;
  delete csEnv.NODE_OPTIONS;
  delete csEnv.NODE_TEST_CONTEXT; // set by node --test in this process; meaningless (and confusing) further down

  const t0 = Date.now();
  const proc = spawn(CODE_SERVER, [
    '--config', cfg, '--user-data-dir', ud, '--extensions-dir', exts,
    '--bind-addr', '127.0.0.1:0', '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
    ws,
  ], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: csEnv });
  let out = '';
  const killGroup = (sig) => { try { process.kill(-proc.pid, sig); } catch { /* gone */ } };
  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('code-server did not start within 60 s:\n' + out)), 60000);
      const onData = (d) => {
        out += d;
        const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.on('error', (e) => { clearTimeout(timer); reject(e); });
      proc.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`code-server exited (${code ?? sig}):\n${out}`)); });
    });
  } catch (e) {
    killGroup('SIGKILL');
    if (!process.env.E2E_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const authority = new URL(url).host;
  const remote = (p) => `vscode-remote://${authority}${path.resolve(p)}`;
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const openUrl = `${url}?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  let stopped = false;

  const server = {
    url, openUrl, proc, t0, tmp, workspace: ws, userData: ud,
    output: () => out,
    /** Server-side *.log files (remoteexthost.log is the extension host's, with our console output and errors). */
    logFiles() {
      const files = [];
      const walk = (d) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p); else if (e.name.endsWith('.log')) files.push(p);
        }
      };
      try { walk(path.join(ud, 'logs')); } catch { /* none yet */ }
      return files;
    },
    /** Last `lines` lines of the extension host log (<user-data>/logs/<date>/exthost1/remoteexthost.log). */
    extHostLogTail(lines = 80) {
      const f = server.logFiles().filter((p) => p.endsWith('remoteexthost.log')).sort().pop();
      if (!f) return '(no remoteexthost.log yet)';
      return fs.readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n');
    },
    /** Our own output channel's log file (LogOutputChannel "Runboard"), if it wrote one. */
    channelLog(name = 'Runboard') {
      const f = server.logFiles().filter((p) => path.basename(p) === `${name}.log` || path.basename(p).endsWith(`-${name}.log`)).sort().pop();
      return f ? fs.readFileSync(f, 'utf8') : '';
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        killGroup('SIGTERM');
        await Promise.race([exited, sleep(3000)]);
      }
      killGroup('SIGKILL'); // the whole group: code-server runs ~5 processes (and the extension host's children)
      if (!process.env.E2E_KEEP_TMP) {
        fs.rmSync(tmp, { recursive: true, force: true });
        if (!workspace) fs.rmSync(path.dirname(ws), { recursive: true, force: true });
      } else log(`kept ${tmp} and ${ws}`);
    },
  };
  return server;
}

// ---------------------------------------------------------------- browser

export async function launchBrowser({ viewport = VIEWPORT } = {}) {
  const chromium = await loadChromium();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-chromium-'));
  const profile = path.join(dataDir, 'profile');
  // chromium writes ~/.config/chromium/Crash Reports and ~/.cache/dconf whatever its profile dir: keep them in tmp
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(dataDir, 'config'), XDG_CACHE_HOME: path.join(dataDir, 'cache') };
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: !process.env.E2E_HEADED, args: CHROMIUM_ARGS, viewport, env,
    // clipboard for copy commands (vscode.env.clipboard in the web workbench uses navigator.clipboard)
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = context.pages()[0] || await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    context, page, pageErrors,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- session (code-server + browser)

/**
 * code-server + chromium with the workbench loaded and ready. `opts` as for startCodeServer.
 * Returns { page, server, browser, timings, screenshot(name), captureFailure(name, error), close() }.
 */
export async function openWorkbench(opts = {}) {
  const server = await startCodeServer(opts);
  let browser;
  const session = {
    server, page: undefined, browser: undefined,
    timings: { serverListeningMs: Date.now() - server.t0 },
    async screenshot(name) {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      const file = path.join(RESULTS_DIR, `${safeName(name)}.png`);
      await session.page?.screenshot({ path: file, timeout: 10000 });
      return file;
    },
    /** Screenshot to test-results/e2e/<name>.png, and the extension host log tail next to it and on stdout. */
    async captureFailure(name, error) {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      const base = path.join(RESULTS_DIR, safeName(name));
      let shot = '(no screenshot)';
      try { shot = await session.screenshot(name); } catch (e) { shot = `(screenshot failed: ${e.message})`; }
      const tail = server.extHostLogTail(120);
      const channel = server.channelLog().split('\n');
      const sidebar = await session.page?.locator('.part.sidebar').innerText({ timeout: 2000 }).catch((e) => `(not read: ${e.message})`);
      const extra = [
        `error: ${error?.stack || error}`,
        `screenshot: ${shot}`,
        `page errors: ${(browser?.pageErrors || []).slice(-10).join('\n  ') || '(none)'}`,
        `--- side bar text\n${sidebar}`,
        `--- code-server output (tail)\n${server.output().split('\n').slice(-30).join('\n')}`,
        `--- remoteexthost.log (tail)\n${tail}`,
        `--- Runboard output channel\n${channel.join('\n')}`,
      ].join('\n');
      fs.writeFileSync(`${base}.log`, extra + '\n');
      // CI keeps only the end of the output before a failure: what tells most goes last, the side bar as the
      // user saw it and our own log, not the extension host's activation noise.
      console.log(`[e2e] FAILED ${name}: screenshot ${shot}, log ${base}.log`);
      console.log(tail.split('\n').slice(-15).map((l) => `  exthost| ${l}`).join('\n'));
      console.log(channel.slice(-60).map((l) => `  runboard| ${l}`).join('\n'));
      console.log(String(sidebar).split('\n').slice(0, 60).map((l) => `  sidebar| ${l}`).join('\n'));
    },
    async close() {
      if (process.env.E2E_LOG) console.log(server.extHostLogTail(400));
      if (browser) await browser.close();
      await server.stop();
    },
  };
  try {
    browser = await launchBrowser(opts);
    session.browser = browser;
    session.page = browser.page;
    await browser.page.goto(server.openUrl);
    await waitForWorkbench(browser.page);
    session.timings.workbenchReadyMs = Date.now() - server.t0;
  } catch (e) {
    if (browser) await session.captureFailure(`startup-${opts.name || 'workbench'}`, e);
    await session.close();
    throw e;
  }
  return session;
}

/**
 * For a node:test file: registers before/after hooks that open one workbench for the whole file, and returns
 * { session(), test(name, fn) } where fn receives the session ({ page, server, ... }) and a failure saves
 * test-results/e2e/<file>-<test>.png plus the extension host log tail.
 */
export function useWorkbench(opts = {}) {
  const fileName = opts.name || 'e2e';
  const skip = skipReason();
  let session;
  // `prepare` (e.g. making the workspace's files) runs in this same hook, before the workbench opens: node 20 runs
  // a file's top-level before() hooks concurrently, so a separate hook would race the workbench.
  before(async () => {
    if (skip) return;
    clearResults(safeName(fileName));
    if (opts.prepare) await opts.prepare();
    session = await openWorkbench({ ...opts, name: fileName });
    log(`${fileName}: workbench ready in ${session.timings.workbenchReadyMs} ms`);
  }, { timeout: opts.prepareTimeout ?? Infinity });
  after(async () => {
    if (session) await session.close();
  });
  return {
    session: () => session,
    test(name, fn, testOpts = {}) {
      test(name, { timeout: 120000, ...testOpts, skip: skip || testOpts.skip }, async (t) => {
        if (!session) throw new Error('workbench did not start (see the before hook error)');
        try {
          await fn(session, t);
        } catch (e) {
          await session.captureFailure(`${fileName}-${name}`, e);
          throw e;
        }
      });
    },
  };
}

/** Removes earlier artifacts of this file (test-results/e2e/<prefix>*) so stale failures do not linger. */
export function clearResults(prefix) {
  let names = [];
  try { names = fs.readdirSync(RESULTS_DIR); } catch { return; }
  for (const n of names) if (n.startsWith(prefix)) fs.rmSync(path.join(RESULTS_DIR, n), { force: true });
}

function safeName(s) {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120);
}

// ---------------------------------------------------------------- workbench helpers (VS Code 1.100 web)

export async function waitForWorkbench(page, timeout = 60000) {
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout });
}

/** An activity bar icon by its title (the aria-label is on the inner link). */
export function activityBarItem(page, title) {
  return page.locator(`.part.activitybar a.action-label[aria-label^="${title}"]`);
}

/** Clicks a view container's icon unless its side bar is already showing; waits for the side bar title. */
export async function openViewContainer(page, title, timeout = 60000) {
  const item = activityBarItem(page, title);
  await item.waitFor({ state: 'visible', timeout });
  const sideTitle = page.locator('.part.sidebar .composite.title', { hasText: new RegExp(escapeRe(title), 'i') });
  // clicking the icon of the container already shown would close the side bar
  if (!(await sideTitle.isVisible())) await item.click();
  await sideTitle.waitFor({ state: 'visible', timeout });
}

/** A view's pane header in the side bar (hidden when its container has a single view). */
export function viewPaneHeader(page, viewName) {
  return page.locator('.part.sidebar').locator(paneHeaderSelector(page, viewName));
}

/** The pane (header + body) of a view, for welcome content and the rows of one view. */
export function viewPane(page, viewName) {
  return page.locator('.part.sidebar .pane', { has: paneHeaderSelector(page, viewName) });
}

// relative locator: `has` is evaluated inside the outer element, so it must not start at .part.sidebar
function paneHeaderSelector(page, viewName) {
  return page.locator('.pane-header', { has: page.locator('h3.title', { hasText: new RegExp(`^\\s*${escapeRe(viewName)}\\s*$`, 'i') }) });
}

/** Expands a collapsed view pane. */
export async function expandView(page, viewName) {
  const header = viewPaneHeader(page, viewName);
  await header.waitFor({ state: 'visible' });
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
}

/** Tree rows of the side bar (or of one view with { view }), by visible text. Rows exist only while on screen. */
export function treeItem(page, label, { view } = {}) {
  const scope = view ? viewPane(page, view) : page.locator('.part.sidebar');
  return scope.locator('.monaco-list-row[role="treeitem"]', { hasText: label });
}

/**
 * Runs a command through the F1 palette by its full title ("Runboard: Show Server Log"), and waits for the
 * palette to close. With `{ closes: false }` (a command that opens its own input box or quick pick in the same
 * widget) it waits only until the palette has handed the widget over: answer with answerInputBox/pickQuickItem.
 */
export async function runCommand(page, title, { timeout = 15000, closes = true } = {}) {
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible()) await page.keyboard.press('Escape');
  // Focus the editor area first, unless a webview covers it: a click would then land in the panel (and wait
  // 30 s for the editor to be clickable); a focused webview passes F1 on to the workbench anyway.
  const editor = page.locator('.monaco-workbench .part.editor');
  const covered = await editor.evaluate((part) => {
    const box = part.getBoundingClientRect();
    return !part.contains(document.elementFromPoint(box.left + 200, box.top + 200));
  }).catch(() => true);
  if (!covered) await editor.click({ position: { x: 200, y: 200 }, timeout: 5000 }).catch(() => {});
  await page.keyboard.press('F1');
  const input = widget.locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill('>' + title);
  // the label is split into highlight spans: match on the row's aria-label
  const row = widget.locator('.monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout });
  // make sure the first (selected) row is ours, not a fuzzy neighbour
  const focused = widget.locator('.monaco-list-row.focused').first();
  const focusedText = await focused.innerText().catch(() => '');
  if (!focusedText.includes(title)) await row.click();
  else await page.keyboard.press('Enter');
  if (closes) await widget.waitFor({ state: 'hidden', timeout });
  else {
    await expectPoll(async () => !(await widget.isVisible()) || !(await input.inputValue()).startsWith('>'), { timeout, what: `"${title}" to take over the quick input` });
  }
}

/** Picks an item in an open quick pick (showQuickPick / showInputBox flows). */
export async function pickQuickItem(page, label, { timeout = 15000 } = {}) {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout });
  await row.click();
}

/**
 * Types into an open input box (showInputBox) and presses Enter. `prompt` (text or RegExp) waits for the input
 * box showing it first: in a flow of several prompts the widget stays open between them.
 */
export async function answerInputBox(page, text, { timeout = 15000, prompt } = {}) {
  if (prompt !== undefined) await page.locator('.quick-input-widget', { hasText: prompt }).waitFor({ state: 'visible', timeout });
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/** Right-clicks a row (locator) and returns the context menu locator; with `item`, clicks that entry too. */
export async function contextMenu(page, row, item, { timeout = 15000 } = {}) {
  await row.scrollIntoViewIfNeeded();
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible', timeout });
  if (item !== undefined) {
    // `item`: exact label ("Copy" must not pick "Copy Path") or a RegExp. Click the <li>, not the label span
    // (a click on the span does not always reach the menu's mouseup handler).
    const label = item instanceof RegExp ? item : new RegExp(`^\\s*${escapeRe(item)}\\s*$`);
    const entry = menu.locator('.action-item:not(.disabled)', { has: page.locator('.action-label', { hasText: label }) }).first();
    await entry.waitFor({ state: 'visible', timeout });
    await entry.hover();
    await entry.click();
    await menu.waitFor({ state: 'hidden', timeout });
  }
  return menu;
}

/** Labels of the open context menu's entries. */
export async function contextMenuLabels(page) {
  return page.locator('.context-view .monaco-menu .action-item .action-label').allInnerTexts();
}

/** Inline action (hover icon) on a tree row, by its title. */
export async function rowAction(row, title) {
  await row.hover();
  const action = row.locator(`.actions a.action-label[aria-label^="${title}"]`);
  await action.click();
}

/** A status bar entry containing `text`. */
export function statusBarItem(page, text) {
  return page.locator('.part.statusbar .statusbar-item', { hasText: text });
}

/** Notification toasts containing `text`. */
export function notification(page, text) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

/** The content frame of a webview: outer iframe.webview -> inner iframe#active-frame. */
export function webviewFrame(page, index = 0) {
  return page.frameLocator('iframe.webview.ready').nth(index).frameLocator('iframe#active-frame');
}

/**
 * The frame of a drawn Runboard panel: the webview document whose body is `[data-panel=<kind>][data-ready=true]`
 * (kind: details, charts, compare, sweep), with `heading` (text or RegExp) the one whose <h1> matches. A hidden
 * panel's webview is gone, so only panels on screen match. Returns a playwright Frame.
 */
export async function panelFrame(page, kind, { heading, timeout = 30000 } = {}) {
  let found;
  const matches = (text) => heading === undefined || (heading instanceof RegExp ? heading.test(text) : text.includes(heading));
  await expectPoll(async () => {
    for (const frame of page.frames()) {
      if (frame.isDetached()) continue;
      const body = await frame
        .evaluate(() => ({ panel: document.body?.dataset.panel, ready: document.body?.dataset.ready, heading: document.querySelector('h1')?.textContent ?? '' }))
        .catch(() => undefined);
      if (body?.panel === kind && body.ready === 'true' && matches(body.heading)) {
        found = frame;
        return true;
      }
    }
    return false;
  }, { timeout, what: `the ${kind} panel${heading === undefined ? '' : ` "${heading}"`} drawn` });
  return found;
}

/**
 * Opens a file of the expanded run's Artifacts folder in the Experiments view (the folder is clicked open first)
 * and waits for its editor tab.
 */
export async function openArtifact(page, fileName) {
  const artifacts = treeItem(page, 'Artifacts', { view: 'Experiments' }).first();
  await artifacts.waitFor({ state: 'visible', timeout: 30000 });
  await artifacts.click();
  const file = treeItem(page, fileName, { view: 'Experiments' }).first();
  await file.waitFor({ state: 'visible', timeout: 30000 });
  await file.click();
  await editorTab(page, fileName).waitFor({ state: 'visible', timeout: 30000 });
}

/** An editor tab by its label. */
export function editorTab(page, label) {
  return page.locator('.part.editor .tabs-container .tab', { hasText: label });
}

/** Opens a workspace file in the editor: its tab when already open, else through Go to File (quick open). */
export async function openFile(page, name, { timeout = 30000 } = {}) {
  const tab = editorTab(page, name);
  if (await tab.count()) {
    await tab.first().click();
    return;
  }
  await runCommand(page, 'Go to File...', { closes: false });
  await page.locator('.quick-input-widget .quick-input-box input').fill(name);
  await pickQuickItem(page, name);
  await tab.first().waitFor({ state: 'visible', timeout });
}

// ---- Output panel

/** Waits for the Output panel to show channel `channel`; returns the panel locator. */
export async function waitForOutputChannel(page, channel, { timeout = 30000 } = {}) {
  const panel = page.locator('.part.panel');
  await panel.waitFor({ state: 'visible', timeout });
  await panel.locator('.composite.title .action-label[aria-label^="Output"][aria-selected="true"], .composite.title .action-item.checked .action-label[aria-label^="Output"]')
    .first().waitFor({ state: 'visible', timeout });
  await expectPoll(async () => (await outputChannelName(page)) === channel, { timeout, what: `output channel "${channel}" selected` });
  return panel;
}

/** Name of the channel selected in the Output panel's drop-down. */
export async function outputChannelName(page) {
  const select = page.locator('.part.panel select.monaco-select-box').first();
  return select.evaluate((s) => s.options[s.selectedIndex]?.text ?? '').catch(() => '');
}

/** Text currently rendered in the Output panel editor (only visible lines are in the DOM). */
export async function outputText(page) {
  const text = await page.locator('.part.panel .monaco-editor .view-lines').first().innerText().catch(() => '');
  return text.replace(/\u00a0/g, ' '); // the editor renders spaces as non-breaking spaces
}

// ---- Terminal

/** Opens a new integrated terminal through the command palette and waits until it takes keystrokes. */
export async function openTerminal(page, { timeout = 30000 } = {}) {
  const before = await page.locator('.part.panel .terminal-wrapper').count();
  await runCommand(page, 'Terminal: Create New Terminal');
  await expectPoll(async () => (await page.locator('.part.panel .terminal-wrapper').count()) > before, { timeout, what: 'a new terminal' });
  const term = page.locator('.part.panel .terminal-wrapper.active .xterm').first();
  await term.waitFor({ state: 'visible', timeout });
  // wait for the shell's first prompt so keystrokes are not lost
  await expectPoll(async () => (await terminalText(page)).trim().length > 0, { timeout, what: 'a shell prompt' });
  return term;
}

/** Types a line into the active terminal (Enter by default). */
export async function typeInTerminal(page, text, { enter = true } = {}) {
  await page.locator('.part.panel .terminal-wrapper.active .xterm').first().click();
  await page.keyboard.type(text);
  if (enter) await page.keyboard.press('Enter');
}

/** Visible text of the active terminal (DOM renderer; see terminal.integrated.gpuAcceleration in USER_SETTINGS). */
export async function terminalText(page) {
  const text = await page.locator('.part.panel .terminal-wrapper.active .xterm-rows').first().innerText().catch(() => '');
  return text.replace(/\u00a0/g, ' ');
}

/** Waits until the active terminal shows text matching `re`; returns the match. */
export async function waitForTerminalText(page, re, { timeout = 30000 } = {}) {
  let m = null;
  await expectPoll(async () => { m = re.exec(await terminalText(page)); return !!m; }, { timeout, what: `terminal text ${re}`, detail: () => terminalText(page) });
  return m;
}

// ---- generic

/** Polls `fn` until truthy or times out with a helpful message. */
export async function expectPoll(fn, { timeout = 30000, interval = 200, what = 'condition', detail } = {}) {
  const t0 = Date.now();
  let lastErr;
  while (Date.now() - t0 < timeout) {
    try { if (await fn()) return; } catch (e) { lastErr = e; }
    await sleep(interval);
  }
  const d = detail ? `\n${await Promise.resolve(detail()).catch(() => '')}` : '';
  throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastErr ? ` (last error: ${lastErr.message})` : ''}${d}`);
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------- in-host runner

/**
 * Runs an in-extension-host test module (CommonJS exporting run(), the @vscode/test-electron contract) with
 * the full `vscode` API, by opening the workbench with the extensionTestsPath payload. The module writes its
 * JSON report to process.env.E2E_RESULT_FILE ({ results: [{ name, ok, ms, error? }], ... }); returns it.
 */
export async function runInHost({ testsPath, workspace, env = {}, timeout = 120000, name = 'inhost' } = {}) {
  const resultDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runboard-inhost-'));
  const resultFile = path.join(resultDir, 'result.json');
  clearResults(safeName(name));
  const server = await startCodeServer({ workspace, extensionTestsPath: testsPath, env: { ...env, E2E_RESULT_FILE: resultFile } });
  let browser;
  try {
    browser = await launchBrowser();
    await browser.page.goto(server.openUrl);
    const t0 = Date.now();
    while (!fs.existsSync(resultFile) && Date.now() - t0 < timeout) await sleep(250);
    if (!fs.existsSync(resultFile)) {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      await browser.page.screenshot({ path: path.join(RESULTS_DIR, `${name}.png`) }).catch(() => {});
      const tail = server.extHostLogTail(150);
      fs.writeFileSync(path.join(RESULTS_DIR, `${name}.log`), `${server.output()}\n--- remoteexthost.log\n${tail}\n`);
      throw new Error(`in-host tests wrote no result within ${timeout} ms. Extension host log tail:\n${tail}`);
    }
    // The file is written in one call, but be safe against reading it half-written.
    let report;
    await expectPoll(() => { report = JSON.parse(fs.readFileSync(resultFile, 'utf8')); return true; }, { timeout: 5000, what: 'a complete result file' });
    report.extHostLogTail = () => server.extHostLogTail(150);
    return report;
  } finally {
    if (browser) await browser.close();
    await server.stop();
    fs.rmSync(resultDir, { recursive: true, force: true });
  }
}
