/**
 * Slow readers of FIX market data, the WebSocket way: while a session's unread output is above
 * `conflateBytes` its updates are skipped, and once it drains below half of that it gets a fresh
 * snapshot (W) of the current book, then updates again. The session here is a stand-in that
 * records what it is sent and reports whatever unread output the test sets; the core, the bus
 * and the market-data module are the real ones.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore } from '../../../server/src/core/index.js';
import type { Field } from '../../../server/src/gateway/fix/codec.js';
import { FixMarketData } from '../../../server/src/gateway/fix/market-data.js';
import type { FixSession } from '../../../server/src/gateway/fix/session.js';
import type { CommandBus } from '../../../server/src/sequencer/api.js';
import { createInMemorySequencer } from '../../../server/src/sequencer/in-memory.js';
import { fundAccount, MARKET_SETUP } from './harness.js';
import { parse } from './helpers.js';

class RecordingSession {
  readonly sent: Array<{ msgType: string; body: readonly Field[] }> = [];
  bufferedBytes = 0;
  keyId = 'key-1';
  sendUnstored(msgType: string, body: readonly Field[]): boolean {
    this.sent.push({ msgType, body });
    return true;
  }
  sendApplication(msgType: string, body: readonly Field[]): number {
    this.sent.push({ msgType, body });
    return this.sent.length;
  }
  take(): Array<{ msgType: string; body: readonly Field[] }> {
    return this.sent.splice(0);
  }
}

const get = (body: readonly Field[], tag: number): string | undefined => body.find(([t]) => t === tag)?.[1];
const levels = (body: readonly Field[], type: string): string[] => {
  const out: string[] = [];
  for (let i = 0; i < body.length; i++) if (body[i]![0] === 269 && body[i]![1] === type) out.push(`${get(body.slice(i + 1), 270)}:${get(body.slice(i + 1), 271)}`);
  return out;
};

let bus: CommandBus;
let md: FixMarketData;
let session: RecordingSession;
let n = 0;

/** Places an order and returns once its events were delivered (to the market data first: it listened first). */
async function place(side: 'buy' | 'sell', price: string, quantity = '1'): Promise<void> {
  let stop = (): void => {};
  const delivered = new Promise<void>((resolve) => {
    stop = bus.onEvents(() => resolve());
  });
  const result = await bus.submit({ type: 'PlaceOrder', accountId: 'acc-1', symbol: 'BTC-USD', clientOrderId: `o${++n}`, side, orderType: 'limit', price, quantity, timeInForce: 'GTC' });
  expect(result.ok).toBe(true);
  await delivered;
  stop();
}

beforeEach(async () => {
  bus = createInMemorySequencer(createCore(), undefined, pino({ level: 'silent' }));
  for (const c of [...MARKET_SETUP, ...fundAccount('acc-1')]) await bus.submit(c);
  // The catch-up timer is left to the test (an hour): it calls catchUp() when it wants one.
  md = new FixMarketData(bus, () => ({ entitled: true, ip: '127.0.0.1' }), pino({ level: 'silent' }), { conflateBytes: 1000, catchUpIntervalMs: 3_600_000 });
  session = new RecordingSession();
  await place('buy', '99');
  await md.onRequest(session as unknown as FixSession, parse('35=V|49=C|56=E|34=2|52=20250101-00:00:00|262=slow|263=1|264=5|267=2|269=0|269=1|146=1|55=BTC-USD|'));
  expect(session.take().map((m) => m.msgType)).toEqual(['W']);
});
afterEach(() => md.close());

describe('FIX market data for a slow reader', () => {
  it('skips updates while the unread output is above conflateBytes, then sends a fresh W once it drains below half', async () => {
    session.bufferedBytes = 1001;
    await place('buy', '98');
    await place('sell', '101');
    expect(session.take()).toEqual([]);

    session.bufferedBytes = 501; // drained, but not below half: still owed
    md.catchUp();
    expect(session.take()).toEqual([]);

    session.bufferedBytes = 500;
    md.catchUp();
    const [w, ...rest] = session.take();
    expect(rest).toEqual([]);
    expect(w!.msgType).toBe('W');
    const book = bus.core.book('BTC-USD', 5)!;
    expect(Number(get(w!.body, 83))).toBe(book.bookSeq);
    expect(levels(w!.body, '0')).toEqual(book.bids.map((l) => `${l.price}:${l.quantity}`));
    expect(levels(w!.body, '1')).toEqual(book.asks.map((l) => `${l.price}:${l.quantity}`));

    // Caught up: updates flow again, and nothing more is owed.
    await place('sell', '102');
    expect(session.take().map((m) => m.msgType)).toEqual(['X']);
    md.catchUp();
    expect(session.take()).toEqual([]);
  });

  it('keeps sending updates while the unread output stays at or below conflateBytes', async () => {
    session.bufferedBytes = 1000;
    await place('buy', '98');
    const sent = session.take();
    expect(sent.map((m) => m.msgType)).toEqual(['X']);
    expect(levels(sent[0]!.body, '0')).toEqual(['98:1']);
  });
});
