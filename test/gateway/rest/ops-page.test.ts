/**
 * The operator status page (/ops) in a real browser: Debian's Chromium, driven by playwright-core,
 * against a live service. The operator signs in with an operator key; the page then shows the
 * health checks, the journal and history positions, the live FIX and WebSocket sessions and the
 * most recent rejects. Without Chromium this test fails: it never skips.
 */
import { createHmac } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../../helpers/chromium.js';
import { fixLogonPrehash } from '../../../server/src/auth/canonical.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { FixClient } from '../fix/harness.js';
import { startTestService, type TestService } from '../../helpers/service.js';
import { signedFetch } from '../../helpers/signing.js';

let svc: TestService;
let browser: Browser;
let page: Page;
let fix: FixClient;

beforeAll(async () => {
  svc = await startTestService();
  browser = await launchChromium(svc.baseUrl);
  page = await browser.context.newPage();
});

afterAll(async () => {
  fix?.close();
  await browser?.close();
  await svc?.stop();
});

describe('the operator status page', () => {
  it('is only a shell without an operator key: the status needs operator authentication', async () => {
    const res = await fetch(`${svc.baseUrl}/v1/operator/status`);
    expect(res.status).toBe(401);
    const trader = await svc.createTrader('ops-nobody');
    expect((await signedFetch(svc.baseUrl, trader, 'GET', '/v1/operator/status')).status).toBe(403);
  });

  it('shows health, journal and history lag, sessions and recent rejects once an operator signs in', async () => {
    const trader = await svc.createTrader('ops-alice', undefined, ['read', 'trade'], { fixSenderCompId: 'OPSDESK' });
    const rejected = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20000.001', quantity: '0.1' } });
    expect(rejected.body.code).toBe('PRICE_OFF_TICK');
    fix = await FixClient.connect(svc.fixPort!, 'OPSDESK', 'EXCHANGE');
    const sendingTime = formatUtcTimestamp(Date.now());
    const signature = createHmac('sha256', Buffer.from(trader.secret, 'base64url'))
      .update(fixLogonPrehash({ sendingTime, msgType: 'A', msgSeqNum: 1, senderCompId: 'OPSDESK', targetCompId: 'EXCHANGE' })).digest('base64');
    fix.send('A', [[98, '0'], [108, '30'], [553, trader.keyId], [554, signature]], { sendingTime });
    await fix.next('A');

    await page.goto(`${svc.baseUrl}/ops`);
    await page.fill('#key-id', svc.operator.keyId);
    await page.fill('#secret', svc.operator.secret);
    await page.click('button[type=submit]');
    await page.waitForSelector('#status:not([hidden])', { timeout: 60_000 });

    expect(await page.textContent('#ready')).toBe('ready');
    const checks = await page.$$eval('#checks tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(checks).toEqual(expect.arrayContaining([['journal', 'ok', ''], ['shutdown', 'ok', '']]));
    const journal = Object.fromEntries(await page.$$eval('#journal tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))) as [string, string][]);
    expect(Number(journal.durableIndex)).toBeGreaterThan(0);
    expect(journal).toHaveProperty('historyLagRecords');
    expect(await page.$$eval('#fix-sessions tbody tr', (trs) => trs.map((tr) => tr.textContent))).toContain('OPSDESKyes');
    const rejects = await page.$$eval('#rejects tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)));
    expect(rejects).toContainEqual(['rest', 'PlaceOrder', 'PRICE_OFF_TICK', 'ops-alice']);
    expect(await page.isHidden('#error')).toBe(true);
  });

  it('says so when the key is not an operator key', async () => {
    const trader = await svc.createTrader('ops-bob');
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${svc.baseUrl}/ops`);
    await page.fill('#key-id', trader.keyId);
    await page.fill('#secret', trader.secret);
    await page.click('button[type=submit]');
    await page.waitForSelector('#error:not([hidden])', { timeout: 60_000 });
    expect(await page.textContent('#error')).toContain('AUTH_SCOPE_MISSING');
  });
});
