import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ownCopy, parseFrame } from '../../../server/src/gateway/fix/codec.js';

describe('ownCopy (a value kept beyond its message)', () => {
  it('is the same text for any latin1 value, long or short, cut out of a frame or not', () => {
    fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 }), (text) => {
      expect(ownCopy(text)).toBe(text);
    }));
  });

  it('copies a ClOrdID long enough to be cut out as a slice of its frame', () => {
    const SOH = '\x01';
    const clOrdId = '0b7e5a8c-4d0f-4a43-9a1e-7d2f3c9b6e11';
    const body = `35=D${SOH}49=C${SOH}56=S${SOH}34=2${SOH}52=20261207-09:00:00.000${SOH}11=${clOrdId}${SOH}`;
    const head = `8=FIX.4.4${SOH}9=${body.length}${SOH}`;
    let sum = 0;
    for (const ch of head + body) sum += ch.charCodeAt(0);
    const frame = `${head}${body}10=${String(sum & 255).padStart(3, '0')}${SOH}`;
    const value = parseFrame(frame).get(11)!;
    expect(ownCopy(value)).toBe(clOrdId);
  });

  it('keeps only itself alive, where the parsed value keeps its whole frame', () => {
    // 1,000 ClOrdIDs from frames of about 50 KB each: 50 MB if each keeps its frame.
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'support', 'own-copy-retention.ts')], { encoding: 'utf8' });
    const { slices, copies } = JSON.parse(out) as { slices: number; copies: number };
    expect(slices).toBeGreaterThan(40_000_000);
    expect(copies).toBeLessThan(1_000_000);
  }, 60_000);
});
