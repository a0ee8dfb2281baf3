/**
 * The first things an integrator reads: the README names every integrator guide, the operations
 * guide names every metric the service exports, the REST reference's Markdown has no bare
 * `<placeholder>` that a browser would swallow as a tag, and the built reference calls no vendor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripVendorCalls, VENDOR_RESOURCE_HOSTS } from '../../scripts/codegen/redoc-offline.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

describe('README', () => {
  it('links the quickstart, the WebSocket guide and the SDK guide, and every local link exists', () => {
    const readme = read('README.md');
    for (const target of ['docs/quickstart.md', 'docs/websocket.md', 'sdk/README.md', 'sdk-python/README.md']) expect(readme, target).toContain(`](${target})`);
    for (const [, href] of readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(href!)) continue;
      expect(existsSync(join(ROOT, href!)), href).toBe(true);
    }
  });
});

describe('docs/operations.md', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('names every metric family /metrics exports (besides the process and Node.js defaults), LOG_LEVEL and the logs', async () => {
    const doc = read('docs/operations.md');
    const text = await (await fetch(`${svc.baseUrl}/metrics`)).text();
    const families = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!).filter((n) => !/^(process|nodejs)_/.test(n));
    expect(families.length).toBeGreaterThan(3);
    for (const name of families) expect(doc, name).toContain(`\`${name}\``);
    for (const word of ['LOG_LEVEL', 'DATA_DIR', 'PORT', '/metrics', '## Logs']) expect(doc, word).toContain(word);
  });
});

/** Markdown text outside code spans and fenced blocks. */
function prose(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
}

describe('the REST reference', () => {
  it('has no <placeholder> in descriptions outside code, where the page would drop it as an HTML tag', () => {
    const spec = read('generated/openapi.json');
    const offenders: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}/${i}`));
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'description' && typeof v === 'string' && /<[A-Za-z][^>]*>/.test(prose(v))) offenders.push(`${path}/description`);
          else walk(v, `${path}/${k}`);
        }
      }
    };
    walk(JSON.parse(spec), '');
    expect(offenders).toEqual([]);
    // The canonical string itself is in a fenced block, with its parts named.
    expect(JSON.parse(spec).info.description).toMatch(/```text\ntimestamp \+ "\\n" \+ METHOD/);
  });

  it('is built without the vendor logo and telemetry, and the build fails if Redoc moves them', () => {
    const html = read('generated/docs/rest.html');
    for (const host of VENDOR_RESOURCE_HOSTS) expect(html, host).not.toContain(host);
    expect(() => stripVendorCalls('<html>no redoc here</html>')).toThrow(/Redoc changed/);
  });
});
