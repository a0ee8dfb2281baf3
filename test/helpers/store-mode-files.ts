/**
 * The test files whose behaviour depends on the store mode (TEST_STORES): those that reach, through
 * their relative imports, the helpers that start services on the run's stores. `npm run
 * test:external` runs only these; every other file does the same work in both modes, and the
 * embedded run (`npm test`) covers it. Imports are read from the source text (static `import`/
 * `export ... from` and dynamic `import('...')`), as TypeScript's own pre-processor finds them: not in
 * comments or strings.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** The helpers that hand a service the run's stores: a file reaching one depends on the mode. */
export const STORE_MODE_HELPERS = ['test/helpers/service.ts', 'test/helpers/test-stores.ts'];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** A relative import's file: the suite imports `.js` names of `.ts` sources. */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Test files under `root/test` (paths relative to root) that depend on the store mode, sorted. */
export function storeModeTestFiles(root: string): string[] {
  const helpers = new Set(STORE_MODE_HELPERS.map((p) => resolve(root, p)));
  const reaches = new Map<string, boolean>();
  const visit = (file: string, path: Set<string>): boolean => {
    if (helpers.has(file)) return true;
    const known = reaches.get(file);
    if (known !== undefined) return known;
    if (path.has(file)) return false; // an import cycle: decided where it started
    path.add(file);
    let found = false;
    const imports = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles;
    for (const { fileName } of imports) {
      if (!fileName.startsWith('.')) continue;
      const target = resolveImport(file, fileName);
      // The suite reaches the server's sources too, but they never import test helpers.
      if (target && target.startsWith(resolve(root, 'test')) && visit(target, path)) { found = true; break; }
    }
    path.delete(file);
    reaches.set(file, found);
    return found;
  };
  return testFiles(resolve(root, 'test')).filter((file) => visit(file, new Set())).map((file) => relative(root, file)).sort();
}
