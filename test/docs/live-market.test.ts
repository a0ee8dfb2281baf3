/**
 * The live pages of the docs site in Chromium (playwright-core), against a live demo market (the
 * market maker running): the landing page's status panel follows GET /v1/status; the market page
 * renders the book, trades, depth and candles from the public WebSocket API and keeps them
 * updating; with a key pasted in (HMAC or Ed25519) it shows the account, and an order placed and
 * canceled on the page is what REST reports. Screenshots go to artifacts/screenshots/.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, saveScreenshot, type Browser } from '../helpers/chromium.js';
import { eventually } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch, type Credentials } from '../helpers/signing.js';
import { addDecimal, subtractDecimal } from '../../web/decimal.js';

const WAIT = { timeout: 60_000 };

let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  svc = await startTestService({ demoBot: true, config: { mode: 'demo' } });
  browser = await launchChromium(svc.baseUrl);
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
});

const cells = (page: Page, selector: string) => page.$$eval(selector, (rows) => rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
const restOrder = async (creds: Credentials, orderId: string) => (await signedFetch(svc.baseUrl, creds, 'GET', `/v1/orders/${orderId}`)).body as { orderId: string; clientOrderId: string; status: string; price: string; side: string };

/** The order id from the ticket's confirmation ("Order 42 (web-…): new."). */
async function placedOrderId(page: Page, before: string): Promise<string> {
  const text = await eventually(async () => {
    const t = (await page.textContent('#order-result')) ?? '';
    // The account line says why, if the page was signed out meanwhile (a failed reconnect).
    const account = `account: ${(await page.textContent('#account-status')) ?? ''}`;
    expect(t, account).not.toBe(before);
    expect(t, account).toMatch(/^Order \d+ \(web-/);
    return t;
  }, { timeoutMs: WAIT.timeout, intervalMs: 100 });
  return /^Order (\d+)/.exec(text)![1]!;
}

async function connectKey(page: Page, keyId: string, secret: string): Promise<void> {
  await page.fill('#key-id', keyId);
  await page.fill('#secret', secret);
  await page.click('#credentials button[type=submit]');
  await page.waitForSelector('#account:not([hidden])', WAIT);
  await page.waitForSelector('#balances-body tr', WAIT);
}

describe('the landing page', () => {
  it('shows GET /v1/status live: the venue and each instrument, and follows a change', async () => {
    const page = await browser.open('/docs');
    await page.waitForSelector('#venue-status[data-status="normal"]', WAIT);
    await expect(page.textContent('#venue-mode')).resolves.toBe('demo');
    const expected = svc.bus.core.instruments().map((i) => [i.symbol, i.status]).sort();
    await expect(cells(page, '#instrument-status-body tr')).resolves.toEqual(expected);
    await saveScreenshot(page, 'docs-landing');

    // An operator halts one instrument: the panel shows it on its next refresh, without a reload.
    expect((await svc.asOperator('PATCH', '/v1/operator/instruments/ETH-BTC', { body: { status: 'halted' } })).status).toBe(200);
    await page.waitForSelector('#instrument-status-body tr[data-symbol="ETH-BTC"] td[data-status="halted"]', WAIT);
    await expect(page.textContent('#venue-status')).resolves.toBe('normal');
    expect((await svc.asOperator('PATCH', '/v1/operator/instruments/ETH-BTC', { body: { status: 'open' } })).status).toBe(200);
    await page.waitForSelector('#instrument-status-body tr[data-symbol="ETH-BTC"] td[data-status="open"]', WAIT);
    await page.close();
  });
});

describe('the live market page', () => {
  let page: Page;
  const demo = () => JSON.parse(readFileSync(join(svc.dataDir, 'demo-credentials.json'), 'utf8')) as { keyId: string; secret: string };

  it('renders the book, depth, candles and trades from the WebSocket API, and keeps them live', async () => {
    page = await browser.open('/docs/market');
    await page.waitForSelector('#connection[data-state="open"]', WAIT);
    await page.waitForSelector('#book-status[data-synced="true"]', WAIT);
    await page.waitForSelector('#book-bids tr', WAIT);
    await page.waitForSelector('#book-asks tr', WAIT);
    const bids = (await cells(page, '#book-bids tr')).map(([p]) => Number(p));
    const asks = (await cells(page, '#book-asks tr')).map(([p]) => Number(p));
    // Asks are listed worst first, down to the best; bids best first: prices fall down the table.
    expect([...asks, ...bids]).toEqual([...asks, ...bids].sort((a, b) => b - a));
    expect(Math.min(...asks)).toBeGreaterThan(Math.max(...bids));
    await expect(page.getAttribute('#depth-chart path.depth-bids', 'd')).resolves.toMatch(/^M[\d.]+,[\d.]+ L/);
    await expect(page.getAttribute('#depth-chart path.depth-asks', 'd')).resolves.toMatch(/^M[\d.]+,[\d.]+ L/);

    // A trade of our own: the page lists it, by its trade id, and the candle chart has a candle.
    const taker = await svc.createTrader('page-taker');
    const bought = await signedFetch(svc.baseUrl, taker, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side: 'buy', type: 'market', quantity: '0.001', timeInForce: 'IOC' } });
    expect(bought.status).toBe(201);
    const tradeId = (bought.body.fills as { tradeId: number }[])[0]!.tradeId;
    await page.waitForSelector(`#trades-body tr[data-trade-id="${tradeId}"]`, WAIT);
    await page.waitForSelector('#candle-chart g.candle rect.body', WAIT);
    await eventually(async () => expect(await page.textContent('#ticker-last')).toMatch(/^\d/), { timeoutMs: 30_000, intervalMs: 100 });

    // The market maker keeps requoting: the local book moves on, every frame checksum-verified.
    const seq = Number(await page.getAttribute('#book-status', 'data-book-seq'));
    await eventually(async () => {
      expect(Number(await page.getAttribute('#book-status', 'data-book-seq'))).toBeGreaterThan(seq);
      expect(await page.getAttribute('#book-status', 'data-synced')).toBe('true');
    }, { timeoutMs: 60_000, intervalMs: 100 });
    await expect(page.textContent('#book-status')).resolves.toMatch(/checksum verified \d+ times/);
  });

  it('shows the account of a pasted demo key; an order placed on the page is seen over REST, and canceled from it', async () => {
    const creds = demo();
    await connectKey(page, creds.keyId, creds.secret);
    const balances = Object.fromEntries((await cells(page, '#balances-body tr')).map(([asset, total]) => [asset, total]));
    const rest = (await signedFetch(svc.baseUrl, creds, 'GET', '/v1/balances')).body.data as { asset: string; total: string }[];
    expect(balances).toEqual(Object.fromEntries(rest.map((b) => [b.asset, b.total])));

    // A resting buy 5 USD under the lowest bid on show: on the tick grid, inside the price band,
    // and below what the market maker's taker reaches.
    const price = subtractDecimal((await cells(page, '#book-bids tr')).at(-1)![0]!, '5');
    await page.selectOption('#order-side', 'buy');
    await page.fill('#order-price', price);
    await page.fill('#order-quantity', '0.01');
    await page.click('#order-form button[type=submit]');
    const orderId = await placedOrderId(page, '');
    const placed = await restOrder(creds, orderId);
    expect(placed).toMatchObject({ orderId, side: 'buy', price, status: 'new' });
    expect(placed.clientOrderId).toMatch(/^web-/);
    await page.waitForSelector(`#orders-body tr[data-order-id="${orderId}"]`, WAIT);
    await saveScreenshot(page, 'live-market');

    await page.click(`#orders-body tr[data-order-id="${orderId}"] button.cancel`);
    await page.waitForSelector(`#orders-body tr[data-order-id="${orderId}"]`, { state: 'detached', ...WAIT });
    await expect(restOrder(creds, orderId)).resolves.toMatchObject({ status: 'canceled' });
  });

  it('a market order placed on the page fills: the fill is listed, as REST lists it', async () => {
    const creds = demo();
    const before = (await page.textContent('#order-result')) ?? '';
    await page.selectOption('#order-type', 'market');
    await page.selectOption('#order-side', 'buy');
    await page.fill('#order-quantity', '0.001');
    await page.click('#order-form button[type=submit]');
    const orderId = await placedOrderId(page, before);
    await page.waitForSelector(`#fills-body tr[data-order-id="${orderId}"]`, WAIT);
    const fills = (await signedFetch(svc.baseUrl, creds, 'GET', '/v1/fills?limit=20')).body.data as { orderId: string }[];
    expect(fills.map((f) => f.orderId)).toContain(orderId);
    await page.selectOption('#order-type', 'limit');
  });

  it('says why it refuses: a bad order gets the problem\'s code, a wrong secret AUTH_INVALID', async () => {
    const before = (await page.textContent('#order-result')) ?? '';
    const logged = browser.consoleErrors.length;
    await page.fill('#order-price', '1.001');
    await page.fill('#order-quantity', '0.01');
    await page.click('#order-form button[type=submit]');
    await eventually(async () => expect(await page.textContent('#order-result')).toMatch(/^Refused: 400 PRICE_OFF_TICK/), { timeoutMs: 30_000, intervalMs: 100 });
    expect(before).not.toMatch(/^Refused/);
    // Chromium logs every error status a script's fetch gets: this one was asked for.
    await eventually(() => expect(browser.consoleErrors.slice(logged).map((e) => e.text)).toEqual([expect.stringContaining('status of 400')]), { timeoutMs: 30_000, intervalMs: 100 });
    browser.consoleErrors.splice(logged);
    // A refusal of an order another client placed for the account arrives on the orders channel.
    const elsewhere = await signedFetch(svc.baseUrl, demo(), 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '1.001', quantity: '0.01', clientOrderId: 'other-client-1' } });
    expect(elsewhere.body.code).toBe('PRICE_OFF_TICK');
    await eventually(async () => expect(await page.textContent('#order-event')).toMatch(/other-client-1 from another client was rejected: PRICE_OFF_TICK/), { timeoutMs: 30_000, intervalMs: 100 });

    const other = await browser.open('/docs/market');
    await other.waitForSelector('#connection[data-state="open"]', WAIT);
    await other.fill('#key-id', demo().keyId);
    await other.fill('#secret', 'A'.repeat(43));
    await other.click('#credentials button[type=submit]');
    await eventually(async () => expect(await other.textContent('#account-status')).toMatch(/^Cannot sign in: AUTH_INVALID/), { timeoutMs: 30_000, intervalMs: 100 });
    expect(await other.isHidden('#account')).toBe(true);
    await other.close();
  });

  it('signs with an Ed25519 key too, and creates a demo account of its own', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const trader = await svc.createTrader('page-ed25519', undefined, ['read', 'trade'], { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const edPage = await browser.open('/docs/market?symbol=ETH-USD');
    await edPage.waitForSelector('#book-status[data-synced="true"]', WAIT);
    await connectKey(edPage, trader.keyId, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    await expect(edPage.textContent('#account-status')).resolves.toContain('Ed25519');
    const price = addDecimal((await cells(edPage, '#book-asks tr'))[0]![0]!, '5'); // above the highest ask on show
    await edPage.selectOption('#order-side', 'sell');
    await edPage.fill('#order-price', price);
    await edPage.fill('#order-quantity', '0.01');
    await edPage.click('#order-form button[type=submit]');
    const orderId = await placedOrderId(edPage, '');
    await expect(restOrder({ keyId: trader.keyId, privateKey }, orderId)).resolves.toMatchObject({ orderId, side: 'sell', price, status: 'new' });

    const fresh = await browser.open('/docs/market');
    await fresh.click('#create-demo');
    await eventually(async () => expect(await fresh.inputValue('#key-id')).toMatch(/^ak_/), { timeoutMs: 30_000, intervalMs: 100 });
    await fresh.click('#credentials button[type=submit]');
    await fresh.waitForSelector('#account:not([hidden])', WAIT);
    await fresh.waitForSelector('#balances-body tr', WAIT);
    expect(Object.fromEntries((await cells(fresh, '#balances-body tr')).map(([asset, total]) => [asset, total]))).toMatchObject({ USD: '100000' });
    await edPage.close();
    await fresh.close();
  });

  it('reconnects when the server closes its connection: the market resumes, a revoked key is signed out', async () => {
    const trader = await svc.createTrader('page-revoked');
    const revokable = await browser.open('/docs/market');
    await revokable.waitForSelector('#connection[data-state="open"]', WAIT);
    // Another instrument, chosen on the page: the book, ticket and address follow it (ETH-BTC trades below 1).
    await revokable.waitForSelector('#symbol option[value="ETH-BTC"]', { state: 'attached', ...WAIT });
    await revokable.selectOption('#symbol', 'ETH-BTC');
    const ethBtcBook = async () => {
      expect(await revokable.getAttribute('#book-status', 'data-synced')).toBe('true');
      const prices = [...(await cells(revokable, '#book-bids tr')), ...(await cells(revokable, '#book-asks tr'))].map(([p]) => Number(p));
      expect(prices.length).toBeGreaterThan(0);
      expect(Math.max(...prices)).toBeLessThan(1);
    };
    await eventually(ethBtcBook, { timeoutMs: 60_000, intervalMs: 100 });
    expect(new URL(revokable.url()).searchParams.get('symbol')).toBe('ETH-BTC');
    await expect(revokable.inputValue('#order-symbol')).resolves.toBe('ETH-BTC');
    await connectKey(revokable, trader.keyId, trader.secret);
    const drops = async () => Number((await revokable.getAttribute('#connection', 'data-drops')) ?? '0');
    const dropsBefore = await drops();
    // Revoking the key closes its logged-in connection at once (close code 4001). The page counts
    // the drop: its "reconnecting…" state lasts only until the retry, which a loaded machine's
    // browser may not get to render before it ends.
    expect((await signedFetch(svc.baseUrl, trader, 'DELETE', `/v1/api-keys/${trader.keyId}`)).status).toBe(200);
    await eventually(async () => {
      expect(await drops()).toBeGreaterThan(dropsBefore);
      expect(await revokable.getAttribute('#connection', 'data-close-code')).toBe('4001');
    }, { timeoutMs: WAIT.timeout, intervalMs: 100 });
    await revokable.waitForSelector('#connection[data-state="open"]', WAIT);
    await eventually(async () => expect(await revokable.textContent('#account-status')).toMatch(/^Signed out: AUTH_INVALID/), { timeoutMs: 30_000, intervalMs: 100 });
    expect(await revokable.isHidden('#account')).toBe(true);
    // A fresh snapshot of the chosen instrument after the reconnect, then live updates on top of it.
    await eventually(ethBtcBook, { timeoutMs: 60_000, intervalMs: 100 });
    const seq = Number(await revokable.getAttribute('#book-status', 'data-book-seq'));
    await eventually(async () => expect(Number(await revokable.getAttribute('#book-status', 'data-book-seq'))).toBeGreaterThan(seq), { timeoutMs: 60_000, intervalMs: 100 });
    await revokable.close();
  });

  it('loaded nothing from outside the service, and logged no error', async () => {
    await page.close();
    expect(browser.external).toEqual([]);
    expect(browser.consoleErrors).toEqual([]);
  });
});
