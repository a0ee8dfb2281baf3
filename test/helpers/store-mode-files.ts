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

/** The suite's TypeScript files below `dir`: test files and the helpers they import. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
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

/**
 * Test files under `root/test` (paths relative to root) that depend on the store mode, sorted:
 * the files that reach a helper, found by walking the suite's imports backwards from the helpers,
 * so an import cycle needs no special case.
 */
export function storeModeTestFiles(root: string): string[] {
  const importers = new Map<string, string[]>();
  for (const file of sourceFiles(resolve(root, 'test'))) {
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolveImport(file, fileName);
      if (target) importers.set(target, [...(importers.get(target) ?? []), file]);
    }
  }
  const reaching = new Set(STORE_MODE_HELPERS.map((p) => resolve(root, p)));
  const queue = [...reaching];
  while (queue.length > 0) {
    for (const importer of importers.get(queue.pop()!) ?? []) {
      if (!reaching.has(importer)) {
        reaching.add(importer);
        queue.push(importer);
      }
    }
  }
  return [...reaching].filter((file) => file.endsWith('.test.ts')).map((file) => relative(root, file)).sort();
}
