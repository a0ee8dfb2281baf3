/**
 * A CommandBus that counts and traces what goes through it: every command gets a
 * `sequencer.submit` span (submission to durable acknowledgement), and new orders are counted
 * by channel and outcome, with their acknowledgement latency. The channel is the one the
 * gateway set on the async context (`withChannel`), so REST, WebSocket and FIX are told apart
 * without order entry knowing about channels.
 */
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Command, CommandResult } from '../core/api.js';
import type { CommandBus } from '../sequencer/api.js';
import { currentChannel } from './tracing.js';
import type { TradingMetrics } from './trading-metrics.js';

export function instrumentBus(bus: CommandBus, metrics: TradingMetrics, tracer: Tracer): CommandBus {
  const submit = (command: Command): Promise<CommandResult> =>
    tracer.startActiveSpan('sequencer.submit', { kind: SpanKind.INTERNAL, attributes: { 'trading.command': command.type } }, async (span) => {
      const channel = currentChannel();
      const startedAt = performance.now();
      try {
        const result = await bus.submit(command);
        if (command.type === 'PlaceOrder') {
          metrics.orders.inc({ channel, outcome: result.ok ? 'accepted' : 'rejected' });
          metrics.orderAck.observe({ channel }, (performance.now() - startedAt) / 1000);
        }
        span.setAttribute('trading.outcome', result.ok ? 'accepted' : 'rejected');
        if (!result.ok) span.setAttribute('trading.reject_code', result.code);
        return result;
      } catch (error) {
        // A durability failure, or a fault: either way the order was not acknowledged.
        if (command.type === 'PlaceOrder') metrics.orders.inc({ channel, outcome: 'unavailable' });
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  return {
    submit,
    onEvents: (listener) => bus.onEvents(listener),
    get core() {
      return bus.core;
    },
    get healthy() {
      return bus.healthy;
    },
  };
}
