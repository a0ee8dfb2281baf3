/**
 * Which test files the external-store run takes: those that reach the store-mode helpers through
 * their imports, however indirectly, and no others.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeModeTestFiles } from '../helpers/store-mode-files.js';

const root = mkdtempSync(join(tmpdir(), 'store-mode-files-'));
const write = (path: string, text: string): void => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

describe('storeModeTestFiles', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('takes the files that import a store-mode helper directly, through other modules, in cycles or dynamically', () => {
    write('test/helpers/service.ts', "import { x } from './test-stores.js';\nexport const startTestService = x;\n");
    write('test/helpers/test-stores.ts', 'export const x = 1;\n');
    write('test/helpers/harness.ts', "export { startTestService } from './service.js';\n");
    write('test/helpers/cycle-a.ts', "import './cycle-b.js';\nexport const a = 1;\n");
    write('test/helpers/cycle-b.ts', "import { a } from './cycle-a.js';\nimport { x } from './test-stores.js';\nexport const b = a + x;\n");
    // Reaches the helpers only through loop-x, which imports it back: whichever is read first.
    write('test/helpers/loop-x.ts', "import './loop-y.js';\nimport './service.js';\n");
    write('test/helpers/loop-y.ts', "import './loop-x.js';\n");
    write('test/helpers/plain.ts', "import { readFileSync } from 'node:fs';\nexport const plain = readFileSync;\n");
    write('test/rest/direct.test.ts', "import { startTestService } from '../helpers/service.js';\n");
    write('test/rest/through-harness.test.ts', "import {\n  startTestService,\n} from '../helpers/harness.js';\n");
    write('test/rest/cycle.test.ts', "import '../helpers/cycle-a.js';\n");
    write('test/rest/dynamic.test.ts', "const m = await import('../helpers/test-stores.js');\n");
    write('test/rest/a-loop-x.test.ts', "import '../helpers/loop-x.js';\n");
    write('test/rest/b-loop-y.test.ts', "import '../helpers/loop-y.js';\n");
    write('test/core/pure.test.ts', "import { plain } from '../helpers/plain.js';\nimport { createCore } from '../../server/src/core/index.js';\n");
    write('test/core/comment.test.ts', "// not an import: from '../helpers/service.js'\nexport {};\n");

    expect(storeModeTestFiles(root)).toEqual([
      'test/rest/a-loop-x.test.ts',
      'test/rest/b-loop-y.test.ts',
      'test/rest/cycle.test.ts',
      'test/rest/direct.test.ts',
      'test/rest/dynamic.test.ts',
      'test/rest/through-harness.test.ts',
    ]);
  });

  it('takes, in this suite, the shared factory\'s users and not the core\'s own tests', () => {
    const files = storeModeTestFiles(join(import.meta.dirname, '..', '..'));
    expect(files).toContain('test/process/lifecycle.test.ts');
    expect(files).toContain('test/process/test-stores-mode.test.ts');
    expect(files).toContain('test/gateway/rest/trading.test.ts');
    expect(files).not.toContain('test/core/matching.test.ts');
    expect(files).not.toContain('test/process/store-mode-files.test.ts');
  });
});
