/**
 * A CommandBus that counts and traces what goes through it: every command gets a
 * `sequencer.submit` span (submission to durable acknowledgement), and new orders are counted
 * by channel and outcome, with their acknowledgement latency. The channel is the one the
 * gateway set on the async context (`withChannel`), so REST, WebSocket and FIX are told apart
 * without order entry knowing about channels.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { Command, CommandResult } from '../core/api.js';
import type { CommandBus } from '../sequencer/api.js';
import type { RecentRejects } from './recent-rejects.js';
import { currentChannel, recordingTracer } from './tracing.js';
import type { TradingMetrics } from './trading-metrics.js';

/** Where rejected commands are remembered (the status page), with the clock that stamps them. */
export interface RejectLog { recent: RecentRejects; clock: () => number }

export function instrumentBus(bus: CommandBus, metrics: TradingMetrics, tracer: Tracer, rejects?: RejectLog): CommandBus {
  /** Counts one command; `span` is absent when tracing is off (no span is made then). */
  const counted = async (command: Command, span: Span | undefined): Promise<CommandResult> => {
    const channel = currentChannel();
    const startedAt = performance.now();
    try {
      const result = await bus.submit(command);
      if (command.type === 'PlaceOrder') {
        metrics.orders.inc({ channel, outcome: result.ok ? 'accepted' : 'rejected' });
        metrics.orderAck.observe({ channel }, (performance.now() - startedAt) / 1000);
      }
      countQuote(metrics, command.type, result.ok);
      span?.setAttribute('trading.outcome', result.ok ? 'accepted' : 'rejected');
      if (!result.ok) {
        span?.setAttribute('trading.reject_code', result.code);
        const accountId = (command as { accountId?: string }).accountId;
        rejects?.recent.add({ at: rejects.clock(), channel, command: command.type, code: result.code, ...(accountId !== undefined && { accountId }) });
      }
      return result;
    } catch (error) {
      // A durability failure, or a fault: either way the order was not acknowledged.
      if (command.type === 'PlaceOrder') metrics.orders.inc({ channel, outcome: 'unavailable' });
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span?.end();
    }
  };
  const recording = recordingTracer(tracer);
  const submit = recording
    ? (command: Command): Promise<CommandResult> =>
      recording.startActiveSpan('sequencer.submit', { kind: SpanKind.INTERNAL, attributes: { 'trading.command': command.type } }, (span) => counted(command, span))
    : (command: Command): Promise<CommandResult> => counted(command, undefined);
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

/** RFQ outcomes, read off the quote commands the RFQ desk and order entry submit. */
function countQuote(metrics: TradingMetrics, type: Command['type'], ok: boolean): void {
  if (type === 'IssueQuote' && ok) metrics.rfqs.inc({ outcome: 'quoted' });
  else if (type === 'AcceptQuote') {
    metrics.rfqs.inc({ outcome: ok ? 'accepted' : 'rejected' });
    if (ok) metrics.quoteTrades.inc();
  } else if (type === 'DeclineQuote' && ok) metrics.rfqs.inc({ outcome: 'declined' });
  else if (type === 'WithdrawQuote' && ok) metrics.rfqs.inc({ outcome: 'withdrawn' });
}
