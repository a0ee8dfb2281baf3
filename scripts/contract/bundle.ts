/** Bundles a (possibly multi-file) OpenAPI document into one JSON object with Redocly. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

export function bundleOpenApi(specFile: string): object {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  try {
    const out = join(dir, 'bundle.json');
    execFileSync(join(root, 'node_modules/.bin/redocly'), ['bundle', resolve(specFile), '-o', out], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    return JSON.parse(readFileSync(out, 'utf8')) as object;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
