import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../server/src/core/api.js';
import {
  decodeCommandReply, decodeCommandRequest, decodeEnvelope, encodeCommandReply, encodeCommandRequest, encodeEnvelope, EnvelopeFormatError,
  type SequencedEnvelope,
} from '../../server/src/fleet/envelope.js';

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    type: fc.constant('PlaceOrder' as const),
    accountId: fc.string({ minLength: 1, maxLength: 12 }),
    symbol: fc.constantFrom('BTC-USD', 'ETH-USD', 'Ünïcødé-€'),
    clientOrderId: fc.string({ maxLength: 36 }),
    side: fc.constantFrom('buy' as const, 'sell' as const),
    orderType: fc.constant('limit' as const),
    price: fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
    quantity: fc.nat().map((n) => `0.${n}`),
    timeInForce: fc.constant('GTC' as const),
  }),
  fc.record({ type: fc.constant('Deposit' as const), accountId: fc.string(), asset: fc.string(), amount: fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String) }),
  fc.constant({ type: 'ExpireOrders' as const }),
);
const envelope: fc.Arbitrary<SequencedEnvelope> = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  term: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  command,
});
const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('log envelope codec', () => {
  it('decodes what it encodes, amounts digit for digit', () => {
    fc.assert(fc.property(envelope, (e) => {
      expect(decodeEnvelope(encodeEnvelope(e), e.seq)).toEqual(e);
    }));
  });

  it('refuses an envelope whose seq is not its stream sequence', () => {
    fc.assert(fc.property(envelope, fc.integer({ min: 1, max: 1_000 }), (e, shift) => {
      expect(() => decodeEnvelope(encodeEnvelope(e), e.seq + shift)).toThrow(EnvelopeFormatError);
    }));
  });

  it('refuses damaged or malformed messages', () => {
    const good = { seq: 3, time: 1_700_000_000_000, term: 2, command: { type: 'ExpireOrders' } };
    for (const bad of [
      new Uint8Array([0xff, 0xfe]),
      new TextEncoder().encode('{"seq":3,'),
      bytesOf([good]),
      bytesOf({ ...good, seq: 0 }),
      bytesOf({ ...good, seq: 1.5 }),
      bytesOf({ ...good, time: -1 }),
      bytesOf({ ...good, time: '1' }),
      bytesOf({ ...good, command: { kind: 'ExpireOrders' } }),
      bytesOf({ ...good, term: 0 }),
      bytesOf({ seq: 3, time: 1, command: { type: 'ExpireOrders' } }),
      bytesOf({ seq: 3, time: 1, term: 1 }),
    ]) {
      expect(() => decodeEnvelope(bad)).toThrow(EnvelopeFormatError);
    }
    expect(decodeEnvelope(bytesOf(good), 3)).toEqual(good);
  });
});

describe('command request and reply codec', () => {
  it('round-trips commands and replies', () => {
    fc.assert(fc.property(command, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (c, seq) => {
      expect(decodeCommandRequest(encodeCommandRequest(c))).toEqual(c);
      expect(decodeCommandReply(encodeCommandReply({ seq }))).toEqual({ seq });
    }));
    const refusal = { error: { code: 'NOT_LEADER' as const, message: 'node n2 is a standby' } };
    expect(decodeCommandReply(encodeCommandReply(refusal))).toEqual(refusal);
  });

  it('refuses a request that is not a command and a reply of neither shape', () => {
    expect(() => decodeCommandRequest(bytesOf({ accountId: 'a' }))).toThrow(EnvelopeFormatError);
    expect(() => decodeCommandRequest(bytesOf('PlaceOrder'))).toThrow(EnvelopeFormatError);
    expect(() => decodeCommandReply(bytesOf({ seq: 0 }))).toThrow(EnvelopeFormatError);
    expect(() => decodeCommandReply(bytesOf({ error: { code: 'X' } }))).toThrow(EnvelopeFormatError);
  });
});
