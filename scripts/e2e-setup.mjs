#!/usr/bin/env node
// Makes the e2e tools available (test/e2e): Debian's chromium, and code-server 4.100.3 + playwright-core +
// @vscode/vsce installed from test/e2e/package-lock.json. Idempotent: a second run only checks and exits.
//
//   node scripts/e2e-setup.mjs            (env: CHROMIUM_BIN to use another chromium)
//
// Snags handled (see test/e2e/README.md):
// - code-server's postinstall refuses root unless npm_config_unsafe_perm=true; node-pty's postinstall runs
//   `npx node-gyp`, which needs npm_config_yes=true without a TTY.
// - @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable here): its download cache is pre-seeded
//   with a tarball of Debian's rg.
// - code-server's native modules (kerberos) build against libkrb5-dev.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const E2E = path.join(ROOT, 'test', 'e2e');
const NM = path.join(E2E, 'node_modules');
const STAMP = path.join(NM, '.runboard-e2e-stamp');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const CODE_SERVER = path.join(NM, '.bin', 'code-server');
const VSCODE_NM = path.join(NM, 'code-server', 'lib', 'vscode', 'node_modules');
// @vscode/ripgrep as pinned by code-server 4.100.3: its cache folder and asset name depend on these.
const RIPGREP_PKG_VERSION = '1.15.11';
const RIPGREP_VERSION = 'v13.0.0-10';
const RG_TARGET = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[process.arch];

const t0 = Date.now();
const timings = [];
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
function step(name, fn) {
  const t = Date.now();
  console.log(`[e2e-setup] ${name}...`);
  const r = fn();
  timings.push([name, Date.now() - t]);
  return r;
}
function die(msg) {
  console.error(`\n[e2e-setup] ERROR: ${msg}\n`);
  process.exit(1);
}
function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) die(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal}${r.error ? ', ' + r.error.message : ''})`);
}
const isFile = (p) => { try { return fs.statSync(p).isFile(); } catch { return false; } };

// ---------- 1. what is already there ----------
const lockFile = path.join(E2E, 'package-lock.json');
const hasLock = isFile(lockFile);
const wantStamp = createHash('sha256')
  .update(fs.readFileSync(path.join(E2E, 'package.json')))
  .update(hasLock ? fs.readFileSync(lockFile) : '')
  .update(`${process.version} ${process.platform} ${process.arch}`)
  .digest('hex');
const haveStamp = isFile(STAMP) ? fs.readFileSync(STAMP, 'utf8').trim() : '';
const needNpm = haveStamp !== wantStamp || !fs.existsSync(CODE_SERVER);

// ---------- 2. system packages (Debian) ----------
const aptWanted = [];
if (!fs.existsSync(CHROMIUM)) aptWanted.push('chromium');
if (needNpm) {
  if (!onPath('rg')) aptWanted.push('ripgrep');
  if (!onPath('krb5-config')) aptWanted.push('libkrb5-dev');
  if (!onPath('make') || !onPath('g++')) aptWanted.push('build-essential');
  if (!onPath('python3')) aptWanted.push('python3');
}
if (aptWanted.length) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    die(`missing system packages: ${aptWanted.join(' ')}` +
      (fs.existsSync(CHROMIUM) ? '' : ` (no chromium at ${CHROMIUM}; set CHROMIUM_BIN to use another one)`) +
      `.\nInstall them, e.g. on Debian/Ubuntu:\n  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${aptWanted.join(' ')}`);
  }
  step('apt-get update', () => sh('apt-get', ['update', '-q']));
  step(`apt-get install ${aptWanted.join(' ')}`, () => sh('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...aptWanted],
    { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }));
  // --no-install-recommends keeps it small; chromium still pulls in its fonts and libraries as Depends.
}
if (!fs.existsSync(CHROMIUM)) die(`chromium not found at ${CHROMIUM} even after installing; set CHROMIUM_BIN.`);

// ---------- 3. node tools in test/e2e ----------
if (needNpm) {
  if (!hasLock && process.env.CI === 'true') die('test/e2e/package-lock.json is missing: run `node scripts/e2e-setup.mjs` locally and commit it.');
  if (!RG_TARGET) die(`no @vscode/ripgrep asset known for arch ${process.arch}`);
  step('seed @vscode/ripgrep download cache with Debian rg', () => {
    const cache = path.join(os.tmpdir(), `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
    const tarball = path.join(cache, `ripgrep-${RIPGREP_VERSION}-${RG_TARGET}.tar.gz`);
    if (isFile(tarball)) return;
    fs.mkdirSync(cache, { recursive: true });
    const rg = execFileSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).trim();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-seed-'));
    try {
      fs.copyFileSync(rg, path.join(tmp, 'rg'));
      fs.chmodSync(path.join(tmp, 'rg'), 0o755);
      sh('tar', ['czf', tarball + '.part', '-C', tmp, 'rg']);
      fs.renameSync(tarball + '.part', tarball);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  const env = { ...process.env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' };
  const npmArgs = ['--no-audit', '--no-fund'];
  step(hasLock ? 'npm ci (test/e2e)' : 'npm install (test/e2e, creates package-lock.json)', () =>
    sh('npm', [hasLock ? 'ci' : 'install', ...npmArgs], { cwd: E2E, env }));
  for (const f of [path.join(VSCODE_NM, '@vscode', 'ripgrep', 'bin', 'rg'), path.join(VSCODE_NM, 'node-pty', 'build', 'Release', 'pty.node')]) {
    if (!isFile(f)) die(`install incomplete: ${path.relative(ROOT, f)} is missing (see the npm output above)`);
  }
  const version = step('code-server --version', () => {
    // Own XDG dirs: otherwise code-server writes ~/.config/code-server/config.yaml and ~/.local/share/code-server.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-version-'));
    try {
      return execFileSync(CODE_SERVER, ['--version'], { encoding: 'utf8',
        env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_DATA_HOME: path.join(tmp, 'data') } });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  const versionLine = version.split('\n').find((l) => /^\d+\.\d+\.\d+ /.test(l));
  if (!versionLine) die(`code-server --version printed no version:\n${version}`);
  console.log(`[e2e-setup] code-server ${versionLine}`);
  // Recompute: `npm install` may just have written the lock file.
  const stamp = createHash('sha256')
    .update(fs.readFileSync(path.join(E2E, 'package.json')))
    .update(fs.readFileSync(lockFile))
    .update(`${process.version} ${process.platform} ${process.arch}`)
    .digest('hex');
  fs.writeFileSync(STAMP, stamp + '\n');
}

for (const [name, ms] of timings) console.log(`[e2e-setup]   ${secs(ms).padStart(7)}  ${name}`);
console.log(`[e2e-setup] ready in ${secs(Date.now() - t0)}${needNpm || aptWanted.length ? '' : ' (already set up)'}: chromium ${CHROMIUM}, code-server ${path.relative(ROOT, CODE_SERVER)}`);
