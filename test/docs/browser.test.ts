/**
 * The hosted docs in a real browser: Debian's Chromium, driven by playwright-core, against a
 * live service. Every request to another origin is aborted, as on a machine with no internet,
 * and recorded. The landing page's screenshot is kept as a CI artifact
 * (artifacts/screenshots/docs-site.png). Without Chromium this test fails: it never skips.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, saveScreenshot, type Browser } from '../helpers/chromium.js';
import { eventually } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface SpecOperation { operationId: string; summary: string; method: string; tags: string[] }

function restOperations(): SpecOperation[] {
  const spec = JSON.parse(readFileSync(join(ROOT, 'generated/openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[] }>>;
  };
  return Object.values(spec.paths).flatMap((item) =>
    Object.entries(item).flatMap(([method, op]) => (op?.operationId ? [{ operationId: op.operationId, summary: op.summary ?? '', method: method.toUpperCase(), tags: op.tags ?? [] }] : [])),
  );
}

function wsOperationNames(): string[] {
  const doc = JSON.parse(readFileSync(join(ROOT, 'generated/asyncapi.json'), 'utf8')) as { operations: Record<string, unknown> };
  return Object.keys(doc.operations);
}

let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  svc = await startTestService();
  browser = await launchChromium(svc.baseUrl);
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

const open = (path: string): Promise<Page> => browser.open(path);

describe('the docs site in Chromium', () => {
  it('shows the landing page, with its stylesheet, and saves its screenshot', async () => {
    const page = await open('/docs');
    await expect(page.title()).resolves.toBe('Trading API docs');
    await page.locator('h1', { hasText: 'Trading API documentation' }).waitFor();
    // The self-served stylesheet applied: the header band is dark, not the browser's default.
    const band = await page.locator('header.top').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
    expect(band).toBe('rgb(13, 37, 56)');
    for (const name of ['Quickstart', 'REST reference', 'WebSocket reference', 'FIX 4.4']) {
      await expect(page.locator('a.card', { hasText: name }).count(), name).resolves.toBe(1);
    }
    // The operation index on the landing page names every operation of the contract.
    const listed = await page.locator('table.operations a code').allTextContents();
    expect(new Set(listed)).toEqual(new Set(restOperations().map((o) => o.operationId)));
    const screenshot = await saveScreenshot(page, 'docs-site');
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });

  it('follows the quickstart link from the landing page to a rendered guide, and on to another guide', async () => {
    const page = await open('/docs');
    await page.locator('a.card', { hasText: 'Quickstart' }).click();
    await page.waitForURL(`${svc.baseUrl}/docs/guides/quickstart`);
    await expect(page.locator('main h1').textContent()).resolves.toMatch(/^Quickstart/);
    await expect(page.locator('aside a[aria-current="page"]').textContent()).resolves.toBe('Quickstart');
    // The tested samples are on the page, as code, labelled as tested.
    await expect(page.locator('pre code.language-sh', { hasText: 'openssl dgst -sha256 -mac HMAC' }).count()).resolves.toBe(1);
    await expect(page.locator('pre code.language-python').count()).resolves.toBe(1);
    await expect(page.locator('p.sample-note').count()).resolves.toBeGreaterThanOrEqual(3);
    // A Markdown link to another guide (`authentication.md`) leads to that guide's page.
    await page.locator('main a', { hasText: 'Authentication' }).first().click();
    await page.waitForURL(`${svc.baseUrl}/docs/guides/authentication`);
    await expect(page.locator('main h1').textContent()).resolves.toMatch(/^Authentication/);
    await page.close();
  });

  it('the REST reference lists every operation of generated/openapi.json', async () => {
    const operations = restOperations();
    const page = await open('/docs/rest');
    const menuItem = '[data-component-name="Menu/MenuItem"]';
    await page.locator(menuItem).first().waitFor();
    // The sidebar shows one tag's operations at a time: open each tag and read its entries.
    const seen = new Map<string, string>();
    for (const tag of [...new Set(operations.flatMap((o) => o.tags))]) {
      await page.locator('[data-testid="menu-item-label"]', { hasText: new RegExp(`^${tag}$`) }).first().click();
      // Read only entries that are rendered: a collapsed tag's entries are still in the page, and
      // their innerText is the raw text (the method in lower case, without the badge's styling).
      // So read until every entry of the opened tag is rendered, however slowly it expands.
      const ids = operations.filter((o) => o.tags.includes(tag)).map((o) => o.operationId.toLowerCase());
      const entries = page.locator(`${menuItem} a[href^="#/"]`);
      const read = await eventually(async () => {
        const shown = await entries.evaluateAll((links) => links.filter((a) => a.checkVisibility())
          .map((a) => [a.getAttribute('href') ?? '', (a as HTMLElement).innerText.replace(/\s+/g, ' ').trim()] as const));
        const shownIds = new Set(shown.map(([href]) => href.split('/').pop()));
        expect(ids.filter((id) => !shownIds.has(id)), `entries of ${tag} not rendered yet`).toEqual([]);
        return shown;
      });
      for (const [href, text] of read) seen.set(href.split('/').pop()!, text);
    }
    // Redoc's links end in the operationId, lower-cased; each entry shows the summary and method.
    expect([...seen.keys()].sort()).toEqual(operations.map((o) => o.operationId.toLowerCase()).sort());
    for (const op of operations) {
      expect(seen.get(op.operationId.toLowerCase()), op.operationId).toContain(op.summary);
      expect(seen.get(op.operationId.toLowerCase()), op.operationId).toContain(op.method);
    }
    // The canonical string shows with its placeholders, not swallowed as HTML tags.
    await expect(page.locator('pre', { hasText: 'timestamp + "\\n" + METHOD + "\\n" + pathWithQuery' }).count()).resolves.toBeGreaterThan(0);
    // The landing page's links (`#operation/<operationId>`) open the operation, with its path.
    const placeOrder = operations.find((o) => o.operationId === 'placeOrder')!;
    await page.goto(`${svc.baseUrl}/docs/rest#operation/placeOrder`);
    const heading = page.locator('h2', { hasText: placeOrder.summary }).first();
    await heading.waitFor();
    const section = page.locator('[data-section-id$="/placeorder"]', { has: heading });
    await expect(section.innerText()).resolves.toMatch(/POST\s+\/v1\/orders/);
    await page.close();
  });

  it('the WebSocket reference renders every operation of the AsyncAPI document', async () => {
    const page = await open('/docs/websocket');
    await expect(page.locator('h1').first().textContent()).resolves.toMatch(/WebSocket/);
    const names = wsOperationNames();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      await expect(page.locator(`[id="operation-${name}"]`).isVisible(), name).resolves.toBe(true);
    }
    await page.close();
  });

  it('loaded nothing from outside the service, and no page logged an error', async () => {
    // The build cuts Redoc's logo and telemetry out (scripts/codegen/redoc-offline.ts): nothing is
    // even attempted, so the Content-Security-Policy has nothing to block and nothing is logged.
    const policy = (await fetch(`${svc.baseUrl}/docs/rest`)).headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/connect-src 'self'(;|$)/);
    expect(policy).toMatch(/img-src 'self' data:(;|$)/);
    expect(browser.external).toEqual([]);
    expect(browser.consoleErrors).toEqual([]);
  });
});
