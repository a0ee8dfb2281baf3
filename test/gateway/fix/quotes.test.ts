/**
 * OTC request for quote over FIX on a whole service: QuoteRequest answered with a firm Quote or a
 * QuoteRequestReject, the accept as a NewOrderSingle with OrdType D and QuoteID answered with
 * ExecutionReports, the decline as a QuoteResponse (pass) answered with a QuoteStatusReport, and
 * the firm's withdrawal (a dealer that went away, or the desk itself) as a QuoteCancel.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../server/src/config/schema.js';
import type { Field, FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { loadDictionary } from '../../../server/src/gateway/fix/dictionary.js';
import { formatUtcTimestamp, parseUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { Validator } from '../../../server/src/gateway/fix/validator.js';
import { startTestService, type TestService } from '../../helpers/service.js';
import { signedFetch, type HmacCredentials } from '../../helpers/signing.js';
import { WsTestClient, loginRequest } from '../ws/client.js';
import { FixClient, type TestKey } from './harness.js';
import { parse, SUBSET_DICTIONARY } from './helpers.js';

const WAIT = 30_000;
let svc: TestService;
let fix: FixClient;
let fund: HmacCredentials;
let n = 0;
const id = (prefix: string): string => `${prefix}-${++n}`;
const now = (): string => formatUtcTimestamp(Date.now());
const fields = (m: FixMessage, ...tags: number[]): Array<string | undefined> => tags.map((t) => m.get(t));

beforeAll(async () => {
  // A dealer gets a generous deadline: the test below answers at once, it never waits it out.
  svc = await startTestService({ config: { rfq: { ...DEFAULT_CONFIG.rfq, dealerDeadlineMs: 10_000, defaultTtlMs: 30_000 } } });
  const maker = await svc.createTrader('fix-mm');
  fund = await svc.createTrader('fix-fund', { USD: '100000', BTC: '1' });
  for (const [side, price] of [['sell', '25000'], ['buy', '24900']] as const) {
    const r = await signedFetch(svc.baseUrl, maker, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side, type: 'limit', price, quantity: '5' } });
    expect(r.status).toBe(201);
  }
  const key = await svc.asOperator('POST', '/v1/operator/accounts/fix-fund/api-keys', { body: { label: 'fix', scopes: ['read', 'trade'], fixSenderCompId: 'FUNDFIX' } });
  expect(key.status).toBe(201);
  const fixKey: TestKey = { keyId: key.body.key.keyId, secret: Buffer.from(key.body.secret, 'base64url'), accountId: 'fix-fund', senderCompId: 'FUNDFIX' };
  fix = await FixClient.connect(svc.fixPort!, 'FUNDFIX', 'EXCHANGE');
  fix.logon(fixKey);
  fix.seq = 2;
  expect((await fix.next(undefined, WAIT)).msgType).toBe('A');
});

afterAll(async () => {
  fix?.close();
  await svc?.stop();
});

/** A QuoteRequest for one instrument; no side asks for a two-way quote. */
function quoteRequest(quoteReqId: string, symbol: string, qty: string, side?: '1' | '2', extra: Field[] = []): Field[] {
  return [[131, quoteReqId], [146, '1'], [55, symbol], ...(side ? [[54, side] as Field] : []), [38, qty], ...extra];
}

function acceptOrder(clOrdId: string, quoteId: string, side: '1' | '2', extra: Field[] = [], symbol = 'BTC-USD'): Field[] {
  return [[11, clOrdId], [55, symbol], [54, side], [60, now()], ...extra, [40, 'D'], [117, quoteId]];
}

const balance = async (asset: string): Promise<string> =>
  ((await signedFetch(svc.baseUrl, fund, 'GET', '/v1/balances')).body.data as { asset: string; total: string }[]).find((b) => b.asset === asset)?.total ?? '0';

describe('OTC RFQ over FIX', () => {
  it('quotes two-way from the book, and a NewOrderSingle with OrdType D and QuoteID executes it at exactly the quote', async () => {
    fix.send('R', quoteRequest('qr-two', 'BTC-USD', '1'));
    const quote = await fix.next('S', WAIT);
    // The built-in pricer: the book's best prices, 10 bps away from the client.
    expect(fields(quote, 131, 537, 55, 54, 38, 1, 132, 133, 134, 135)).toEqual(['qr-two', '1', 'BTC-USD', undefined, '1', 'fix-fund', '24875.1', '25025', '1', '1']);
    const quoteId = quote.get(117)!;
    expect(quoteId).toMatch(/^\d+$/);
    // Firm for the default TTL (30 s here), counted from the request: ValidUntilTime is at most that after the quote's TransactTime.
    const validFor = parseUtcTimestamp(quote.get(62)!)! - parseUtcTimestamp(quote.get(60)!)!;
    expect(validFor).toBeGreaterThan(0);
    expect(validFor).toBeLessThanOrEqual(30_000);

    const usdBefore = await balance('USD');
    fix.send('D', acceptOrder('acc-1', quoteId, '1', [[38, '1']]));
    const ack = await fix.next('8', WAIT);
    expect(fields(ack, 11, 150, 39, 40, 54, 55, 38, 44)).toEqual(['acc-1', '0', '0', 'D', '1', 'BTC-USD', '1', '25025']);
    const fill = await fix.next('8', WAIT);
    expect(fields(fill, 11, 150, 39, 40, 32, 31, 14, 151, 6, 851)).toEqual(['acc-1', 'F', '2', 'D', '1', '25025', '1', '0', '25025', undefined]);
    expect(fill.get(37)).toBe(ack.get(37));
    expect(fill.get(527)).toMatch(/^\d+$/);
    // The same trade through REST: the fill at the quote, with its venue and quote id.
    const order = await signedFetch(svc.baseUrl, fund, 'GET', `/v1/orders/${ack.get(37)}`);
    expect(order.body).toMatchObject({ status: 'filled', quoteId, clientOrderId: 'acc-1' });
    expect(await balance('BTC')).toBe('2');
    expect(Number(usdBefore) - Number(await balance('USD'))).toBe(25025);

    // At most once: the same quote again is too late (OrdRejReason 4), with the catalog code in Text.
    fix.send('D', acceptOrder('acc-2', quoteId, '1'));
    const again = await fix.next('8', WAIT);
    expect(fields(again, 11, 150, 39, 103)).toEqual(['acc-2', '8', '8', '4']);
    expect(again.get(58)).toMatch(/^QUOTE_NOT_OPEN: /);
  });

  it('refuses bad accepts with the catalog codes, and moves nothing', async () => {
    fix.send('R', quoteRequest('qr-buy', 'BTC-USD', '0.5', '1'));
    const quote = await fix.next('S', WAIT);
    expect(fields(quote, 54, 133, 132)).toEqual(['1', '25025', undefined]);
    const quoteId = quote.get(117)!;
    const btc = await balance('BTC');
    const cases: Array<[Field[], string, string]> = [
      [acceptOrder(id('bad'), quoteId, '2'), 'QUOTE_MISMATCH', '99'],
      [acceptOrder(id('bad'), quoteId, '1', [[38, '0.4']]), 'QUOTE_MISMATCH', '99'],
      [acceptOrder(id('bad'), quoteId, '1', [], 'ETH-USD'), 'QUOTE_MISMATCH', '99'],
      [acceptOrder(id('bad'), '99999999', '1'), 'QUOTE_NOT_FOUND', '99'],
      [[[11, id('bad')], [55, 'BTC-USD'], [54, '1'], [60, now()], [40, 'D']], 'INVALID_ORDER', '11'],
    ];
    for (const [body, code, reason] of cases) {
      fix.send('D', body);
      const er = await fix.next('8', WAIT);
      expect(fields(er, 150, 39, 103), code).toEqual(['8', '8', reason]);
      expect(er.get(58)).toMatch(new RegExp(`^${code}: `));
    }
    expect(await balance('BTC')).toBe(btc);
    // Still open after all that: a pass declines it.
    fix.send('AJ', [[693, 'resp-1'], [117, quoteId], [694, '6'], [55, 'BTC-USD']]);
    const passed = await fix.next('AI', WAIT);
    expect(fields(passed, 117, 693, 55, 297)).toEqual([quoteId, 'resp-1', 'BTC-USD', '11']);
    const got = await signedFetch(svc.baseUrl, fund, 'GET', `/v1/rfq/${quoteId}`);
    expect(got.body.status).toBe('declined');
    fix.send('AJ', [[693, 'resp-2'], [117, quoteId], [694, '6'], [55, 'BTC-USD']]);
    const twice = await fix.next('AI', WAIT);
    expect(fields(twice, 117, 297)).toEqual([quoteId, '5']);
    expect(twice.get(58)).toMatch(/^QUOTE_NOT_OPEN: /);
    fix.send('AJ', [[693, 'resp-3'], [117, '99999999'], [694, '6'], [55, 'BTC-USD']]);
    const unknown = await fix.next('AI', WAIT);
    expect(unknown.get(297)).toBe('9');
    expect(unknown.get(58)).toMatch(/^QUOTE_NOT_FOUND: /);
  });

  it('answers a request that cannot be quoted with QuoteRequestReject, reason and catalog code', async () => {
    const cases: Array<[Field[], string, string]> = [
      [quoteRequest('qr-x1', 'NOPE-USD', '1', '1'), '1', 'UNKNOWN_SYMBOL'],
      [quoteRequest('qr-x2', 'BTC-USD', '500', '1'), '3', 'RFQ_NOTIONAL_TOO_LARGE'],
      [quoteRequest('qr-x3', 'BTC-USD', '0.00000001', '1'), '99', 'QUANTITY_OFF_LOT'],
      // The book holds 5 BTC a side: the pricer cannot cover 50.
      [quoteRequest('qr-x4', 'BTC-USD', '50', '2'), '8', 'RFQ_NO_QUOTE'],
      [quoteRequest('qr-x5', 'BTC-USD', '1', '1', [[62, formatUtcTimestamp(Date.now() - 1000)]]), '99', 'VALIDATION_FAILED'],
      [[[131, 'qr-x6'], [146, '1'], [55, 'BTC-USD'], [54, '1'], [38, '1'], [1, 'someone-else']], '6', 'UNKNOWN_ACCOUNT'],
    ];
    for (const [body, reason, code] of cases) {
      fix.send('R', body);
      const reject = await fix.next('AG', WAIT);
      expect(fields(reject, 131, 658, 146, 55), code).toEqual([body[0]![1], reason, '1', body[2]![1]]);
      expect(reject.get(58)).toMatch(new RegExp(`^${code}: `));
    }
    // QuoteReqID is the client RFQ id: one open RFQ per id.
    fix.send('R', quoteRequest('qr-dup', 'BTC-USD', '0.1', '1'));
    expect((await fix.next('S', WAIT)).get(131)).toBe('qr-dup');
    fix.send('R', quoteRequest('qr-dup', 'BTC-USD', '0.1', '1'));
    const dup = await fix.next('AG', WAIT);
    expect(dup.get(58)).toMatch(/^RFQ_DUPLICATE_ID: /);
  });

  it('sends QuoteCancel when the firm withdraws a quote: a dealer that went away, or the desk', async () => {
    const dealerKey = await svc.createTrader('fix-dealer', { USD: '1000000', BTC: '100' }, ['read'], { dealer: true });
    const dealer = await WsTestClient.connect(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
    await dealer.ok('login', loginRequest(dealerKey));
    await dealer.ok('subscribe', { channel: 'dealer' });
    fix.send('R', quoteRequest('qr-dealer', 'BTC-USD', '2', '1'));
    const rfq = await dealer.waitFor((f) => f.type === 'rfq.request', { timeoutMs: WAIT });
    await dealer.ok('quoteAnswer', { rfqId: rfq.rfqId, askPrice: '25001', quantity: '2' });
    const quote = await fix.next('S', WAIT);
    expect(fields(quote, 131, 133)).toEqual(['qr-dealer', '25001']);
    dealer.ws.close();
    const cancel = await fix.next('Z', WAIT);
    expect(fields(cancel, 131, 117, 298, 1, 295, 55)).toEqual(['qr-dealer', quote.get(117), '1', 'fix-fund', '1', 'BTC-USD']);
    fix.send('D', acceptOrder(id('late'), quote.get(117)!, '1'));
    expect((await fix.next('8', WAIT)).get(58)).toMatch(/^QUOTE_NOT_OPEN: /);

    fix.send('R', quoteRequest('qr-desk', 'BTC-USD', '0.2', '2'));
    const second = await fix.next('S', WAIT);
    const withdrawn = await svc.bus.submit({ type: 'WithdrawQuote', quoteId: second.get(117)! });
    expect(withdrawn.ok).toBe(true);
    expect(fields(await fix.next('Z', WAIT), 131, 117)).toEqual(['qr-desk', second.get(117)]);
  });
});

/** The FIX conversation of docs/otc-rfq.md: `→` lines the client sends, `←` lines the platform answers. */
function guideConversation(): Array<{ dir: 'in' | 'out'; fields: Field[] }> {
  const guide = readFileSync(new URL('../../../docs/otc-rfq.md', import.meta.url), 'utf8');
  const block = /<!-- fix-sample: otc-rfq-fix -->\n```text\n([\s\S]*?)```/.exec(guide);
  if (!block) throw new Error('docs/otc-rfq.md has no FIX sample');
  return block[1]!.trim().split('\n').map((line) => {
    const dir = line.startsWith('→ ') ? 'in' : line.startsWith('← ') ? 'out' : undefined;
    if (dir === undefined) throw new Error(`not a FIX sample line: ${line}`);
    const fields = line.slice(2).split('|').filter((kv) => kv !== '').map((kv) => [Number(kv.slice(0, kv.indexOf('='))), kv.slice(kv.indexOf('=') + 1)] as Field);
    return { dir, fields };
  });
}

const HEADER_TAGS = new Set([35, 49, 56, 34]);
/** Tags whose values differ from run to run (ids, times, sequence numbers, the free text after the code). */
const VARYING_TAGS = new Set([37, 17, 117, 527, 62, 60, 58]);

describe('the FIX sample of the OTC guide', () => {
  it('is made of messages the dictionary accepts', () => {
    const validator = new Validator(loadDictionary(SUBSET_DICTIONARY));
    const lines = guideConversation();
    expect(lines.length).toBeGreaterThan(5);
    for (const { fields: f } of lines) {
      // The guide shortens headers: SendingTime is put back for the check.
      const text = f.map(([tag, value], i) => `${tag}=${value}|${i === 3 ? `52=${now()}|` : ''}`).join('');
      const result = validator.validate(parse(text));
      expect(result.ok, `${text}: ${JSON.stringify(result)}`).toBe(true);
    }
  });

  it('is what a live session sends and gets, field for field', async () => {
    const lines = guideConversation();
    let quoteId = '';
    for (let i = 0; i < lines.length; i++) {
      const { dir, fields: f } = lines[i]!;
      const type = f[0]![1];
      if (dir === 'in') {
        fix.send(type, f.filter(([tag]) => !HEADER_TAGS.has(tag)).map(([tag, value]) => [tag, tag === 117 ? quoteId : tag === 60 ? now() : value] as Field));
        continue;
      }
      const got = await fix.next(type, WAIT);
      if (type === 'S') quoteId = got.get(117)!;
      const body = (m: Array<readonly [number, string]>) => m.filter(([tag]) => !HEADER_TAGS.has(tag) && ![8, 9, 10, 52].includes(tag)).map(([tag]) => tag).sort((a, b) => a - b);
      expect(body(got.tags.map((tag, k) => [tag, got.values[k]!] as const)), `line ${i + 1}: the same tags`).toEqual(body(f));
      for (const [tag, value] of f) {
        if (HEADER_TAGS.has(tag) || VARYING_TAGS.has(tag)) continue;
        expect(got.get(tag), `line ${i + 1}, tag ${tag}`).toBe(tag === 1 ? 'fix-fund' : value);
      }
      const text = f.find(([tag]) => tag === 58)?.[1];
      if (text !== undefined) expect(got.get(58)!.split(':')[0]).toBe(text.split(':')[0]);
    }
  });
});
