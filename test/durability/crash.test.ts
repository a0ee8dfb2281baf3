/**
 * Crash test with a real process and real files: the sequencer server is killed with SIGKILL
 * at random moments while several clients send orders concurrently, then restarted. After
 * every restart: every acknowledged command's events are in the journal exactly as
 * acknowledged, the server's books and balances equal an independent replay of the journal,
 * balances are conserved, trade ids run 1..n without gaps or duplicates, and the history
 * store holds every fill and order exactly once.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BalanceView, BookSnapshot, CoreEvent, OrderFilled, OrderView } from '../../server/src/core/api.js';
import { eventually } from '../helpers/eventually.js';
import { HarnessClient, startServer, type RunningServer } from './harness/client.js';
import { JournalReplay } from './support/replay.js';
import { tempDirs } from './support/temp-dir.js';
import { DEPOSITS, FEE_ACCOUNT, random, runClient, setupCommands, SYMBOLS, TRADERS, type Acknowledged } from './support/workload.js';

const newDir = tempDirs('crash');
const ALL_ACCOUNTS = [...TRADERS, FEE_ACCOUNT];
const CLIENTS = 4;
/** Commands every run has acknowledged before its kill, so every restart has something to lose. */
const MIN_ACKED_PER_RUN = 50;

/** Exact sum of decimal strings (the test must not use floating point on money either). */
function sumDecimals(values: string[]): string {
  const scale = Math.max(0, ...values.map((v) => (v.split('.')[1] ?? '').length));
  const toUnits = (v: string) => {
    const [int, frac = ''] = v.replace('-', '').split('.');
    const units = BigInt(int! + frac.padEnd(scale, '0'));
    return v.startsWith('-') ? -units : units;
  };
  const total = values.reduce((acc, v) => acc + toUnits(v), 0n);
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const fraction = scale === 0 ? '' : digits.slice(-scale).replace(/0+$/, '');
  const text = (scale === 0 ? digits : digits.slice(0, -scale)) + (fraction ? `.${fraction}` : '');
  return `${negative ? '-' : ''}${text}`;
}

interface ServerState {
  seq: number;
  books: Record<string, BookSnapshot>;
  balances: Record<string, BalanceView[] | null>;
}

async function query<T>(client: HarnessClient, body: object, key: string): Promise<T> {
  return (await client.request(body))[key] as T;
}

async function verify(dataDir: string, client: HarnessClient, acked: Acknowledged[], replay: JournalReplay): Promise<void> {
  // Records, once durable, never change; the journal only grows (update() throws otherwise).
  await replay.update(join(dataDir, 'journal'));
  const state = await query<ServerState>(client, { query: 'state', accounts: ALL_ACCOUNTS, symbols: SYMBOLS }, 'state');

  // The server's recovered state is what an independent replay of its journal gives.
  expect(state.seq).toBe(replay.core.seq);
  for (const symbol of SYMBOLS) expect(state.books[symbol]).toEqual(replay.core.book(symbol));
  for (const account of ALL_ACCOUNTS) expect(state.balances[account]).toEqual(replay.core.balances(account) ?? null);

  // Every acknowledged command's events are in the journal's history exactly as acknowledged.
  for (const { result } of acked) {
    for (const event of result.events) expect(replay.events[event.seq - 1]).toEqual(event);
  }
  expect(replay.events.map((e) => e.seq)).toEqual(replay.events.map((_, i) => i + 1));

  // Conservation: trading and fees move money between accounts, never create or destroy it.
  for (const [asset, perAccount] of Object.entries(DEPOSITS)) {
    const totals = ALL_ACCOUNTS.map((a) => state.balances[a]?.find((b) => b.asset === asset)?.total ?? '0');
    expect(sumDecimals(totals)).toBe(sumDecimals(TRADERS.map(() => perAccount)));
  }

  // Trade ids per instrument: 1..n, none duplicated or skipped.
  for (const symbol of SYMBOLS) {
    const ids = replay.events.filter((e) => e.type === 'TradePrinted' && e.symbol === symbol).map((e) => (e as { tradeId: number }).tradeId);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  }

  // The history store resumed exactly: every fill once, every order in its latest state.
  for (const account of TRADERS) {
    const history = await query<{ orders: OrderView[]; fills: { seq: number; tradeId: number }[] }>(client, { query: 'history', accountId: account }, 'history');
    const fills = replay.events.filter((e): e is OrderFilled => e.type === 'OrderFilled' && e.order.accountId === account);
    expect(history.fills.map((f) => [f.seq, f.tradeId])).toEqual(fills.map((f) => [f.seq, f.tradeId]).reverse());
    const latest = new Map<string, OrderView>();
    for (const event of replay.events) {
      if ('order' in event && (event as { order: OrderView }).order.accountId === account) latest.set(event.order.orderId, event.order);
    }
    expect(new Map(history.orders.map((o) => [o.orderId, o]))).toEqual(latest);
  }
}

async function crashLoop(iterations: number, seed: number, snapshotEvery: number): Promise<void> {
  const dataDir = newDir();
  // Beside the data directory, inside a directory of its own that is removed after the file.
  const socket = join(newDir(), 'server.sock');
  const rnd = random(seed);
  let server: RunningServer = await startServer(dataDir, socket, snapshotEvery);
  let client = await HarnessClient.connect(socket);
  const replay = new JournalReplay();
  let totalAcked = 0;
  try {
    for (const command of setupCommands()) {
      const reply = await client.request({ command });
      expect(reply.result).toMatchObject({ ok: true });
    }
    for (let iteration = 0; iteration < iterations; iteration++) {
      const acked: Acknowledged[] = [];
      const clients = [client, ...(await Promise.all(Array.from({ length: CLIENTS - 1 }, () => HarnessClient.connect(socket))))];
      let stopped = false;
      const flows = clients.map((c, k) => runClient(c, seed * 100 + iteration * CLIENTS + k, [TRADERS[2 * k]!, TRADERS[2 * k + 1]!], acked, () => stopped));
      // The kill comes at a random moment, but only once this run has done real work: a count of
      // acknowledged commands, not a time, so a busy machine makes the run longer, not emptier.
      await new Promise((resolve) => setTimeout(resolve, 100 + rnd() * 300));
      await eventually(() => expect(acked.length).toBeGreaterThan(MIN_ACKED_PER_RUN), { timeoutMs: 60_000, intervalMs: 10 });
      // With frequent snapshots, the second run is not killed before it has written one (the
      // replica thread starts slowly on a busy machine): later restarts then start from a snapshot.
      if (snapshotEvery < 1000 && iteration === 1) {
        await eventually(() => expect(readdirSync(join(dataDir, 'snapshots')).filter((n) => n.endsWith('.snapshot')).length).toBeGreaterThan(0), { timeoutMs: 60_000 });
      }
      server.child.kill('SIGKILL');
      await server.exited;
      stopped = true;
      await Promise.all(flows);
      for (const c of clients) c.close();
      totalAcked += acked.length;

      server = await startServer(dataDir, socket, snapshotEvery);
      client = await HarnessClient.connect(socket);
      await verify(dataDir, client, acked, replay);
    }
  } finally {
    client.close();
    server.child.kill('SIGKILL');
    await server.exited;
  }
  // The runs must have done real work for the checks to mean anything.
  expect(totalAcked).toBeGreaterThan(iterations * MIN_ACKED_PER_RUN);
  expect(replay.records.length).toBeGreaterThan(totalAcked);
  // With a small snapshot interval, restarts really did start from snapshots.
  expect(readdirSync(join(dataDir, 'snapshots')).length > 0).toBe(snapshotEvery < 1000);
}

describe('crash recovery under SIGKILL (20 kills in all)', () => {
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
  // Separate data directories, 5 kills each, so no single test runs long.
  for (const [k, snapshotEvery, label] of [[0, 300, 'frequent snapshots'], [1, 1_000_000, 'whole-journal replay'], [2, 300, 'frequent snapshots'], [3, 1_000_000, 'whole-journal replay']] as const) {
    it(`loses no acknowledged command over 5 kills, ${label} (seed ${seed + k}; rerun with CRASH_SEED=${seed})`, async () => {
      await crashLoop(5, seed + k, snapshotEvery);
    }, 300_000); // a bound for a hung test: five server starts and whole-journal checks take minutes with every core busy
  }
});
