/**
 * The TypeScript SDK's API reference (TypeDoc, generated/docs/sdk/) as the service serves it at
 * /docs/sdk/: over HTTP, a page for each class the package exports, with the methods the SDK
 * guide names; in Debian's Chromium, rendered with its own scripts under the page's policy,
 * with no console error (a blocked script is one) and no request to another origin.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, saveScreenshot, type Browser } from '../helpers/chromium.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The classes sdk/src/index.ts exports (`export { A, B } from ...` lines). */
function exportedClasses(): string[] {
  const index = readFileSync(join(ROOT, 'sdk/src/index.ts'), 'utf8');
  const names = [...index.matchAll(/^export \{([^}]*)\} from/gm)].flatMap((m) => m[1]!.split(',').map((n) => n.trim()).filter(Boolean));
  return names.filter((n) => /^[A-Z][a-z]/.test(n) && !/^[A-Z_]+$/.test(n));
}

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.stop();
});

describe('/docs/sdk/', () => {
  it('redirects /docs/sdk to the reference under its trailing slash', async () => {
    const res = await fetch(`${svc.baseUrl}/docs/sdk`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/docs/sdk/');
  });

  it('serves the index with its policy, and a page for each class the SDK exports', async () => {
    const res = await fetch(`${svc.baseUrl}/docs/sdk/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/script-src[^;]*unsafe-inline/);
    const classes = exportedClasses();
    expect(classes).toEqual(expect.arrayContaining(['RestClient', 'WsClient', 'LocalOrderBook', 'ApiError']));
    for (const name of classes) {
      const page = await fetch(`${svc.baseUrl}/docs/sdk/classes/${name}.html`);
      expect(page.status, name).toBe(200);
    }
    const rest = await (await fetch(`${svc.baseUrl}/docs/sdk/classes/RestClient.html`)).text();
    for (const method of ['placeOrder', 'cancelOrder', 'iterateFills', 'calibrateClock']) expect(rest, method).toContain(method);
  });

  it('answers 404 for a page that does not exist', async () => {
    expect((await fetch(`${svc.baseUrl}/docs/sdk/classes/NoSuchClass.html`)).status).toBe(404);
  });
});

describe('/docs/sdk/ in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium(svc.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the reference with its scripts, with no console error and nothing fetched from elsewhere', async () => {
    const page = await browser.open('/docs/sdk/classes/RestClient.html');
    await page.locator('h1', { hasText: 'RestClient' }).waitFor();
    // TypeDoc's script shows the page once it has run (it hides the body until then).
    await page.waitForFunction(() => (globalThis as unknown as { document: { body: { style: { display: string } } } }).document.body.style.display !== 'none');
    // Its navigation script filled the sidebar from assets/navigation.js.
    await page.locator('.tsd-navigation a', { hasText: 'WsClient' }).first().waitFor();
    await saveScreenshot(page, 'sdk-reference');
    expect(browser.consoleErrors).toEqual([]);
    expect(browser.external).toEqual([]);
  });
});
