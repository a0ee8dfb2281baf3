/**
 * Debian's Chromium driven by playwright-core, for the tests of the pages the service serves:
 * headless, a fresh profile each launch, no background traffic, and every request to another
 * origin aborted (as on a machine with no internet) and recorded. Without Chromium the caller's
 * test fails: it never skips.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where CI collects the screenshots (git-ignored). */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../artifacts/screenshots');

export interface Browser {
  context: BrowserContext;
  /** Requests a page tried to send anywhere but the service. */
  external: { url: string; type: string; page: string }[];
  /** Console errors and uncaught exceptions of every page opened with `open`. */
  consoleErrors: { text: string; page: string }[];
  /** Opens a page of the service and checks it answered 200. */
  open(path: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(baseUrl: string, viewport = { width: 1280, height: 900 }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does.`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
  const origin = new URL(baseUrl).origin;
  const external: Browser['external'] = [];
  const consoleErrors: Browser['consoleErrors'] = [];
  await context.route('**/*', async (route) => {
    const request = route.request();
    const url = request.url();
    if (url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    external.push({ url, type: request.resourceType(), page: request.frame().url() });
    return route.abort('internetdisconnected');
  });
  return {
    context,
    external,
    consoleErrors,
    async open(path) {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push({ text: m.text(), page: page.url() });
      });
      page.on('pageerror', (err) => consoleErrors.push({ text: err.message, page: page.url() }));
      page.setDefaultTimeout(60_000); // a bound for a page that never answers; Chromium is slow with every core busy
      const response = await page.goto(baseUrl + path, { waitUntil: 'load' });
      if (response?.status() !== 200) throw new Error(`${path}: HTTP ${response?.status()}`);
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as artifacts/screenshots/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
