/**
 * WsClient behaviour that a real server does not produce on demand, driven through a scripted
 * socket (a test double of the WebSocket, the client's only dependency): out-of-order replies,
 * duplicate and stale private events, a book gap, and a connection lost with a request in flight.
 */
import { describe, expect, it } from 'vitest';
import type { ClientMessage, ServerMessage, Welcome } from '../../generated/asyncapi.js';
import { bookChecksum, ConnectionError, WsClient, type WebSocketLike } from '../../sdk/src/index.js';
import { eventually } from '../helpers/eventually.js';

const WELCOME: Welcome = {
  type: 'welcome', connectionId: 'c-test', serverTime: Date.now(),
  limits: { maxFrameBytes: 65536, maxSubscriptions: 50, pingIntervalMs: 15000, idleTimeoutMs: 60000, heartbeatIntervalMs: 5000, tickerIntervalMs: 250, conflateBytes: 1 << 20, maxBufferedBytes: 1 << 23, maxBatchRequests: 20 },
};

/** A socket whose server side the test scripts: `onRequest` answers what the client sends. */
class ScriptedSocket implements WebSocketLike {
  static sockets: ScriptedSocket[] = [];
  static onRequest: (socket: ScriptedSocket, request: ClientMessage) => void = () => undefined;
  readyState = 1;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly received: ClientMessage[] = [];

  constructor(readonly url: string) {
    ScriptedSocket.sockets.push(this);
    setTimeout(() => this.deliver(WELCOME), 0);
  }

  send(data: string): void {
    const request = JSON.parse(data) as ClientMessage;
    this.received.push(request);
    ScriptedSocket.onRequest(this, request);
  }

  close(code = 1000, reason = ''): void {
    this.serverClose(code, reason);
  }

  deliver(frame: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  reply(request: ClientMessage, result: unknown): void {
    this.deliver({ type: 'reply', id: request.id, op: request.op, result, rateLimit: [] } as unknown as ServerMessage);
  }

  serverClose(code: number, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function newClient(): WsClient {
  ScriptedSocket.sockets = [];
  // No test here waits for a request to time out: the limit only ends a script that never answers.
  return new WsClient({ url: 'ws://scripted/v1/ws', WebSocket: ScriptedSocket, reconnect: { baseMs: 5, maxMs: 10 }, requestTimeoutMs: 30_000 });
}

const until = (check: () => boolean) => eventually(() => {
  if (!check()) throw new Error('condition not reached');
}, { intervalMs: 2 });

describe('WsClient with a scripted server', () => {
  it('matches replies to requests by id, whatever order they come in', async () => {
    const held: ClientMessage[] = [];
    ScriptedSocket.onRequest = (_socket, request) => held.push(request);
    const ws = newClient();
    const first = ws.ping();
    const second = ws.ping();
    await until(() => held.length === 2);
    const socket = ScriptedSocket.sockets[0]!;
    socket.reply(held[1]!, { serverTime: 2 });
    socket.reply(held[0]!, { serverTime: 1 });
    expect(await first).toEqual({ serverTime: 1 });
    expect(await second).toEqual({ serverTime: 2 });
    await ws.close();
  });

  it('drops private events it has already applied, by sequence', async () => {
    ScriptedSocket.onRequest = (socket, request) => {
      if (request.op !== 'subscribe') return;
      socket.reply(request, { channel: 'orders', seq: 10 });
      socket.deliver({ type: 'orders.snapshot', seq: 10, orders: [] });
    };
    const ws = newClient();
    const seen: number[] = [];
    ws.on('orders.update', (u) => seen.push(u.seq));
    await ws.subscribe({ channel: 'orders' });
    const socket = ScriptedSocket.sockets[0]!;
    const update = (seq: number) => ({ type: 'orders.update', seq, ts: 0, event: 'accepted', order: {} }) as unknown as ServerMessage;
    for (const seq of [11, 11, 9, 10, 12]) socket.deliver(update(seq));
    expect(seen).toEqual([11, 12]);
    expect(ws.duplicatesDropped).toBe(3);
    await ws.close();
  });

  it('resubscribes a book that missed a frame, and is whole again after the next snapshot', async () => {
    const snapshot = (bookSeq: number, bids: [string, string][]) =>
      ({ type: 'book.snapshot', symbol: 'BTC-USD', depth: 5, seq: bookSeq, bookSeq, bids, asks: [], checksum: bookChecksum(bids, []) }) as ServerMessage;
    let subscribes = 0;
    ScriptedSocket.onRequest = (socket, request) => {
      if (request.op === 'subscribe') {
        subscribes++;
        socket.reply(request, { channel: 'book', symbol: 'BTC-USD', depth: 5 });
        socket.deliver(subscribes === 1 ? snapshot(7, [['100', '1']]) : snapshot(9, [['101', '2']]));
      } else if (request.op === 'unsubscribe') {
        socket.reply(request, { channel: 'book', symbol: 'BTC-USD', depth: 5 });
      }
    };
    const ws = newClient();
    const book = await ws.book('BTC-USD', 5);
    expect(book.bids).toEqual([['100', '1']]);
    const socket = ScriptedSocket.sockets[0]!;
    socket.deliver({ type: 'book.update', symbol: 'BTC-USD', depth: 5, seq: 9, prevBookSeq: 8, bookSeq: 9, bids: [['101', '2']], asks: [], checksum: bookChecksum([['101', '2'], ['100', '1']], []) });
    await until(() => book.synced && book.bookSeq === 9);
    expect(socket.received.map((r) => r.op)).toEqual(['subscribe', 'unsubscribe', 'subscribe']);
    expect(book.bids).toEqual([['101', '2']]);
    expect(book.resyncs).toBe(1);
    await ws.close();
  });

  it('rejects a request cut off by a lost connection as maybe delivered, then reconnects', async () => {
    ScriptedSocket.onRequest = () => undefined;
    const ws = newClient();
    await ws.connect();
    const placing = ws.placeOrder({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '1', quantity: '1', clientOrderId: 'cut-1' });
    await until(() => ScriptedSocket.sockets[0]!.received.length === 1);
    ScriptedSocket.sockets[0]!.serverClose(1006);
    const error = await placing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).maybeDelivered).toBe(true);
    await until(() => ws.connected && ScriptedSocket.sockets.length === 2);
    // Order requests are never re-sent on the new connection.
    expect(ScriptedSocket.sockets[1]!.received).toEqual([]);
    await ws.close();
  });
});
