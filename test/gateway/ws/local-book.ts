/**
 * A client's local copy of one book subscription, kept the way docs/websocket.md tells clients
 * to: start from book.snapshot, apply book.update, check prevBookSeq and the CRC-32 checksum.
 * Written from the documentation (zlib's crc32 directly), independent of the server's code.
 */
import { crc32 } from 'node:zlib';
import type { Frame } from './client.js';

type Side = Map<string, string>;

const num = (s: string) => Number(s);

export class LocalBook {
  bids: Side = new Map();
  asks: Side = new Map();
  bookSeq = -1;
  /** Set when a frame did not continue the sequence or the checksum disagreed. */
  problem: 'gap' | 'checksum' | undefined;

  apply(frame: Frame): void {
    if (frame.type === 'book.snapshot') {
      this.bids = new Map(frame.bids as [string, string][]);
      this.asks = new Map(frame.asks as [string, string][]);
      this.problem = undefined;
    } else if (frame.type === 'book.update') {
      if (this.problem) return;
      if (frame.prevBookSeq !== this.bookSeq) {
        this.problem = 'gap';
        return;
      }
      for (const [side, levels] of [[this.bids, frame.bids], [this.asks, frame.asks]] as [Side, [string, string][]][]) {
        for (const [price, quantity] of levels) {
          if (num(quantity) === 0) side.delete(price);
          else side.set(price, quantity);
        }
      }
    } else {
      return;
    }
    this.bookSeq = frame.bookSeq;
    if (this.checksum() !== frame.checksum) this.problem = 'checksum';
  }

  levels(): { bids: [string, string][]; asks: [string, string][] } {
    return {
      bids: [...this.bids].sort((a, b) => num(b[0]) - num(a[0])),
      asks: [...this.asks].sort((a, b) => num(a[0]) - num(b[0])),
    };
  }

  checksum(): number {
    const { bids, asks } = this.levels();
    const text = (side: [string, string][]) => side.map(([p, q]) => `${p}:${q}`).join(',');
    return crc32(Buffer.from(`${text(bids)}|${text(asks)}`, 'utf8'));
  }
}
