/**
 * FIX and WebSocket market data agree, on the whole service (REST, WebSocket and FIX over real
 * sockets, the durable sequencer): random streams of orders over REST move the book; a FIX
 * market-data session (a read-only key, created through REST with `fixSession.marketData`) and a
 * WebSocket `book` subscription of the same depth must see the same book at every book sequence,
 * and both must end at REST's book.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../server/src/config/schema.js';
import type { Field, FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { signedFetch, type HmacCredentials } from '../../helpers/signing.js';
import { eventually } from '../../helpers/eventually.js';
import { startTestService, type TestService } from '../../helpers/service.js';
import { LocalBook as WsBook } from '../ws/local-book.js';
import { WsTestClient } from '../ws/client.js';
import { FixClient, signLogon } from './harness.js';

const DEPTH = 5;
type Levels = { bids: [string, string][]; asks: [string, string][] };

let service: TestService;
let maker: HmacCredentials & { accountId: string };
let taker: HmacCredentials & { accountId: string };
let fix: FixClient;
let ws: WsTestClient;
/** The book each channel showed after each change, by book sequence. */
const fixStates = new Map<number, Levels>();
const wsStates = new Map<number, Levels>();

beforeAll(async () => {
  // Order-rate budgets out of the way: the streams place orders as fast as REST answers.
  service = await startTestService({ config: { limits: { ...DEFAULT_CONFIG.limits, ordersPerSecond: 1_000_000, ordersPer10Seconds: 10_000_000, keyWeightPerSecond: 1_000_000, ipWeightPerSecond: 1_000_000 } } });
  maker = await service.createTrader('agree-maker');
  taker = await service.createTrader('agree-taker');
  const reader = await service.createTrader('agree-reader', {}, ['read'], { fixSenderCompId: 'MDAGREE', fixSession: { marketData: true } });

  fix = await FixClient.connect(service.fixPort!, 'MDAGREE', 'EXCHANGE');
  fix.logon({ keyId: reader.keyId, secret: Buffer.from(reader.secret, 'base64url'), accountId: reader.accountId, senderCompId: 'MDAGREE' }, { reset: true });
  fix.seq = 2;
  expect((await fix.next()).msgType).toBe('A');
  const request: Field[] = [[262, 'agree'], [263, '1'], [264, String(DEPTH)], [267, '2'], [269, '0'], [269, '1'], [146, '1'], [55, 'BTC-USD']];
  fix.send('V', request);
  void followFix();

  ws = await WsTestClient.connect(`ws://127.0.0.1:${service.httpPort}/v1/ws`);
  const book = new WsBook();
  ws.ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.type !== 'book.snapshot' && frame.type !== 'book.update') return;
    book.apply(frame);
    expect(book.problem).toBeUndefined();
    wsStates.set(book.bookSeq, book.levels());
  });
  await ws.ok('subscribe', { channel: 'book', symbol: 'BTC-USD', depth: DEPTH });
});

afterAll(async () => {
  fix?.close();
  ws?.close();
  await service?.stop();
});

/** Reads W and X for as long as the connection lives, recording the book after each. */
async function followFix(): Promise<void> {
  const bids = new Map<string, string>();
  const asks = new Map<string, string>();
  let rptSeq = 0;
  for (;;) {
    let m: FixMessage;
    try {
      m = await fix.next(undefined, 120_000);
    } catch {
      return; // closed at the end of the file
    }
    if (m.msgType !== 'W' && m.msgType !== 'X') continue;
    if (m.msgType === 'W') {
      bids.clear();
      asks.clear();
      rptSeq = Number(m.get(83));
    }
    for (const e of groupEntries(m)) {
      const side = e.get(269) === '0' ? bids : asks;
      if (e.get(279) === '2') side.delete(e.get(270)!);
      else side.set(e.get(270)!, e.get(271)!);
      if (e.has(83)) rptSeq = Number(e.get(83));
    }
    fixStates.set(rptSeq, {
      bids: [...bids].sort((a, b) => Number(b[0]) - Number(a[0])),
      asks: [...asks].sort((a, b) => Number(a[0]) - Number(b[0])),
    });
  }
}

function groupEntries(m: FixMessage): Array<Map<number, string>> {
  const start = m.tags.indexOf(268);
  const delimiter = m.tags[start + 1];
  const out: Array<Map<number, string>> = [];
  for (let i = start + 1; i < m.tags.length && m.tags[i] !== 10; i++) {
    if (m.tags[i] === delimiter) out.push(new Map());
    out.at(-1)?.set(m.tags[i]!, m.values[i]!);
  }
  return out;
}

async function restBook(): Promise<{ bookSeq: number } & Levels> {
  const res = await fetch(`http://127.0.0.1:${service.httpPort}/v1/instruments/BTC-USD/book?depth=${DEPTH}`);
  const body = (await res.json()) as { bookSeq: number; bids: Array<{ price: string; quantity: string }>; asks: Array<{ price: string; quantity: string }> };
  return { bookSeq: body.bookSeq, bids: body.bids.map((l) => [l.price, l.quantity]), asks: body.asks.map((l) => [l.price, l.quantity]) };
}

const order = fc.record({
  maker: fc.boolean(),
  side: fc.constantFrom('buy', 'sell'),
  // Prices around 30000.00 in a few ticks, so levels pile up, cross and leave the top five.
  ticks: fc.integer({ min: -12, max: 12 }),
  lots: fc.integer({ min: 1, max: 40 }),
});

describe('FIX and WebSocket market data', () => {
  it('show the same book at every book sequence, and end at REST\'s book', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(order, { minLength: 5, maxLength: 25 }), async (orders) => {
        for (const o of orders) {
          const price = (3_000_000 + o.ticks * 50).toString().replace(/(\d\d)$/, '.$1');
          const res = await signedFetch(service.baseUrl, o.maker ? maker : taker, 'POST', '/v1/orders', {
            body: { symbol: 'BTC-USD', side: o.side, type: 'limit', price, quantity: (o.lots / 1000).toFixed(3), selfTradePrevention: 'cancel_newest' },
          });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
        }
        // Every order is durable now; its events reach both channels on a later turn. The top five's
        // book sequence is the last change that altered it, which may be older than the book's.
        const rest = await restBook();
        const latest = (states: Map<number, Levels>): number => Math.max(...states.keys());
        const seen = await eventually(() => {
          const at = latest(fixStates);
          expect(latest(wsStates)).toBe(at);
          expect(fixStates.get(at)).toEqual({ bids: rest.bids, asks: rest.asks });
          return at;
        });
        expect(seen).toBeLessThanOrEqual(rest.bookSeq);
        // Every book sequence FIX showed, WebSocket showed too, with the same levels (and the reverse).
        const upTo = (states: Map<number, Levels>) => [...states.keys()].filter((s) => s <= seen).sort((a, b) => a - b);
        expect(upTo(fixStates)).toEqual(upTo(wsStates));
        expect(upTo(fixStates).length).toBeGreaterThan(1);
        for (const seq of upTo(fixStates)) expect(fixStates.get(seq), `bookSeq ${seq}`).toEqual(wsStates.get(seq));
      }),
      // The book carries over from run to run, so a shrunk stream would not replay the failure: report the first.
      { numRuns: 4, endOnFailure: true },
    );
  }, 120_000);
});
