/**
 * FIX market data over real sockets against the real core: MarketDataRequest answered with W then
 * X that keep a local book equal to the core's (and to REST's bookSeq), snapshot-only requests,
 * unsubscribe, every MarketDataRequestReject reason we send, the market-data session type, the
 * request-weight budget, SecurityList, and market data never resent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field, FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { RequestRateLimiter } from '../../../server/src/limits/index.js';
import type { Command } from '../../../server/src/core/api.js';
import { loggedOn, startVenue, type FixClient, type TestVenue } from './harness.js';

let venue: TestVenue;
let limitedVenue: TestVenue;
let budgetedVenue: TestVenue;
let ids = 0;
const next = (prefix: string): string => `${prefix}${++ids}`;

beforeAll(async () => {
  venue = await startVenue({
    clients: { MD: 'acc-md', TRADER: 'acc-t', MAKER: 'acc-m', DROP: 'acc-t' },
    acceptor: { sessions: { DROP: { dropCopy: true } }, marketData: { maxSubscriptions: 3 } },
  });
  // A read-only key on a market-data session, and a trade-only key.
  for (const [senderCompId, scopes, fixSession] of [['READER', ['read'], { marketData: true }], ['READNOMD', ['read'], undefined], ['TRADEONLY', ['trade'], undefined]] as const) {
    const created = await venue.keyStore.create({ accountId: 'acc-md', kind: 'hmac', label: senderCompId, scopes: [...scopes], senderCompId, ...(fixSession && { fixSession }) });
    venue.keys[senderCompId] = { keyId: created.record.keyId, secret: Buffer.from(created.secret!, 'base64url'), accountId: 'acc-md', senderCompId };
  }
  // A request-weight budget of 3 per key that refills by 3 an hour: the fourth symbol is refused.
  const policy = { name: 'key', kind: 'token-bucket', scope: 'key', quota: 3, windowSeconds: 3600, description: 'test budget' } as const;
  limitedVenue = await startVenue({
    clients: { MD: 'acc-md' },
    acceptor: { requestLimiter: new RequestRateLimiter({ policies: [policy], weights: { wsSubscribe: 1 } }) },
  });
  // A budget that never runs out, so every request waits for its (asynchronous) charge.
  budgetedVenue = await startVenue({
    clients: { MD: 'acc-md' },
    acceptor: { requestLimiter: new RequestRateLimiter({ policies: [{ ...policy, quota: 1_000_000 }], weights: { wsSubscribe: 1 } }) },
  });
});
afterAll(async () => {
  await venue?.close();
  await limitedVenue?.close();
  await budgetedVenue?.close();
});

async function place(v: TestVenue, accountId: string, side: 'buy' | 'sell', price: string, quantity: string): Promise<void> {
  const command: Command = { type: 'PlaceOrder', accountId, symbol: 'BTC-USD', clientOrderId: next('c'), side, orderType: 'limit', price, quantity, timeInForce: 'GTC' };
  const result = await v.bus.submit(command);
  expect(result.ok).toBe(true);
}

function mdRequest(mdReqId: string, o: { type?: string; depth?: string; entryTypes?: string[]; symbols?: string[]; updateType?: string; aggregated?: string; openClose?: string } = {}): Field[] {
  const f: Field[] = [[262, mdReqId], [263, o.type ?? '1'], [264, o.depth ?? '5']];
  if (o.updateType !== undefined) f.push([265, o.updateType]);
  if (o.aggregated !== undefined) f.push([266, o.aggregated]);
  if (o.openClose !== undefined) f.push([286, o.openClose]);
  const types = o.entryTypes ?? ['0', '1', '2'];
  f.push([267, String(types.length)], ...types.map((t): Field => [269, t]));
  const symbols = o.symbols ?? ['BTC-USD'];
  f.push([146, String(symbols.length)], ...symbols.map((s): Field => [55, s]));
  return f;
}

/** The instances of a group (NoMDEntries unless told), each as tag -> value, split at its first member. */
function entries(m: FixMessage, countTag = 268): Array<Map<number, string>> {
  const start = m.tags.indexOf(countTag);
  const delimiter = m.tags[start + 1];
  const out: Array<Map<number, string>> = [];
  for (let i = start + 1; i < m.tags.length && m.tags[i] !== 10; i++) {
    if (m.tags[i] === delimiter) out.push(new Map());
    out.at(-1)!.set(m.tags[i]!, m.values[i]!);
  }
  return out;
}

/** A client's book kept from W and X, as the rules of engagement describe. */
class LocalBook {
  bids = new Map<string, string>();
  asks = new Map<string, string>();
  rptSeq = 0;
  trades: string[] = [];

  snapshot(w: FixMessage): void {
    this.bids.clear();
    this.asks.clear();
    this.rptSeq = Number(w.get(83));
    for (const e of entries(w)) {
      if (e.get(269) === '0') this.bids.set(e.get(270)!, e.get(271)!);
      if (e.get(269) === '1') this.asks.set(e.get(270)!, e.get(271)!);
    }
  }

  apply(x: FixMessage): void {
    for (const e of entries(x)) {
      if (e.get(269) === '2') {
        this.trades.push(`${e.get(278)}:${e.get(270)}x${e.get(271)}`);
        continue;
      }
      const side = e.get(269) === '0' ? this.bids : this.asks;
      if (e.get(279) === '2') side.delete(e.get(270)!);
      else side.set(e.get(270)!, e.get(271)!);
      this.rptSeq = Number(e.get(83));
    }
  }

  levels(side: 'bids' | 'asks'): Array<[string, string]> {
    const sorted = [...this[side]].sort((a, b) => Number(a[0]) - Number(b[0]));
    return side === 'bids' ? sorted.reverse() : sorted;
  }
}

function coreBook(v: TestVenue, depth: number) {
  const book = v.bus.core.book('BTC-USD', depth)!;
  return { bookSeq: book.bookSeq, bids: book.bids.map((l) => [l.price, l.quantity]), asks: book.asks.map((l) => [l.price, l.quantity]) };
}

/** Reads W and X until the local book reaches the core's book sequence. */
async function follow(c: FixClient, book: LocalBook, v: TestVenue, depth: number): Promise<void> {
  while (book.rptSeq < coreBook(v, depth).bookSeq) {
    const m = await c.next(undefined, 10_000);
    if (m.msgType === 'W') book.snapshot(m);
    else if (m.msgType === 'X') book.apply(m);
  }
}

describe('MarketDataRequest: snapshot and updates', () => {
  it('answers W with the book and RptSeq = bookSeq, then X entries that keep a local book equal to the core', async () => {
    await place(venue, 'acc-m', 'buy', '99', '1');
    await place(venue, 'acc-m', 'sell', '101', '2');
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('V', mdRequest('sub-1', { depth: '5' }));
    const w = await c.next('W');
    const book = new LocalBook();
    book.snapshot(w);
    expect([w.get(262), w.get(55)]).toEqual(['sub-1', 'BTC-USD']);
    expect(book.rptSeq).toBe(coreBook(venue, 5).bookSeq);
    expect({ bids: book.levels('bids'), asks: book.levels('asks') }).toEqual({ bids: coreBook(venue, 5).bids, asks: coreBook(venue, 5).asks });

    await place(venue, 'acc-m', 'buy', '99.5', '0.3');
    const x = await c.next('X');
    expect(entries(x)).toEqual([new Map([[279, '0'], [269, '0'], [55, 'BTC-USD'], [270, '99.5'], [271, '0.3'], [83, String(coreBook(venue, 5).bookSeq)]])]);
    book.apply(x);

    // A trade: its entry (new, with the trade id) and the level it took from.
    await place(venue, 'acc-t', 'buy', '101', '0.5');
    await follow(c, book, venue, 5);
    expect(book.trades).toEqual([expect.stringMatching(/^\d+:101x0\.5$/)]);
    expect({ bids: book.levels('bids'), asks: book.levels('asks') }).toEqual({ bids: coreBook(venue, 5).bids, asks: coreBook(venue, 5).asks });
    expect(book.rptSeq).toBe(venue.bus.core.book('BTC-USD')!.bookSeq);
    c.close();
  });

  it('keeps a depth-1 book equal to the core through levels entering and leaving the top', async () => {
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('V', mdRequest('top-1', { depth: '1', entryTypes: ['0', '1'] }));
    const book = new LocalBook();
    book.snapshot(await c.next('W'));
    await place(venue, 'acc-m', 'buy', '99.8', '0.1'); // a better bid pushes the old one out
    await place(venue, 'acc-m', 'sell', '100.9', '0.1');
    await follow(c, book, venue, 1);
    expect({ bids: book.levels('bids'), asks: book.levels('asks') }).toEqual({ bids: coreBook(venue, 1).bids, asks: coreBook(venue, 1).asks });
    expect(book.bids.size).toBe(1);
    c.close();
  });

  it('sends only the requested entry types: a trades-only subscription gets trades and no levels', async () => {
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('V', mdRequest('trades-1', { depth: '0', entryTypes: ['2'] }));
    const w = await c.next('W');
    expect(w.get(83)).toBeUndefined();
    expect(entries(w).every((e) => e.get(269) === '2')).toBe(true);
    await place(venue, 'acc-m', 'sell', '100.5', '0.2');
    await place(venue, 'acc-t', 'buy', '100.5', '0.2');
    const x = await c.next('X');
    const [trade] = entries(x);
    expect([trade!.get(279), trade!.get(269), trade!.get(270), trade!.get(271)]).toEqual(['0', '2', '100.5', '0.2']);
    expect(trade!.get(278)).toMatch(/^\d+$/);
    expect(trade!.get(272)).toMatch(/^\d{8}$/);
    expect(trade!.get(273)).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(entries(x).every((e) => e.get(269) === '2')).toBe(true);
    c.close();
  });

  it('answers a snapshot-only request (263=0) with W and sends no updates', async () => {
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('V', mdRequest('snap-1', { type: '0', depth: '10', entryTypes: ['0', '1'] }));
    const w = await c.next('W');
    expect(Number(w.get(83))).toBe(coreBook(venue, 10).bookSeq);
    await place(venue, 'acc-m', 'buy', '90', '0.1');
    // The order's events reached the gateway before the TestRequest was sent: an X for it would come first.
    c.send('1', [[112, 'after-snapshot']]);
    const reply = await c.next();
    expect([reply.msgType, reply.get(112)]).toEqual(['0', 'after-snapshot']);
    c.close();
  });

  it('ends a subscription on 263=2: no more X for that MDReqID', async () => {
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('V', mdRequest('unsub-1', { entryTypes: ['0', '1'] }));
    await c.next('W');
    c.send('V', mdRequest('unsub-1', { type: '2', entryTypes: ['0', '1'] }));
    c.send('1', [[112, 'unsubscribed']]);
    expect((await c.next()).get(112)).toBe('unsubscribed');
    await place(venue, 'acc-m', 'buy', '91', '0.1');
    c.send('1', [[112, 'after-order']]);
    // The order's events reached the gateway before the TestRequest was sent: an X for it would come first.
    const reply = await c.next();
    expect([reply.msgType, reply.get(112)]).toEqual(['0', 'after-order']);
    c.close();
  });

  it('does not keep market data for resend: a ResendRequest gets a gap fill in its place', async () => {
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('V', mdRequest('resend-1', { entryTypes: ['0', '1'] }));
    const w = await c.next('W');
    const seq = Number(w.get(34));
    c.send('2', [[7, String(seq)], [16, String(seq)]]);
    const fill = await c.next('4');
    expect([fill.get(34), fill.get(123), fill.get(36)]).toEqual([String(seq), 'Y', String(seq + 1)]);
    c.close();
  });
});

describe('MarketDataRequestReject', () => {
  const cases: Array<[string, Parameters<typeof mdRequest>[1], string, string]> = [
    ['an unknown symbol', { symbols: ['BTC-USD', 'NOPE-USD'] }, '0', 'UNKNOWN_SYMBOL'],
    ['a depth the book channel does not offer', { depth: '7' }, '5', 'VALIDATION_FAILED'],
    ['depth 0 (full book) with book sides', { depth: '0' }, '5', 'VALIDATION_FAILED'],
    ['full-refresh updates (265=0)', { updateType: '0' }, '6', 'VALIDATION_FAILED'],
    ['a non-aggregated book (266=N)', { aggregated: 'N' }, '7', 'VALIDATION_FAILED'],
    ['an entry type other than bid, offer, trade', { entryTypes: ['0', '4'] }, '8', 'VALIDATION_FAILED'],
    ['OpenCloseSettlFlag', { openClose: '0' }, 'B', 'VALIDATION_FAILED'],
  ];
  for (const [what, request, reason, code] of cases) {
    it(`refuses ${what} with MDReqRejReason ${reason} and ${code}`, async () => {
      const c = await loggedOn(venue, 'MD', { reset: true });
      const id = next('bad-');
      c.send('V', mdRequest(id, request));
      const y = await c.next('Y');
      expect([y.get(262), y.get(281), y.get(58)?.split(':')[0]]).toEqual([id, reason, code]);
      c.close();
    });
  }

  it('refuses a duplicate MDReqID (1) and an unknown one to end (no reason, FIX_MD_UNKNOWN_REQ_ID)', async () => {
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('V', mdRequest('dup-1', { entryTypes: ['0'] }));
    await c.next('W');
    c.send('V', mdRequest('dup-1', { entryTypes: ['1'] }));
    const dup = await c.next('Y');
    expect([dup.get(262), dup.get(281), dup.get(58)?.split(':')[0]]).toEqual(['dup-1', '1', 'FIX_MD_DUPLICATE_REQ_ID']);
    c.send('V', mdRequest('never', { type: '2' }));
    const unknown = await c.next('Y');
    expect([unknown.get(262), unknown.get(281), unknown.get(58)?.split(':')[0]]).toEqual(['never', undefined, 'FIX_MD_UNKNOWN_REQ_ID']);
    c.close();
  });

  it('refuses a subscription beyond the session maximum (2, FIX_MD_TOO_MANY_SUBSCRIPTIONS), counting symbols', async () => {
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('V', mdRequest('many-1', { entryTypes: ['2'], depth: '0' }));
    await c.next('W');
    c.send('V', mdRequest('many-2', { entryTypes: ['0'] }));
    await c.next('W');
    c.send('V', mdRequest('many-3', { entryTypes: ['1'], symbols: ['BTC-USD', 'BTC-USD'] })); // one symbol, named twice
    await c.next('W');
    c.send('V', mdRequest('many-4', { entryTypes: ['0', '1'] }));
    const y = await c.next('Y');
    expect([y.get(262), y.get(281), y.get(58)?.split(':')[0]]).toEqual(['many-4', '2', 'FIX_MD_TOO_MANY_SUBSCRIPTIONS']);
    // A snapshot needs no subscription: still served.
    c.send('V', mdRequest('many-5', { type: '0' }));
    expect((await c.next()).msgType).toBe('W');
    c.close();
  });

  it('refuses market data to a key without the read scope and to a drop copy (3, AUTH_SCOPE_MISSING)', async () => {
    for (const sender of ['TRADEONLY', 'DROP']) {
      const c = await loggedOn(venue, sender, { reset: true });
      c.send('V', mdRequest(`perm-${sender}`));
      const y = await c.next('Y');
      expect([y.get(281), y.get(58)?.split(':')[0]]).toEqual(['3', 'AUTH_SCOPE_MISSING']);
      c.close();
    }
  });

  it('spends the request-weight budget per symbol and refuses past it (2, RATE_LIMITED)', async () => {
    const c = await loggedOn(limitedVenue, 'MD', { reset: true });
    c.send('V', mdRequest('w-1', { type: '0', symbols: ['BTC-USD'] }));
    expect((await c.next()).msgType).toBe('W');
    c.send('V', mdRequest('w-2', { type: '0', symbols: ['BTC-USD', 'BTC-USD'] })); // one symbol: weight 1
    expect((await c.next()).msgType).toBe('W');
    c.send('V', mdRequest('w-3', { type: '0' }));
    expect((await c.next()).msgType).toBe('W');
    c.send('V', mdRequest('w-4', { type: '0' }));
    const y = await c.next('Y');
    expect([y.get(262), y.get(281), y.get(58)?.split(':')[0]]).toEqual(['w-4', '2', 'RATE_LIMITED']);
    c.close();
  });
});

describe('answer order', () => {
  it('answers a session\'s requests in the order they came, while each waits for its budget', async () => {
    const c = await loggedOn(budgetedVenue, 'MD', { reset: true });
    // The first is charged twice (two symbols), the second once: answered first if nothing kept the order.
    c.send('V', mdRequest('two-symbols', { symbols: ['BTC-USD', 'NOPE-USD'] }));
    c.send('V', mdRequest('one-symbol', { type: '0' }));
    c.send('V', mdRequest('one-symbol', { type: '0', symbols: ['NOPE-USD'] }));
    const answers = [await c.next(), await c.next(), await c.next()];
    expect(answers.map((m) => [m.msgType, m.get(262), m.get(281)])).toEqual([['Y', 'two-symbols', '0'], ['W', 'one-symbol', undefined], ['Y', 'one-symbol', '0']]);
    c.close();
  });
});

describe('market-data sessions', () => {
  it('lets a read-only key log on as a market-data session, which gets market data and cannot send orders', async () => {
    const c = await loggedOn(venue, 'READER', { reset: true });
    c.send('V', mdRequest('ro-1', { type: '0' }));
    expect((await c.next()).msgType).toBe('W');
    const seq = c.send('D', [[11, 'ro-order'], [55, 'BTC-USD'], [54, '1'], [60, '20250101-00:00:00'], [38, '1'], [40, '2'], [44, '1']]);
    const j = await c.next('j');
    expect([j.get(45), j.get(372), j.get(380), j.get(58)]).toEqual([String(seq), 'D', '6', 'Market-data sessions cannot send orders']);
    c.close();
  });

  it('still refuses a read-only key that asks for an order-entry session', async () => {
    await expect(loggedOn(venue, 'READNOMD', { reset: true })).rejects.toThrow(/expected Logon, got 5 AUTH_SCOPE_MISSING/);
  });
});

describe('SecurityListRequest', () => {
  it('lists every instrument with its lot, minimum, tick and status (559=4)', async () => {
    const c = await loggedOn(venue, 'READER', { reset: true });
    c.send('x', [[320, 'sl-1'], [559, '4']]);
    const y = await c.next('y');
    expect([y.get(320), y.get(560), y.get(393), y.get(893)]).toEqual(['sl-1', '0', '1', 'Y']);
    expect(y.get(322)).toBeTruthy();
    expect(entries(y, 146)).toEqual([new Map([[55, 'BTC-USD'], [107, 'BTC/USD'], [15, 'USD'], [561, '0.0001'], [562, '0.0001'], [58, 'tickSize=0.01;status=open']])]);
    c.close();
  });

  it('answers one symbol (559=0), no instruments (560=2) for an unknown one, and 560=1 for request types it does not serve', async () => {
    const c = await loggedOn(venue, 'MD', { reset: true });
    c.send('x', [[320, 'sl-2'], [559, '0'], [55, 'BTC-USD']]);
    expect((await c.next('y')).get(393)).toBe('1');
    c.send('x', [[320, 'sl-3'], [559, '0'], [55, 'NOPE-USD']]);
    const none = await c.next('y');
    expect([none.get(560), none.get(146)]).toEqual(['2', undefined]);
    c.send('x', [[320, 'sl-4'], [559, '2']]);
    expect((await c.next('y')).get(560)).toBe('1');
    c.close();
  });
});

