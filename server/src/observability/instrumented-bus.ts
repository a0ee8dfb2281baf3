/**
 * A CommandBus that counts and traces what goes through it: every command gets a
 * `sequencer.submit` span (submission to durable acknowledgement), and new orders are counted
 * by channel and outcome, with their acknowledgement latency. The channel is the one the
 * gateway set on the async context (`withChannel`), so REST, WebSocket and FIX are told apart
 * without order entry knowing about channels.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { Command, CommandResult } from '../core/api.js';
import { submitTo, type CommandBus, type ResultReceiver } from '../sequencer/api.js';
import type { RecentRejects } from './recent-rejects.js';
import { currentChannel, recordingTracer } from './tracing.js';
import type { OrderChannel, TradingMetrics } from './trading-metrics.js';

/** Where rejected commands are remembered (the status page), with the clock that stamps them. */
export interface RejectLog { recent: RecentRejects; clock: () => number }

export function instrumentBus(bus: CommandBus, metrics: TradingMetrics, tracer: Tracer, rejects?: RejectLog): CommandBus {
  /** Counts one answered command; `span` is absent when tracing is off (no span is made then). */
  const account: Account = (command, channel, startedAt, span, result, error) => {
    if (!result) {
      // A durability failure, or a fault: either way the order was not acknowledged.
      if (command.type === 'PlaceOrder') metrics.orders.inc({ channel, outcome: 'unavailable' });
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      span?.end();
      return;
    }
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
    span?.end();
  };
  const counted = async (command: Command, span: Span | undefined): Promise<CommandResult> => {
    const channel = currentChannel();
    const startedAt = performance.now();
    let result: CommandResult;
    try {
      result = await bus.submit(command);
    } catch (error) {
      account(command, channel, startedAt, span, undefined, error);
      throw error;
    }
    account(command, channel, startedAt, span, result, undefined);
    return result;
  };
  const recording = recordingTracer(tracer);
  const submit = recording
    ? (command: Command): Promise<CommandResult> =>
      recording.startActiveSpan('sequencer.submit', { kind: SpanKind.INTERNAL, attributes: { 'trading.command': command.type } }, (span) => counted(command, span))
    : (command: Command): Promise<CommandResult> => counted(command, undefined);
  const instrumented: CommandBus = {
    submit,
    onEvents: (listener) => bus.onEvents(listener),
    get core() {
      return bus.core;
    },
    get healthy() {
      return bus.healthy;
    },
  };
  // Without a span to keep open, a receiver is counted as it is answered: no promise per command.
  if (!recording) {
    instrumented.submitTo = (command, receiver) =>
      submitTo(bus, command, new CountedReply(command, currentChannel(), performance.now(), receiver, account));
  }
  return instrumented;
}

type Account = (command: Command, channel: OrderChannel, startedAt: number, span: Span | undefined, result: CommandResult | undefined, error: unknown) => void;

/** Counts a command as it is answered, then tells its submitter. */
class CountedReply implements ResultReceiver {
  constructor(
    private readonly command: Command,
    private readonly channel: OrderChannel,
    private readonly startedAt: number,
    private readonly receiver: ResultReceiver,
    private readonly account: Account,
  ) {}

  onResult(result: CommandResult): void {
    this.account(this.command, this.channel, this.startedAt, undefined, result, undefined);
    this.receiver.onResult(result);
  }

  onError(error: unknown): void {
    this.account(this.command, this.channel, this.startedAt, undefined, undefined, error);
    this.receiver.onError(error);
  }
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
