import { describe, expect, it } from 'vitest';
import type { Command, CoreEvent } from '../../server/src/core/api.js';
import { scanJournal } from '../../server/src/journal/index.js';
import { openDurableSequencer, type DurableSequencer } from '../../server/src/sequencer/durable.js';
import { captureLogs } from '../durability/support/log-capture.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { eventually } from '../helpers/eventually.js';
import { ManualClock } from '../helpers/manual-clock.js';

const newDir = tempDirs('expiry-timer');
const T0 = 1_700_000_000_000;

function open(dataDir: string, clock: ManualClock): Promise<DurableSequencer> {
  return openDurableSequencer({ dataDir, logger: captureLogs().logger, clock, timers: clock, snapshotOnClose: false });
}

async function setUpMarket(bus: DurableSequencer): Promise<void> {
  const commands: Command[] = [
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    {
      type: 'AddInstrument', spec: {
        symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001',
        maxQuantity: '1000', minNotional: '1', priceBandBps: 0, status: 'open',
      },
    },
    { type: 'CreateAccount', accountId: 'alice' },
    { type: 'Deposit', accountId: 'alice', asset: 'BTC', amount: '10' },
  ];
  for (const c of commands) expect((await bus.submit(c)).ok).toBe(true);
}

async function placeGtd(bus: DurableSequencer, expireAt: number, clientOrderId: string): Promise<string> {
  const r = await bus.submit({
    type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', price: '30000', quantity: '1',
    timeInForce: 'GTD', expireAt, clientOrderId,
  });
  const accepted = r.events.find((e) => e.type === 'OrderAccepted');
  if (accepted?.type !== 'OrderAccepted') throw new Error(`not accepted: ${JSON.stringify(r)}`);
  return accepted.order.orderId;
}

async function journaledTypes(dataDir: string): Promise<string[]> {
  const types: string[] = [];
  await scanJournal(`${dataDir}/journal`, { onRecord: (record) => types.push(record.envelope.command.type) });
  return types;
}

describe('GTD expiry in the sequencer', () => {
  it('submits ExpireOrders when the clock reaches the earliest expireAt, not before, and re-arms for the next', async () => {
    const clock = new ManualClock(T0);
    const dir = newDir();
    const bus = await open(dir, clock);
    const events: CoreEvent[] = [];
    bus.onEvents((batch) => events.push(...batch));
    await setUpMarket(bus);
    const late = await placeGtd(bus, T0 + 5_000, 'late');
    const early = await placeGtd(bus, T0 + 1_000, 'early');
    await eventually(() => expect(bus.core.balances('alice')?.find((b) => b.asset === 'BTC')?.hold).toBe('2'));

    clock.advance(999);
    await Promise.resolve();
    expect(bus.core.order('alice', { orderId: early })?.status).toBe('new');

    clock.advance(1);
    await eventually(() => expect(bus.core.order('alice', { orderId: early })?.status).toBe('expired'));
    // Listeners hear of it once the ExpireOrders command is durable.
    const expiries = () => events.flatMap((e) => (e.type === 'OrderCanceled' ? [[e.order.orderId, e.reason, e.order.cancelReason]] : []));
    await eventually(() => expect(expiries()).toEqual([[early, 'expired', 'expired']]));
    expect(bus.core.order('alice', { orderId: late })?.status).toBe('new');
    expect(bus.core.balances('alice')?.find((b) => b.asset === 'BTC')?.hold).toBe('1');

    clock.advance(4_000);
    await eventually(() => expect(bus.core.order('alice', { orderId: late })?.status).toBe('expired'));
    expect(bus.core.balances('alice')?.find((b) => b.asset === 'BTC')?.hold).toBe('0');
    expect(bus.core.book('BTC-USD')?.asks).toEqual([]);
    await bus.close();
    // Each expiry was a journaled command of its own.
    expect((await journaledTypes(dir)).filter((t) => t === 'ExpireOrders')).toHaveLength(2);
  });

  it('expiry is journaled: a restart replays it to the same state', async () => {
    const clock = new ManualClock(T0);
    const dir = newDir();
    const bus = await open(dir, clock);
    await setUpMarket(bus);
    const id = await placeGtd(bus, T0 + 1_000, 'a');
    clock.advance(2_000);
    await eventually(() => expect(bus.core.order('alice', { orderId: id })?.status).toBe('expired'));
    const seq = bus.core.seq;
    await bus.close();

    const reopened = await open(dir, clock);
    expect(reopened.core.seq).toBe(seq);
    expect(reopened.core.order('alice', { orderId: id })).toMatchObject({ status: 'expired', cancelReason: 'expired' });
    await reopened.close();
  });

  it('catches up after a restart: orders that came due while the service was down expire at start-up', async () => {
    const clock = new ManualClock(T0);
    const dir = newDir();
    const bus = await open(dir, clock);
    await setUpMarket(bus);
    const id = await placeGtd(bus, T0 + 60_000, 'down');
    await bus.close();
    expect(await journaledTypes(dir)).not.toContain('ExpireOrders');

    const later = new ManualClock(T0 + 120_000);
    const reopened = await open(dir, later);
    await eventually(() => expect(reopened.core.order('alice', { orderId: id })?.status).toBe('expired'));
    expect(reopened.core.balances('alice')?.find((b) => b.asset === 'BTC')?.hold).toBe('0');
    await reopened.close();
  });

  it('arms nothing without GTD orders, and a restart before the expiry re-arms for it', async () => {
    const clock = new ManualClock(T0);
    const dir = newDir();
    const bus = await open(dir, clock);
    await setUpMarket(bus);
    expect(clock.armed).toBe(0);
    await placeGtd(bus, T0 + 10_000, 'x');
    await eventually(() => expect(clock.armed).toBe(1));
    await bus.close();
    expect(clock.armed).toBe(0);

    const reopened = await open(dir, clock);
    expect(clock.armed).toBe(1);
    clock.advance(10_000);
    await eventually(() => expect(reopened.core.openOrders('alice')).toEqual([]));
    await reopened.close();
  });
});
