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

  it('is the one parser the FIX session layer uses too', () => {
    expect(parseUtcTimestamp).toBe(parseFixUtcTimestamp);
  });

  it.each(['20250231-00:00:00', '20250615-25:00:00', '2025-06-15T15:06:40Z', '20250615-15:06:40.', '20250615-15:06:40.1234567890', ''])('rejects malformed FIX UTCTimestamp %j', (text) => {
    expect(parseFixUtcTimestamp(text)).toBeUndefined();
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
