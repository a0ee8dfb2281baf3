/**
 * The trading metric families: orders, the sequencer and journal, limits, authentication, FIX,
 * RFQ and the distributed core. Every process defines the same families on its own registry
 * (REST workers too), so the summed /metrics of a REST-worker tree has one family per name.
 * Label values come from closed sets (channels, outcomes, core reject codes, command types,
 * policy names from the configuration, FIX message types), never from client input.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** Where an order came in; `internal` is the service itself (demo bot, dead-man's switch). */
export type OrderChannel = 'rest' | 'ws' | 'fix' | 'internal';
export const ORDER_CHANNELS: readonly OrderChannel[] = ['rest', 'ws', 'fix', 'internal'];

/** What became of a new order: accepted by the core, rejected by it, refused by an order-rate limit, or not made durable. */
export type OrderOutcome = 'accepted' | 'rejected' | 'rate_limited' | 'unavailable';

/** Sub-millisecond to a second: core work is microseconds, a journal sync milliseconds. */
const LATENCY_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export interface TradingMetrics {
  orders: Counter<'channel' | 'outcome'>;
  rejects: Counter<'code'>;
  orderAck: Histogram<'channel'>;
  match: Histogram;
  apply: Histogram<'command'>;
  journalAppend: Histogram;
  journalFsync: Histogram;
  groupCommit: Histogram;
  rateLimitRefusals: Counter<'limit' | 'policy'>;
  authFailures: Counter<'code'>;
  authLockouts: Counter<'subject'>;
  fixMessages: Counter<'direction' | 'msg_type'>;
  fixResendRequests: Counter<'direction'>;
  fixSessionRejects: Counter<'reason'>;
  fixBusinessRejects: Counter<'reason'>;
  rfqs: Counter<'outcome'>;
  quoteTrades: Counter;
  jetstreamAppend: Histogram;
  leaderChanges: Counter;
}

export function createTradingMetrics(registry: Registry): TradingMetrics {
  const registers = [registry];
  return {
    orders: new Counter({ name: 'trading_orders_total', help: 'New orders by channel (rest, ws, fix, internal) and outcome (accepted, rejected, rate_limited, unavailable).', labelNames: ['channel', 'outcome'] as const, registers }),
    rejects: new Counter({ name: 'trading_rejects_total', help: 'Commands the core rejected, by reject code.', labelNames: ['code'] as const, registers }),
    orderAck: new Histogram({ name: 'trading_order_ack_duration_seconds', help: 'New order from submission to its durable acknowledgement (apply, journal, group commit), by channel.', labelNames: ['channel'] as const, buckets: LATENCY_BUCKETS, registers }),
    match: new Histogram({ name: 'trading_match_duration_seconds', help: 'Core time to apply an order command that can match (place, amend), matching included.', buckets: LATENCY_BUCKETS, registers }),
    apply: new Histogram({ name: 'trading_sequencer_apply_duration_seconds', help: 'Sequencer time to apply one command to the core, by command type.', labelNames: ['command'] as const, buckets: LATENCY_BUCKETS, registers }),
    journalAppend: new Histogram({ name: 'trading_journal_append_duration_seconds', help: 'Journal time to write one group-commit batch to its segment (before the sync).', buckets: LATENCY_BUCKETS, registers }),
    journalFsync: new Histogram({ name: 'trading_journal_fsync_duration_seconds', help: 'Journal fdatasync time of one group-commit batch.', buckets: LATENCY_BUCKETS, registers }),
    groupCommit: new Histogram({ name: 'trading_journal_group_commit_records', help: 'Journal records written and synced together in one batch.', buckets: BATCH_BUCKETS, registers }),
    rateLimitRefusals: new Counter({ name: 'trading_rate_limit_refusals_total', help: 'Requests and orders refused by a limit, by limit (request, order) and policy name.', labelNames: ['limit', 'policy'] as const, registers }),
    authFailures: new Counter({ name: 'trading_auth_failures_total', help: 'Refused authentications (REST, WebSocket login, FIX Logon), by error code.', labelNames: ['code'] as const, registers }),
    authLockouts: new Counter({ name: 'trading_auth_lockouts_total', help: 'Lockouts started after repeated failed signatures, by subject (ip, key).', labelNames: ['subject'] as const, registers }),
    fixMessages: new Counter({ name: 'fix_messages_total', help: 'FIX messages received and sent, by direction (in, out) and MsgType(35).', labelNames: ['direction', 'msg_type'] as const, registers }),
    fixResendRequests: new Counter({ name: 'fix_resend_requests_total', help: 'FIX ResendRequests, by direction (in: served to the counterparty, out: sent on a gap).', labelNames: ['direction'] as const, registers }),
    fixSessionRejects: new Counter({ name: 'fix_session_rejects_total', help: 'FIX session-level Rejects (35=3) sent, by SessionRejectReason(373).', labelNames: ['reason'] as const, registers }),
    fixBusinessRejects: new Counter({ name: 'fix_business_rejects_total', help: 'FIX BusinessMessageRejects (35=j) sent, by BusinessRejectReason(380).', labelNames: ['reason'] as const, registers }),
    rfqs: new Counter({ name: 'trading_rfqs_total', help: 'Firm quotes, by outcome: quoted (issued), accepted, rejected (an acceptance the core refused), declined, withdrawn.', labelNames: ['outcome'] as const, registers }),
    quoteTrades: new Counter({ name: 'trading_quote_trades_total', help: 'Trades executed against a firm quote (accepted quotes).', registers }),
    jetstreamAppend: new Histogram({ name: 'trading_jetstream_append_duration_seconds', help: 'Distributed mode: time to append one command batch to the JetStream log.', buckets: LATENCY_BUCKETS, registers }),
    leaderChanges: new Counter({ name: 'trading_leader_changes_total', help: 'Distributed mode: times this process became or stopped being the sequencer leader.', registers }),
  };
}

/** The FIX 4.4 message types counted by name; anything else is counted as `other`. */
const FIX_MSG_TYPES = new Set(['0', '1', '2', '3', '4', '5', 'A', 'D', 'F', 'G', 'H', '8', '9', 'j', 'q', 'r', 'V', 'W', 'X', 'Y', 'AE', 'BN', 'R', 'S', 'AJ', 'Z', 'b']);

export function fixMsgTypeLabel(msgType: string): string {
  return FIX_MSG_TYPES.has(msgType) ? msgType : 'other';
}

/** A FIX reason code (SessionRejectReason, BusinessRejectReason): small integers, else `other`. */
export function fixReasonLabel(reason: number): string {
  return Number.isInteger(reason) && reason >= 0 && reason <= 99 ? String(reason) : 'other';
}
