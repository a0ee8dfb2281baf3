import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixLogonPrehash, parseFixUtcTimestamp, restCanonicalString, wsLoginCanonicalString } from '../../server/src/auth/index.js';
import { parseUtcTimestamp } from '../../server/src/gateway/fix/time.js';
import { harness, hmacSign, HMAC_KEY, NOW } from './fixtures.js';

describe('canonical strings', () => {
  it('REST: timestamp, METHOD, path with query and hex sha256 of the body, joined by newlines', () => {
    expect(restCanonicalString('1750000000000', 'post', '/v1/orders?a=1&b=%20', '{"x":1}')).toBe(
      `1750000000000\nPOST\n/v1/orders?a=1&b=%20\n${createHash('sha256').update('{"x":1}').digest('hex')}`,
    );
    expect(restCanonicalString(1, 'GET', '/v1/time')).toBe('1\nGET\n/v1/time\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('WebSocket login: GET /v1/ws with an empty body', () => {
    expect(wsLoginCanonicalString(42)).toBe('42\nGET\n/v1/ws\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('FIX Logon: five fields joined by SOH', () => {
    expect(fixLogonPrehash({ sendingTime: '20250615-15:06:40.000', msgType: 'A', msgSeqNum: 1, senderCompId: 'S', targetCompId: 'T' })).toBe('20250615-15:06:40.000\x01A\x011\x01S\x01T');
  });

  it.each([
    ['20250615-15:06:40', NOW],
    ['20250615-15:06:40.000', NOW],
    ['20250615-15:06:40.123456', NOW + 123],
    ['20250615-15:06:40.123456789', NOW + 123],
    ['20250615-15:06:40.5', NOW + 500],
    ['20250615-15:06:40.12', NOW + 120],
  ])('parses FIX UTCTimestamp %s', (text, ms) => expect(parseFixUtcTimestamp(text)).toBe(ms));

  it('answers the same for a text seen before, whatever came in between (remembered texts)', () => {
    const texts = ['20250615-15:06:40', '20250615-15:06:40.5', 'not a time', '20250615-15:06:40', '', '20240229-00:00:00', '20250615-15:06:40.5', '20250231-00:00:00'];
    const first = texts.map((text) => parseFixUtcTimestamp(text));
    fc.assert(fc.property(fc.array(fc.nat(texts.length - 1), { maxLength: 40 }), (order) => {
      for (const i of order) expect(parseFixUtcTimestamp(texts[i]!)).toBe(first[i]);
    }));
    expect(first).toEqual([NOW, NOW + 500, undefined, NOW, undefined, Date.UTC(2024, 1, 29), NOW + 500, undefined]);
  });

  it('is the one parser the FIX session layer uses too', () => {
    expect(parseUtcTimestamp).toBe(parseFixUtcTimestamp);
  });

  it.each(['20250231-00:00:00', '20250615-25:00:00', '2025-06-15T15:06:40Z', '20250615-15:06:40.', '20250615-15:06:40.1234567890', ''])('rejects malformed FIX UTCTimestamp %j', (text) => {
    expect(parseFixUtcTimestamp(text)).toBeUndefined();
  });

  it.each([
    ['20240229-00:00:00', Date.UTC(2024, 1, 29)],
    ['20000229-23:59:60', Date.UTC(2000, 2, 1)],
    ['20250430-12:00:00.9', Date.UTC(2025, 3, 30, 12, 0, 0, 900)],
  ])('knows leap days, month lengths and the leap second: %s', (text, ms) => expect(parseFixUtcTimestamp(text)).toBe(ms));

  it.each(['20230229-00:00:00', '19000229-00:00:00', '20250431-00:00:00', '20251301-00:00:00', '20250615-15:60:00', '20250615-15:06:61', '2025061-15:06:40', '20250615-15:06:40,5', '20250615 15:06:40', '٢٠٢٥0615-15:06:40'])(
    'rejects %j', (text) => expect(parseFixUtcTimestamp(text)).toBeUndefined());

  // The parser reads characters in place; it must agree with the grammar written as a regular expression.
  it('agrees with the UTCTimestamp grammar on arbitrary and near-valid text (property)', () => {
    const grammar = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
    const reference = (value: string): number | undefined => {
      const m = grammar.exec(value);
      if (!m) return undefined;
      const [, y, mo, d, h, mi, s, frac] = m;
      const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
      if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
      if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return undefined;
      return Date.UTC(Number(y), month - 1, day, hour, minute, second, frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0);
    };
    const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
    const nearValid = fc.tuple(digits(4), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }),
      fc.option(fc.stringMatching(/^\d{0,10}$/)), fc.constantFrom('-', '-', '-', ' ', 'T'))
      .map(([y, mo, d, h, mi, s, frac, sep]) => `${y}${String(mo).padStart(2, '0')}${String(d).padStart(2, '0')}${sep}${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}${frac === null ? '' : `.${frac}`}`);
    const mutated = fc.tuple(nearValid, fc.nat(30), fc.string({ maxLength: 1 })).map(([t, at, c]) => t.slice(0, at) + c + t.slice(at + 1));
    fc.assert(fc.property(fc.oneof(nearValid, mutated, fc.string({ maxLength: 30 })), (text) => {
      expect(parseFixUtcTimestamp(text)).toBe(reference(text));
    }), { numRuns: 5000 });
  });
});

describe('signatures bind every signed part (property)', () => {
  const part = fc.constantFrom('method', 'path', 'body', 'timestamp');
  it('any request verifies when unchanged and fails when any signed part changes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH'),
        fc.webPath().map((p) => `/v1${p.startsWith('/') ? p : `/${p}`}`),
        fc.string({ maxLength: 200 }),
        fc.integer({ min: -5000, max: 5000 }),
        part,
        async (method, path, body, offset, changed) => {
          const h = harness();
          const { record, secret } = await h.store.create(HMAC_KEY);
          const ts = String(NOW + offset);
          const signature = hmacSign(secret!, restCanonicalString(ts, method, path, body));
          const request = { credentials: { keyId: record.keyId, timestamp: ts, signature }, method, pathWithQuery: path, body, ip: '127.0.0.1' };
          const tampered = {
            method: { ...request, method: method === 'GET' ? 'POST' : 'GET' },
            path: { ...request, pathWithQuery: `${path}x` },
            body: { ...request, body: `${body} ` },
            timestamp: { ...request, credentials: { ...request.credentials, timestamp: String(NOW + offset + (offset > 0 ? -1 : 1)) } },
          }[changed];
          expect(await h.verifier.verifyRest(tampered)).toEqual({ ok: false, code: 'AUTH_INVALID' });
          expect((await h.verifier.verifyRest(request)).ok).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
