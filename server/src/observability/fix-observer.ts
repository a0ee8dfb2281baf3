/**
 * FIX session metrics and the FIX gateway span: each application message (an order, a cancel)
 * is handled inside a `FIX <MsgType>` server span on the `fix` channel, so the order it submits
 * joins that trace.
 */
import type { Tracer } from '@opentelemetry/api';
import type { FixSessionObserver } from '../gateway/fix/session.js';
import { inGatewaySpan, recordingTracer, withChannel } from './tracing.js';
import { fixMsgTypeLabel, fixReasonLabel, type TradingMetrics } from './trading-metrics.js';

export function fixObserver(metrics: TradingMetrics, tracer: Tracer): FixSessionObserver {
  const recording = recordingTracer(tracer);
  return {
    received: (msgType) => metrics.fixMessages.inc({ direction: 'in', msg_type: fixMsgTypeLabel(msgType) }),
    sent: (msgType) => metrics.fixMessages.inc({ direction: 'out', msg_type: fixMsgTypeLabel(msgType) }),
    resendRequest: (direction) => metrics.fixResendRequests.inc({ direction }),
    sessionReject: (reason) => metrics.fixSessionRejects.inc({ reason: fixReasonLabel(reason) }),
    businessReject: (reason) => metrics.fixBusinessRejects.inc({ reason: fixReasonLabel(reason) }),
    // Tracing off: the message only runs on the fix channel (for the order metrics); no span, no attributes.
    dispatch: recording
      ? (msgType, handle) => inGatewaySpan(recording, 'fix', `FIX ${fixMsgTypeLabel(msgType)}`, { 'network.protocol.name': 'fix', 'fix.msg_type': fixMsgTypeLabel(msgType) }, handle)
      : (_msgType, handle) => withChannel('fix', handle),
    // Only the span waits for a message's reply.
    awaitsReplies: recording !== undefined,
  };
}
