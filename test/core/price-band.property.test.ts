/**
 * The price band's bounds, kept per instrument and worked out again only when the reference
 * moves, against the band's rule written directly (|2p − r| × 10,000 <= r × bps, r = 2 × the
 * last price, else best bid + best ask): over a stream of reference changes (trades, quotes
 * coming and going) and prices probed between them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookNode } from '../../server/src/core/book.js';
import { Instrument } from '../../server/src/core/model.js';
import { withinBand } from '../../server/src/core/price-band.js';

type Move = { k: 'trade'; price: bigint } | { k: 'quote'; side: 'bid' | 'ask'; price: bigint | null } | { k: 'probe'; price: bigint };

const price = fc.bigInt({ min: 1n, max: 2_000n });
const move: fc.Arbitrary<Move> = fc.oneof(
  fc.record({ k: fc.constant('trade' as const), price }),
  fc.record({ k: fc.constant('quote' as const), side: fc.constantFrom('bid' as const, 'ask' as const), price: fc.option(price) }),
  { weight: 4, arbitrary: fc.record({ k: fc.constant('probe' as const), price }) },
);

function rule(p: bigint, last: bigint | null, bid: bigint | null, ask: bigint | null, bps: number): boolean {
  if (bps === 0) return true;
  const r = last !== null ? 2n * last : bid !== null && ask !== null ? bid + ask : null;
  if (r === null) return true;
  const d = 2n * p - r;
  return (d < 0n ? -d : d) * 10_000n <= r * BigInt(bps);
}

describe('price band bounds', () => {
  it('say what the rule says, however the reference moves', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 12_000 }), fc.array(move, { maxLength: 60 }), (bps, moves) => {
      const usd = { asset: 'USD', decimals: 2 };
      const btc = { asset: 'BTC', decimals: 0 };
      const inst = new Instrument('BTC-USD', btc, usd, 1n, 1n, 1n, 10n, 0n, bps, 'open', 1n, 10, 1_440);
      let bid: bigint | null = null;
      let ask: bigint | null = null;
      const node: Record<'bid' | 'ask', BookNode> = {
        bid: { prev: null, next: null, level: null, remaining: 1n },
        ask: { prev: null, next: null, level: null, remaining: 1n },
      };
      for (const m of moves) {
        if (m.k === 'trade') inst.md.lastPrice = m.price;
        else if (m.k === 'quote') {
          const side = m.side === 'bid' ? inst.bids : inst.asks;
          if (node[m.side].level !== null) side.remove(node[m.side]);
          if (m.price !== null) side.append(node[m.side], m.price, String(m.price));
          if (m.side === 'bid') bid = m.price;
          else ask = m.price;
        } else {
          expect(withinBand(inst, m.price)).toBe(rule(m.price, inst.md.lastPrice, bid, ask, bps));
          // Around both edges of the band, where rounding would show (located roughly, judged by the rule).
          const r2 = inst.md.lastPrice !== null ? 2 * Number(inst.md.lastPrice) : bid !== null && ask !== null ? Number(bid + ask) : 0;
          for (const edge of [Math.floor((r2 / 2) * (1 + bps / 10_000)), Math.ceil((r2 / 2) * (1 - bps / 10_000))]) {
            for (let p = BigInt(edge - 3); p <= BigInt(edge + 3); p++) {
              if (p > 0n) expect(withinBand(inst, p)).toBe(rule(p, inst.md.lastPrice, bid, ask, bps));
            }
          }
        }
      }
    }), { numRuns: 300 });
  });
});
