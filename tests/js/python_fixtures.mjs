// A Node test's fixtures, written by one of this folder's Python modules (`python -m tests.js.<module> OUT_DIR`, from
// the repository's root, the project's own interpreter unless PYTHON names another) and read back as JSON.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const PYTHON = process.env.PYTHON || join(ROOT, '.venv/bin/python');

export function pythonFixtures(module, file) {
  const folder = mkdtempSync(join(tmpdir(), 'dgm-js-'));
  try {
    execFileSync(PYTHON, ['-m', `tests.js.${module}`, folder], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    return JSON.parse(readFileSync(join(folder, file), 'utf8'));
  } finally { rmSync(folder, { recursive: true, force: true }); }
}
