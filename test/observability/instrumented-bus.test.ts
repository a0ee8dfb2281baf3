/**
 * The counting bus in front of the sequencer: a command submitted with a receiver is counted as
 * one submitted with a promise is (orders by channel and outcome, their acknowledgement time,
 * rejects for the status page), and with tracing on it keeps its span by taking the promise path.
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../server/src/core/api.js';
import { instrumentBus } from '../../server/src/observability/instrumented-bus.js';
import { RecentRejects } from '../../server/src/observability/recent-rejects.js';
import { disabledTracing, tracingTo, withChannel } from '../../server/src/observability/tracing.js';
import { createTradingMetrics } from '../../server/src/observability/trading-metrics.js';
import { DurabilityError, submitTo, type CommandBus, type ResultReceiver } from '../../server/src/sequencer/api.js';
import { createInMemorySequencer } from '../../server/src/sequencer/in-memory.js';
import { createCore, deposit, place } from '../sequencer/ledger-core.js';
import { eventually } from '../helpers/eventually.js';

const silent = pino({ level: 'silent' });

function setUp(tracer = disabledTracing().tracer, inner?: CommandBus) {
  const registry = new Registry();
  const metrics = createTradingMetrics(registry);
  const recent = new RecentRejects();
  const bus = inner ?? createInMemorySequencer(createCore(), undefined, silent);
  const counted = instrumentBus(bus, metrics, tracer, { recent, clock: () => 42 });
  const orders = async (channel: string, outcome: string) =>
    (await registry.getSingleMetric('trading_orders_total')!.get()).values.find((v) => v.labels.channel === channel && v.labels.outcome === outcome)?.value ?? 0;
  const acks = async (channel: string) =>
    ((await registry.getSingleMetric('trading_order_ack_duration_seconds')!.get()).values as { metricName?: string; labels: Record<string, unknown>; value: number }[])
      .find((v) => v.metricName?.endsWith('_count') && v.labels.channel === channel)?.value ?? 0;
  return { bus, counted, recent, orders, acks };
}

/** A receiver that keeps what it is told. */
function keeping(): ResultReceiver & { results: CommandResult[]; errors: unknown[] } {
  const results: CommandResult[] = [];
  const errors: unknown[] = [];
  return { results, errors, onResult: (r) => results.push(r), onError: (e) => errors.push(e) };
}

describe('instrumented bus', () => {
  it('counts orders submitted with a receiver by the channel they came from, and tells the receiver', async () => {
    const { bus, counted, recent, orders, acks } = setUp();
    expect(counted.submitTo).toBeTypeOf('function');
    await bus.submit(deposit('alice', 100));
    const told = keeping();
    withChannel('fix', () => {
      submitTo(counted, place('alice', 'a-1'), told);
      submitTo(counted, place('nobody', 'n-1'), told);
    });
    await eventually(() => expect(told.results).toHaveLength(2));
    expect(told.results.map((r) => r.ok)).toEqual([true, false]);
    expect(await orders('fix', 'accepted')).toBe(1);
    expect(await orders('fix', 'rejected')).toBe(1);
    expect(await acks('fix')).toBe(2);
    expect(recent.list()).toEqual([expect.objectContaining({ channel: 'fix', command: 'PlaceOrder', code: 'UNKNOWN_ACCOUNT', accountId: 'nobody', at: 42 })]);
  });

  it('counts an order the bus could not take as unavailable, and passes the error on', async () => {
    const failing: CommandBus = {
      submit: () => Promise.reject(new DurabilityError('journal write failed')),
      submitTo: (_command, receiver) => queueMicrotask(() => receiver.onError(new DurabilityError('journal write failed'))),
      onEvents: () => () => {},
      core: createCore(),
      healthy: false,
    };
    const { counted, orders } = setUp(undefined, failing);
    const told = keeping();
    withChannel('ws', () => submitTo(counted, place('alice'), told));
    await eventually(() => expect(told.errors).toHaveLength(1));
    expect(told.errors[0]).toBeInstanceOf(DurabilityError);
    expect(await orders('ws', 'unavailable')).toBe(1);
    await expect(withChannel('ws', () => counted.submit(place('alice')))).rejects.toBeInstanceOf(DurabilityError);
    expect(await orders('ws', 'unavailable')).toBe(2);
  });

  it('with tracing on, takes the promise path so each command keeps its span', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = tracingTo(exporter, { batch: false });
    const { bus, counted, orders } = setUp(tracing.tracer);
    expect(counted.submitTo).toBeUndefined();
    await bus.submit(deposit('alice', 100));
    const told = keeping();
    withChannel('rest', () => submitTo(counted, place('alice'), told));
    await eventually(() => expect(told.results).toHaveLength(1));
    expect(await orders('rest', 'accepted')).toBe(1);
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'sequencer.submit');
    expect(spans.map((s) => s.attributes['trading.outcome'])).toEqual(['accepted']);
    await tracing.shutdown();
  });
});
