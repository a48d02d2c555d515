// Puts the pinned debugpy (the debug adapter the Python Debugger extension bundles) in .debugpy/, apart from
// the shared .venv: the launcher's debug tests run its adapter the way VS Code does, and it injects itself
// into the debuggee, so the interpreter under test needs no debugpy of its own. Idempotent (stamp file).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const target = join(root, '.debugpy');
const requirements = join(root, 'test/debugpy/requirements.txt');
const stamp = join(target, '.runboard-requirements-sha256');
const python = join(root, '.venv', 'bin', 'python');

const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) process.exit(0);
console.log(`Installing the pinned debugpy into ${target}...`);
rmSync(target, { recursive: true, force: true });
execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', target, '-r', requirements], { stdio: 'inherit' });
writeFileSync(stamp, wanted + '\n');
