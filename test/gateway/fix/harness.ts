/** Real acceptor, real core, real sockets: the pieces FIX scenario tests are built from. */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { fixLogonPrehash } from '../../../server/src/auth/canonical.js';
import { MemoryApiKeyStore } from '../../../server/src/auth/memory-key-store.js';
import { RequestVerifier } from '../../../server/src/auth/verifier.js';
import { createCore } from '../../../server/src/core/index.js';
import type { Command } from '../../../server/src/core/api.js';
import { encodeMessage, FrameDecoder, parseFrame, type Field, type FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { startFixAcceptor, type FixAcceptor, type FixAcceptorOptions } from '../../../server/src/gateway/fix/acceptor.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { openHistoryStore } from '../../../server/src/history/index.js';
import { configuredOrderPolicies, OrderRateLimiter } from '../../../server/src/limits/index.js';
import { OrderEntry } from '../../../server/src/order-entry/order-entry.js';
import { createInMemorySequencer } from '../../../server/src/sequencer/in-memory.js';
import type { Clock } from '../../../server/src/sequencer/clock.js';
import { MemoryIdempotencyStore } from '../../../server/src/storage/idempotency-store.js';
import { eventually } from '../../helpers/eventually.js';
import type { CommandBus } from '../../../server/src/sequencer/api.js';

export const EXCH = 'EXCH';
const silent = pino({ level: 'silent' });
/** How long a test waits for a message or a close before calling it lost: a limit for a hung peer, not a measure of speed. */
const SIGNAL_TIMEOUT_MS = 30_000;

export const MARKET_SETUP: Command[] = [
  { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
  {
    type: 'AddInstrument',
    spec: { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001', maxQuantity: '1000', minNotional: '0', priceBandBps: 0, status: 'open' },
  },
];

export function fundAccount(accountId: string): Command[] {
  return [
    { type: 'CreateAccount', accountId, maxOpenOrders: 100_000 },
    { type: 'Deposit', accountId, asset: 'USD', amount: '100000000' },
    { type: 'Deposit', accountId, asset: 'BTC', amount: '100000' },
  ];
}

export interface TestKey { keyId: string; secret: Buffer; accountId: string; senderCompId: string }

export interface TestVenue {
  acceptor: FixAcceptor;
  bus: CommandBus;
  /** The order entry the acceptor uses (tests place orders "from another channel" through it). */
  orders: OrderEntry;
  keyStore: MemoryApiKeyStore;
  keys: Record<string, TestKey>;
  dataDir: string;
  options: FixAcceptorOptions;
  /** Stops the acceptor (keeping the data directory unless `keepData`). */
  close(keepData?: boolean): Promise<void>;
  /** Stops and starts the acceptor again on the same data directory and core. */
  restart(): Promise<void>;
}

export interface VenueOptions {
  /** SenderCompID -> account; one HMAC key is created for each. */
  clients?: Record<string, string>;
  acceptor?: Partial<FixAcceptorOptions>;
  dataDir?: string;
  /** Order-rate budgets per account (default: large enough never to refuse). */
  orderLimits?: { ordersPerSecond: number; ordersPer10Seconds: number };
  /** The clock of the order-rate budgets and order entry. */
  now?: () => number;
  /** The sequencer's clock, which stamps commands: GTD expiry is measured on it (default: the system clock). */
  sequencerClock?: Clock;
}

export async function startVenue(opts: VenueOptions = {}): Promise<TestVenue> {
  const bus = createInMemorySequencer(createCore(), opts.sequencerClock, silent);
  // Finished orders leave the core; like the service, the venue finds them in a history projection.
  const history = openHistoryStore(':memory:');
  bus.onEvents((events) => history.project(events));
  const clients = opts.clients ?? { CLIENT: 'acc-1' };
  for (const c of MARKET_SETUP) await bus.submit(c);
  for (const account of new Set(Object.values(clients))) for (const c of fundAccount(account)) await bus.submit(c);
  const keyStore = new MemoryApiKeyStore();
  const keys: Record<string, TestKey> = {};
  for (const [senderCompId, accountId] of Object.entries(clients)) {
    const created = await keyStore.create({ accountId, kind: 'hmac', label: senderCompId, scopes: ['read', 'trade'], senderCompId });
    keys[senderCompId] = { keyId: created.record.keyId, secret: Buffer.from(created.secret!, 'base64url'), accountId, senderCompId };
  }
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'fix-test-'));
  const clock = opts.now ?? Date.now;
  const limits = opts.orderLimits ?? { ordersPerSecond: 1_000_000, ordersPer10Seconds: 10_000_000 };
  const orders = new OrderEntry({
    bus, history, clock, idempotency: new MemoryIdempotencyStore(),
    orderLimiter: new OrderRateLimiter({ now: clock, policies: configuredOrderPolicies({ keyWeightPerSecond: 100, ipWeightPerSecond: 300, ...limits }) }),
  });
  const options: FixAcceptorOptions = {
    bus,
    orders,
    authenticator: new RequestVerifier({ store: keyStore }),
    keyStore,
    dataDir,
    compId: EXCH,
    logger: silent,
    ...opts.acceptor,
  };
  const venue: TestVenue = {
    acceptor: await startFixAcceptor(options),
    bus, orders, keyStore, keys, dataDir, options,
    async close(keepData = false) {
      await venue.acceptor.close();
      history.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await venue.acceptor.close();
      venue.acceptor = await startFixAcceptor({ ...options, port: venue.acceptor.port });
    },
  };
  return venue;
}

export function signLogon(secret: Buffer, sendingTime: string, seq: number, sender: string, target = EXCH): string {
  return createHmac('sha256', secret).update(fixLogonPrehash({ sendingTime, msgType: 'A', msgSeqNum: seq, senderCompId: sender, targetCompId: target })).digest('base64');
}

/** A raw FIX client over a real socket that records every message it receives. */
export class FixClient {
  readonly received: FixMessage[] = [];
  closed = false;
  seq = 1;
  private readonly waiters: Array<() => void> = [];
  private cursor = 0;

  private constructor(private readonly socket: Socket, readonly sender: string, readonly target: string) {
    const decoder = new FrameDecoder((f) => {
      this.received.push(parseFrame(f));
      this.wake();
    });
    socket.on('data', (c) => decoder.push(c));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, sender = 'CLIENT', target = EXCH): Promise<FixClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new FixClient(socket, sender, target);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Writes raw bytes. */
  writeRaw(data: string): void {
    this.socket.write(data, 'latin1');
  }

  /**
   * Sends a message with a standard header (seq taken from and advancing `this.seq` unless
   * `seq` is given). `header` adds header fields after SendingTime.
   */
  send(msgType: string, body: Field[] = [], o: { seq?: number; sendingTime?: string; header?: Field[]; sender?: string; target?: string; beginString?: string } = {}): number {
    const seq = o.seq ?? this.seq++;
    const fields: Field[] = [
      [35, msgType], [49, o.sender ?? this.sender], [56, o.target ?? this.target], [34, String(seq)],
      [52, o.sendingTime ?? formatUtcTimestamp(Date.now())], ...(o.header ?? []), ...body,
    ];
    this.writeRaw(encodeMessage(o.beginString ?? 'FIX.4.4', fields));
    return seq;
  }

  logon(key: TestKey, o: { heartBtInt?: number; reset?: boolean; seq?: number; extra?: Field[]; signature?: string } = {}): number {
    const seq = o.seq ?? this.seq;
    const sendingTime = formatUtcTimestamp(Date.now());
    const body: Field[] = [[98, '0'], [108, String(o.heartBtInt ?? 30)]];
    if (o.reset) body.push([141, 'Y']);
    body.push([553, key.keyId], [554, o.signature ?? signLogon(key.secret, sendingTime, seq, this.sender, this.target)], ...(o.extra ?? []));
    return this.send('A', body, { seq, sendingTime });
  }

  /**
   * Waits for the next unread message (optionally of a type), failing after timeoutMs: a bound for
   * a message that never comes, generous because a busy machine delays the ones that do.
   */
  async next(msgType?: string, timeoutMs = SIGNAL_TIMEOUT_MS): Promise<FixMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.received.length) {
        const m = this.received[this.cursor++]!;
        if (msgType === undefined || m.msgType === msgType) return m;
      }
      if (this.closed) throw new Error(`connection closed while waiting for ${msgType ?? 'a message'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${msgType ?? 'a message'}; got ${this.received.map((m) => m.msgType).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  async waitClosed(timeoutMs = SIGNAL_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects and logs on, consuming the Logon reply. */
export async function loggedOn(venue: TestVenue, sender = 'CLIENT', o: Parameters<FixClient['logon']>[1] = {}): Promise<FixClient> {
  // A previous connection of the same session may still be closing on the acceptor's side.
  await eventually(() => {
    if (venue.acceptor.sessions.get(sender)?.isConnected) throw new Error(`session ${sender} is still connected`);
  });
  const client = await FixClient.connect(venue.acceptor.port, sender);
  client.logon(venue.keys[sender]!, o);
  client.seq = (o.seq ?? 1) + 1;
  const reply = await client.next();
  if (reply.msgType !== 'A') throw new Error(`expected Logon, got ${reply.msgType} ${reply.get(58) ?? ''}`);
  return client;
}
