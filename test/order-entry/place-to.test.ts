/**
 * `placeTo` (the FIX door's way to place) tells a receiver what `place` answers: accepted exactly
 * when `place`'s outcome is an order, the same refusal otherwise, and the same orders recorded for
 * cancel-on-disconnect. Two identical venues, one placing each way, fed the same requests.
 */
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Command, CommandResult, PlaceOrder } from '../../server/src/core/api.js';
import { createCore } from '../../server/src/core/index.js';
import { configuredOrderPolicies, OrderRateLimiter } from '../../server/src/limits/index.js';
import { OrderEntry, type PlacementReceiver, type PlaceRequest } from '../../server/src/order-entry/order-entry.js';
import type { OrderOutcome, Refusal } from '../../server/src/order-entry/outcomes.js';
import { SessionOrders } from '../../server/src/order-entry/session-orders.js';
import { DurabilityError, type CommandBus } from '../../server/src/sequencer/api.js';
import { createInMemorySequencer } from '../../server/src/sequencer/in-memory.js';
import { MemoryIdempotencyStore } from '../../server/src/storage/idempotency-store.js';
import { fundAccount, MARKET_SETUP } from '../gateway/fix/harness.js';

const silent = pino({ level: 'silent' });

interface Venue { entry: OrderEntry; session: SessionOrders; bus: CommandBus; advance(ms: number): void }

async function venue(wrap: (bus: CommandBus) => CommandBus = (bus) => bus): Promise<Venue> {
  let now = 1_000_000;
  const clock = () => now;
  const bus = wrap(createInMemorySequencer(createCore(), { now: clock }, silent));
  for (const c of [...MARKET_SETUP, ...fundAccount('acc-1')] as Command[]) await bus.submit(c);
  const entry = new OrderEntry({
    bus, history: undefined, clock, idempotency: new MemoryIdempotencyStore(),
    orderLimiter: new OrderRateLimiter({ now: clock, policies: configuredOrderPolicies({ keyWeightPerSecond: 100, ipWeightPerSecond: 300, ordersPerSecond: 4, ordersPer10Seconds: 12 }) }),
  });
  return { entry, session: new SessionOrders(entry, 'acc-1', silent, 'test'), bus, advance: (ms) => (now += ms) };
}

/** What a receiver was told, in `place`'s terms. */
function recorder(): { receiver: PlacementReceiver; told: Promise<OrderOutcome | { fault: unknown }> } {
  let tell!: (answer: OrderOutcome | { fault: unknown }) => void;
  const told = new Promise<OrderOutcome | { fault: unknown }>((resolve) => (tell = resolve));
  let answered = false;
  const once = (answer: OrderOutcome | { fault: unknown }) => {
    expect(answered).toBe(false);
    answered = true;
    tell(answer);
  };
  return {
    receiver: { accepted: () => once({ ok: true } as OrderOutcome), refused: (r: Refusal) => once(r), failed: (fault) => once({ fault }) },
    told,
  };
}

const requests: fc.Arbitrary<PlaceRequest & { waitMs: number }> = fc.record({
  clientOrderId: fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'),
  symbol: fc.constantFrom('BTC-USD', 'BTC-USD', 'ETH-USD'),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  orderType: fc.constant('limit' as const),
  timeInForce: fc.constantFrom('GTC' as const, 'IOC' as const),
  price: fc.constantFrom('100', '101', '0.001'),
  quantity: fc.constantFrom('0.01', '0', '0.5'),
  waitMs: fc.constantFrom(0, 0, 300, 1_100),
});

describe('OrderEntry.placeTo', () => {
  it('tells a receiver what place answers, and records the same orders for the session', async () => {
    await fc.assert(fc.asyncProperty(fc.array(requests, { minLength: 1, maxLength: 25 }), async (batch) => {
      const byPlace = await venue();
      const byReceiver = await venue();
      for (const { waitMs, ...request } of batch) {
        byPlace.advance(waitMs);
        byReceiver.advance(waitMs);
        const outcome = await byPlace.entry.place('acc-1', request, { idempotent: false, session: byPlace.session });
        const { receiver, told } = recorder();
        byReceiver.entry.placeTo({ type: 'PlaceOrder', accountId: 'acc-1', ...request }, byReceiver.session, receiver);
        const answer = await told;
        if (outcome.ok) expect(answer).toEqual({ ok: true });
        else expect(answer).toEqual(outcome);
      }
      expect(byReceiver.session.size).toBe(byPlace.session.size);
      expect(byReceiver.entry.openOrders('acc-1')).toEqual(byPlace.entry.openOrders('acc-1'));
    }), { numRuns: 60 });
  });

  it('tells a receiver later than the call, as a promise would, even when the order-rate budget refuses at once', async () => {
    const v = await venue();
    const log: string[] = [];
    for (let i = 0; i < 6; i++) {
      v.entry.placeTo({ type: 'PlaceOrder', accountId: 'acc-1', clientOrderId: `O-${i}`, symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '0.01' }, undefined, {
        accepted: () => log.push(`accepted ${i}`), refused: (r) => log.push(`refused ${i} ${r.code}`), failed: () => log.push(`failed ${i}`),
      });
    }
    expect(log).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.sort()).toEqual(['accepted 0', 'accepted 1', 'accepted 2', 'accepted 3', 'refused 4 RATE_LIMITED', 'refused 5 RATE_LIMITED']);
  });

  it('through a bus without receivers: a durability failure is a refusal, any other error a fault', async () => {
    let failure: unknown;
    const failing = (bus: CommandBus): CommandBus => ({
      submit: (c) => (failure === undefined ? bus.submit(c) : Promise.reject(failure)) as Promise<CommandResult>,
      onEvents: bus.onEvents, core: bus.core, healthy: true,
    });
    const v = await venue(failing);
    const request: PlaceOrder = { type: 'PlaceOrder', accountId: 'acc-1', clientOrderId: 'X', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '0.01' };
    failure = new DurabilityError('disk gone');
    const durability = recorder();
    v.entry.placeTo(request, v.session, durability.receiver);
    expect(await durability.told).toMatchObject({ ok: false, code: 'JOURNAL_UNAVAILABLE' });
    failure = new Error('a bug');
    const fault = recorder();
    v.entry.placeTo(request, v.session, fault.receiver);
    expect(await fault.told).toEqual({ fault: failure });
    failure = undefined;
    const accepted = recorder();
    v.entry.placeTo(request, v.session, accepted.receiver);
    expect(await accepted.told).toEqual({ ok: true });
    expect(v.session.size).toBe(1);
  });
});
