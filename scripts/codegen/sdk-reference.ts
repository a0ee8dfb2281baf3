/**
 * The TypeScript SDK's API reference, rendered by TypeDoc from sdk/src/index.ts (the package's
 * public surface) into generated/docs/sdk/, which the server serves at /docs/sdk/.
 *
 * The contract's generated types (`paths`, `operations`, `components`) are left out: the REST
 * reference documents them, and rendered by TypeDoc they weigh 40 MB. Syntax colouring is
 * removed from code blocks, because TypeDoc's highlighter assigns its colour classes in a
 * different order from run to run, and CI requires generated/ to be the same on every run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SDK_REFERENCE_DIR = 'generated/docs/sdk';

/** Code blocks in one colour pair for light and dark themes, replacing TypeDoc's per-run classes. */
const PLAIN_HIGHLIGHT_CSS = `:root {
    --light-code-background: #FFFFFF;
    --dark-code-background: #1E1E1E;
}
@media (prefers-color-scheme: light) { :root { --code-background: var(--light-code-background); } }
@media (prefers-color-scheme: dark) { :root { --code-background: var(--dark-code-background); } }
:root[data-theme='light'] { --code-background: var(--light-code-background); }
:root[data-theme='dark'] { --code-background: var(--dark-code-background); }
pre, code, math[display='block'] { background: var(--code-background); }
`;

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return name.endsWith('.html') ? [path] : [];
  });
}

export function writeSdkReference(root: string): void {
  const out = join(root, SDK_REFERENCE_DIR);
  const typedoc = join(root, 'node_modules/.bin/typedoc');
  if (!existsSync(typedoc)) {
    // A checkout whose node_modules predates the typedoc devDependency: keep the committed
    // reference rather than delete it. CI (npm ci) always has TypeDoc, and refuses to go without.
    if (process.env.CI) throw new Error('typedoc is not installed: run npm ci');
    console.warn(`warning: ${typedoc} is missing (run npm install); ${SDK_REFERENCE_DIR} was left as it is`);
    return;
  }
  rmSync(out, { recursive: true, force: true });
  execFileSync(
    typedoc,
    [
      '--entryPoints', 'sdk/src/index.ts',
      '--tsconfig', 'sdk/tsconfig.build.json',
      '--readme', 'sdk/README.md',
      '--name', '@trading-api/sdk',
      '--out', SDK_REFERENCE_DIR,
      '--excludePrivate',
      '--externalPattern', '**/generated/openapi.ts',
      '--excludeExternals',
      // No links to a source host or a commit: the pages must not change with the checkout.
      '--disableSources', '--disableGit', '--githubPages', 'false',
      '--logLevel', 'Error',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (const file of htmlFiles(out)) {
    const html = readFileSync(file, 'utf8');
    writeFileSync(file, html.replace(/<span class="hl-\d+">([^<]*)<\/span>/g, '$1'));
  }
  writeFileSync(join(out, 'assets/highlight.css'), PLAIN_HIGHLIGHT_CSS);
}
