/**
 * The SDK's pure parts, checked against independent references: the book checksum against zlib
 * and the contract's own examples, decimal ordering against BigInt arithmetic, the local book's
 * sequence and checksum rules, the retry classification, backoff bounds, and the canonical string
 * against the documentation's client.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookSnapshot, BookUpdate } from '../../generated/asyncapi.js';
import {
  backoffDelay, bookChecksum, canonicalString, classifyResponse, compareDecimal, crc32, isIdempotentRequest, LocalOrderBook, parseRetryAfter,
  RequestSigner, ServerClock,
} from '../../sdk/src/index.js';
import { canonicalString as docsCanonicalString } from '../helpers/signing.js';

const decimalArb = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 8 }))
  .map(([units, scale]) => {
    const digits = units.toString().padStart(scale + 1, '0');
    return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  });

/** Value of a decimal string scaled to 18 places, exactly. */
const scaled = (d: string) => {
  const [int, frac = ''] = d.split('.');
  return BigInt(int! + frac.padEnd(18, '0'));
};

describe('book checksum', () => {
  it('equals zlib CRC-32 for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => crc32(bytes) === zlibCrc32(bytes)));
  });

  it('reproduces the checksums of the contract examples', () => {
    expect(bookChecksum([['25000.5', '0.4'], ['25000', '1.2']], [['25001', '0.3']])).toBe(779142831);
    expect(bookChecksum([['25000.5', '0.5'], ['25000', '1.2']], [])).toBe(3813247029);
  });
});

describe('decimal ordering', () => {
  it('orders decimal strings exactly as their values', () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, (a, b) => {
        const expected = scaled(a) === scaled(b) ? 0 : scaled(a) < scaled(b) ? -1 : 1;
        return Math.sign(compareDecimal(a, b)) === expected;
      }),
    );
  });

  it('tells apart prices a float would merge', () => {
    expect(compareDecimal('0.10000000000000000001', '0.1')).toBeGreaterThan(0);
    expect(compareDecimal('25000.50', '25000.5')).toBe(0);
  });
});

describe('LocalOrderBook', () => {
  const snapshot: BookSnapshot = {
    type: 'book.snapshot', symbol: 'BTC-USD', depth: 10, seq: 1040, bookSeq: 310,
    bids: [['25000.5', '0.4'], ['25000', '1.2']], asks: [['25001', '0.3']], checksum: 779142831,
  };
  const update: BookUpdate = {
    type: 'book.update', symbol: 'BTC-USD', depth: 10, seq: 1044, prevBookSeq: 310, bookSeq: 312,
    bids: [['25000.5', '0.5']], asks: [['25001', '0']], checksum: 3813247029,
  };

  it('applies the contract example: a snapshot, then an update that grows a bid and empties the ask', () => {
    const book = new LocalOrderBook('BTC-USD', 10);
    expect(book.apply(snapshot)).toBe('applied');
    expect(book.apply(update)).toBe('applied');
    expect(book.bids).toEqual([['25000.5', '0.5'], ['25000', '1.2']]);
    expect(book.asks).toEqual([]);
    expect(book).toMatchObject({ bookSeq: 312, seq: 1044, synced: true });
  });

  it('detects a missed frame by prevBookSeq and waits for a snapshot', () => {
    const book = new LocalOrderBook('BTC-USD', 10);
    book.apply(snapshot);
    expect(book.apply({ ...update, prevBookSeq: 311 })).toBe('gap');
    expect(book.synced).toBe(false);
    expect(book.apply(update)).toBe('ignored');
    expect(book.apply(snapshot)).toBe('applied');
    expect(book.resyncs).toBe(1);
  });

  it('detects a drifted view by checksum', () => {
    const book = new LocalOrderBook('BTC-USD', 10);
    book.apply(snapshot);
    expect(book.apply({ ...update, bids: [['25000.5', '0.6']] })).toBe('checksum');
    expect(book.synced).toBe(false);
  });

  it('keeps both sides best first whatever order levels arrive in', () => {
    fc.assert(
      fc.property(fc.uniqueArray(decimalArb.filter((d) => scaled(d) > 0n), { minLength: 1, maxLength: 20 }), (prices) => {
        const levels = prices.map((p) => [p, '1'] as [string, string]);
        const sortedDesc = [...levels].sort((a, b) => (scaled(b[0]) > scaled(a[0]) ? 1 : scaled(b[0]) < scaled(a[0]) ? -1 : 0));
        const book = new LocalOrderBook('X-Y', 100);
        const first: BookSnapshot = { ...snapshot, bids: [], asks: [], bookSeq: 1, checksum: bookChecksum([], []) };
        book.apply(first);
        const result = book.apply({ ...update, prevBookSeq: 1, bookSeq: 2, bids: levels, asks: [], checksum: bookChecksum(sortedDesc, []) });
        return result === 'applied' && JSON.stringify(book.bids) === JSON.stringify(sortedDesc);
      }),
    );
  });
});

describe('retry policy', () => {
  const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Request(`http://h${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });

  it('treats reads, PUT, DELETE, idempotency keys and placements with client order ids as idempotent', async () => {
    expect(await isIdempotentRequest(req('GET', '/v1/orders'))).toBe(true);
    expect(await isIdempotentRequest(req('DELETE', '/v1/orders/42'))).toBe(true);
    expect(await isIdempotentRequest(req('PUT', '/v1/dead-man-switch', { timeoutMs: 1000 }))).toBe(true);
    expect(await isIdempotentRequest(req('POST', '/v1/api-keys', {}, { 'Idempotency-Key': 'k1' }))).toBe(true);
    expect(await isIdempotentRequest(req('POST', '/v1/orders', { symbol: 'BTC-USD', clientOrderId: 'a' }))).toBe(true);
    expect(await isIdempotentRequest(req('POST', '/v1/orders/batch', { orders: [{ clientOrderId: 'a' }, { clientOrderId: 'b' }] }))).toBe(true);
    expect(await isIdempotentRequest(req('POST', '/v1/rfq/17/accept', { side: 'buy', clientOrderId: 'a' }))).toBe(true);
  });

  it('does not repeat placements without a client order id, partial batches, amends or other POSTs', async () => {
    expect(await isIdempotentRequest(req('POST', '/v1/orders', { symbol: 'BTC-USD' }))).toBe(false);
    expect(await isIdempotentRequest(req('POST', '/v1/orders/batch', { orders: [{ clientOrderId: 'a' }, {}] }))).toBe(false);
    expect(await isIdempotentRequest(req('PATCH', '/v1/orders/42', { price: '1' }))).toBe(false);
    expect(await isIdempotentRequest(req('POST', '/v1/operator/accounts', { accountId: 'a' }))).toBe(false);
    // An RFQ, a decline and an accept without a client order id would not answer a repeat with the first answer.
    expect(await isIdempotentRequest(req('POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '1', clientRfqId: 'r' }))).toBe(false);
    expect(await isIdempotentRequest(req('POST', '/v1/rfq/17/decline', {}))).toBe(false);
    expect(await isIdempotentRequest(req('POST', '/v1/rfq/17/accept', { side: 'buy' }))).toBe(false);
  });

  it('classifies failures by what the server may have done', () => {
    expect(classifyResponse(429, 'RATE_LIMITED')).toBe('unprocessed');
    expect(classifyResponse(503, 'JOURNAL_UNAVAILABLE')).toBe('unprocessed');
    expect(classifyResponse(429, 'AUTH_LOCKED_OUT')).toBe('final');
    expect(classifyResponse(401, 'AUTH_TIMESTAMP_OUT_OF_WINDOW')).toBe('clock');
    expect(classifyResponse(500, 'INTERNAL_ERROR')).toBe('ambiguous');
    expect(classifyResponse(502, undefined)).toBe('ambiguous');
    expect(classifyResponse(422, 'INSUFFICIENT_FUNDS')).toBe('final');
    expect(classifyResponse(200, undefined)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 7_500)).toBe(3);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off within [step/2, step], the step doubling up to the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const step = Math.min(5000, 100 * 2 ** attempt);
        const delay = backoffDelay(attempt, { baseMs: 100, maxMs: 5000 }, () => r);
        return delay >= Math.floor(step / 2) && delay <= step;
      }),
    );
  });
});

describe('signing inputs', () => {
  it('builds the canonical string the documentation defines', async () => {
    fc.assert(
      await fc.asyncProperty(fc.nat(), fc.constantFrom('GET', 'post', 'DELETE'), fc.webPath(), fc.string(), async (ts, method, path, body) => {
        return (await canonicalString(ts, method, path, body)) === docsCanonicalString(ts, method, path, body);
      }),
    );
  });

  it('issues strictly increasing timestamps, and after a clock correction restarts above every one that may have been accepted', () => {
    let local = 1_000_000;
    const clock = new ServerClock(() => local);
    const signer = new RequestSigner({ keyId: 'k', secret: 'AAAA' }, clock);
    const burst = Array.from({ length: 50 }, () => signer.nextTimestamp());
    expect(burst.every((t, i) => i === 0 || t > burst[i - 1]!)).toBe(true);
    expect(burst.at(-1)).toBe(1_000_049);
    clock.offsetMs = 120_000; // the clock jumps 2 minutes ahead: these are refused by the server
    expect(signer.nextTimestamp()).toBe(1_120_000);
    clock.offsetMs = 0; // calibration corrects it
    expect(signer.nextTimestamp()).toBe(1_000_050);
    local += 10_000;
    expect(signer.nextTimestamp()).toBe(1_010_000);
  });

  it('estimates the offset from the quickest round trip', () => {
    const clock = new ServerClock(() => 1_000);
    const result = clock.applySamples([
      { sentAt: 0, receivedAt: 400, serverTime: 60_300 },
      { sentAt: 1000, receivedAt: 1010, serverTime: 61_005 },
    ]);
    expect(result).toEqual({ offsetMs: 60_000, roundTripMs: 10 });
    expect(clock.now()).toBe(61_000);
  });
});
