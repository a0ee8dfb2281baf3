/**
 * Snapshot-only recovery: once the journal before a snapshot is retired, a restart rebuilds the
 * state from the snapshot file alone, and the replica thread loads that same file (no state is
 * handed to it in a message) and carries on: its next snapshot, taken from the state it loaded,
 * restores the same state again.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../../server/src/core/api.js';
import { restoreCore } from '../../server/src/core/index.js';
import { TRADING_CORE_MODULE } from '../../server/src/sequencer/engine.js';
import { decodeSnapshot, encodeSnapshot } from '../../server/src/snapshot/index.js';
import { describe, expect, it } from 'vitest';
import { openDurableSequencer, type DurableSequencer, type DurableSequencerOptions } from '../../server/src/sequencer/durable.js';
import { captureLogs } from '../durability/support/log-capture.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { deposit, LEDGER_ENGINE_MODULE, place } from './ledger-core.js';

const newDir = tempDirs('snapshot-recovery');

async function open(dataDir: string, options: Partial<DurableSequencerOptions> = {}) {
  const logs = captureLogs();
  const bus = await openDurableSequencer({ dataDir, logger: logs.logger, engineModule: LEDGER_ENGINE_MODULE, snapshotsKept: 1, snapshotOnClose: false, ...options });
  return { bus, logs };
}

const balance = (bus: DurableSequencer, account: string) => bus.core.balances(account)?.[0]?.total;
const segmentsOf = (dir: string) => readdirSync(join(dir, 'journal')).filter((n) => n.endsWith('.journal')).map((n) => Number(n.slice(0, 20)));

describe('snapshot-only recovery', () => {
  it('restores from the snapshot with nothing to replay, and the replica continues from the same file', async () => {
    const dir = newDir();
    const first = await open(dir);
    for (let i = 0; i < 40; i++) await first.bus.submit(i % 4 === 0 ? place('a', `o${i}`) : deposit('a', 1));
    expect((await first.bus.snapshotNow())?.index).toBe(40);
    // The next snapshot retires the segment that held records 1..40 (the writer rotated at the first).
    await first.bus.submit(deposit('a', 1));
    expect((await first.bus.snapshotNow())?.index).toBe(41);
    await first.bus.close();
    expect(Math.min(...segmentsOf(dir))).toBeGreaterThan(40);

    const second = await open(dir);
    const restored = second.logs.matching('state restored')[0]!;
    expect(restored.snapshotIndex).toBe(41);
    expect(restored.replayedRecords).toBe(0);
    expect(balance(second.bus, 'a')).toBe('31');
    expect(second.bus.core.seq).toBe(41);

    // The replica loaded the snapshot file itself: it applies new records on top and projects them.
    await second.bus.submit(deposit('a', 5));
    await second.bus.historySynced();
    expect(second.bus.status().historySeq).toBe(42);
    // Its snapshot comes from the state it loaded; restoring it gives the sequencer's state.
    expect((await second.bus.snapshotNow())?.index).toBe(42);
    await second.bus.submit(deposit('a', 1));
    expect((await second.bus.snapshotNow())?.index).toBe(43);
    await second.bus.close();
    expect(Math.min(...segmentsOf(dir))).toBeGreaterThan(42);

    const third = await open(dir);
    expect(third.logs.matching('state restored')[0]!.replayedRecords).toBe(0);
    expect(balance(third.bus, 'a')).toBe('37');
    expect(third.bus.core.seq).toBe(43);
    await third.bus.close();
  });

  it('the replica replays the same journal tail after the snapshot as recovery did', async () => {
    const dir = newDir();
    const first = await open(dir);
    for (let i = 0; i < 10; i++) await first.bus.submit(deposit('a', 1));
    await first.bus.snapshotNow();
    for (let i = 0; i < 15; i++) await first.bus.submit(deposit('a', 2));
    await first.bus.close(); // no snapshot on close: records 11..25 are only in the journal

    const second = await open(dir);
    expect(second.logs.matching('state restored')[0]!).toMatchObject({ snapshotIndex: 10, replayedRecords: 15 });
    await second.bus.submit(deposit('a', 100));
    expect((await second.bus.snapshotNow())?.index).toBe(26);
    await second.bus.close();

    const third = await open(dir);
    expect(third.logs.matching('state restored')[0]!).toMatchObject({ snapshotIndex: 26, replayedRecords: 0 });
    expect(balance(third.bus, 'a')).toBe('140');
    await third.bus.close();
  });
});

/** A market with resting orders on both sides (some with client ids, some GTD), through the real trading core. */
function tradingCommands(): Command[] {
  const commands: Command[] = [
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    { type: 'AddInstrument', spec: { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000', minNotional: '0', priceBandBps: 0, status: 'open' } },
  ];
  for (const id of ['maker', 'taker']) {
    commands.push({ type: 'CreateAccount', accountId: id });
    commands.push({ type: 'Deposit', accountId: id, asset: 'USD', amount: '1000000' });
    commands.push({ type: 'Deposit', accountId: id, asset: 'BTC', amount: '100' });
  }
  for (let i = 0; i < 60; i++) {
    const buy = i % 2 === 0;
    commands.push({
      type: 'PlaceOrder', accountId: 'maker', symbol: 'BTC-USD', side: buy ? 'buy' : 'sell', orderType: 'limit',
      price: buy ? `${100 - (i % 7)}.00` : `${101 + (i % 5)}.50`, quantity: `0.${String(i + 1).padStart(3, '0')}`,
      ...(i % 3 === 0 ? { timeInForce: 'GTD' as const, expireAt: 4_102_444_800_000 } : { timeInForce: 'GTC' as const }),
      ...(i % 4 === 0 && { clientOrderId: `m${i}` }),
    });
  }
  return commands;
}

function marketView(bus: DurableSequencer) {
  return { book: bus.core.book('BTC-USD'), open: bus.core.openOrders('maker'), balances: [bus.core.balances('maker'), bus.core.balances('taker')], seq: bus.core.seq };
}

describe('snapshot-only recovery with the trading core', () => {
  const openTrading = (dataDir: string) => open(dataDir, { engineModule: TRADING_CORE_MODULE });

  it('the history reaches the core seq even when a command ends with events it does not keep, so a restart uses the newest snapshot', async () => {
    const dir = newDir();
    const first = await openTrading(dir);
    const results = [];
    for (const command of tradingCommands()) results.push(await first.bus.submit(command));
    // The last order rests: its last event is a book level, which the history does not keep.
    expect(results.at(-1)!.events.at(-1)!.type).toBe('BookLevelChanged');
    await first.bus.historySynced();
    expect(first.bus.status().historySeq).toBe(first.bus.core.seq);
    const seq = first.bus.core.seq;
    const written = (await first.bus.snapshotNow())!;
    expect(written.seq).toBe(seq);
    await first.bus.close();
    const second = await openTrading(dir);
    expect(second.logs.matching('history lags the snapshots')).toHaveLength(0);
    expect(second.logs.matching('state restored')[0]!).toMatchObject({ snapshotIndex: written.index, replayedRecords: 0 });
    expect(second.bus.history.projectedSeq).toBe(seq);
    await second.bus.close();
  });
  const sweep: Command = { type: 'PlaceOrder', accountId: 'taker', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'IOC', price: '103.50', quantity: '0.5' };

  it('writes binary snapshots, restores the books and orders from one alone, and still reads a JSON snapshot of an earlier release', async () => {
    const dir = newDir();
    const first = await openTrading(dir);
    for (const command of tradingCommands()) expect((await first.bus.submit(command)).ok).toBe(true);
    const built = (await first.bus.snapshotNow())!.index;
    await first.bus.submit({ type: 'Deposit', accountId: 'taker', asset: 'USD', amount: '1' });
    const written = (await first.bus.snapshotNow())!;
    const before = marketView(first.bus);
    await first.bus.close();
    // Every record that built the market is gone from the journal: only the snapshot holds it.
    expect(Math.min(...segmentsOf(dir))).toBeGreaterThan(built);
    const file = join(dir, 'snapshots', `${String(written.index).padStart(20, '0')}.snapshot`);
    expect(readFileSync(file).readUInt32LE(4)).toBe(2);

    const second = await openTrading(dir);
    expect(second.logs.matching('state restored')[0]!).toMatchObject({ snapshotIndex: written.index, replayedRecords: 0 });
    expect(marketView(second.bus)).toEqual(before);
    // The restored queues trade in the original price-time order.
    const swept = await second.bus.submit(sweep);
    await second.bus.close();

    // The same state as a version 1 (JSON) file, as an earlier release wrote it: read and restored the same way.
    const decoded = decodeSnapshot(readFileSync(file));
    if (!decoded.ok) throw new Error(decoded.reason);
    const json = restoreCore(decoded.snapshot.core).snapshot();
    const newest = Math.max(...readdirSync(join(dir, 'snapshots')).map((n) => Number(n.slice(0, 20))));
    expect(newest).toBe(written.index); // no snapshot on close: the sweep is only in the journal
    writeFileSync(file, encodeSnapshot({ index: decoded.snapshot.index, seq: decoded.snapshot.seq, takenAt: decoded.snapshot.takenAt }, json));
    const third = await openTrading(dir);
    expect(third.logs.matching('state restored')[0]!).toMatchObject({ snapshotIndex: written.index, replayedRecords: 1 });
    const afterSweep = marketView(third.bus);
    expect(afterSweep.seq).toBe(before.seq + swept.events.length);
    await third.bus.close();

    // And the binary path reaches exactly the same state after the same sweep.
    writeFileSync(file, encodeSnapshot({ index: decoded.snapshot.index, seq: decoded.snapshot.seq, takenAt: decoded.snapshot.takenAt }, decoded.snapshot.core));
    const fourth = await openTrading(dir);
    expect(marketView(fourth.bus)).toEqual(afterSweep);
    expect(swept.events.filter((e) => e.type === 'OrderFilled').length).toBeGreaterThan(2);
    await fourth.bus.close();
  });
});
