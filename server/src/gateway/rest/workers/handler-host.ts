/**
 * The core process's side of a REST gateway worker: runs the handler calls a worker forwards on
 * the real HandlerMap (the one service.ts builds), and answers its readiness pings. Everything
 * before the handler (parsing, validation, authentication, limits) already ran in the worker.
 */
import { context, type Tracer } from '@opentelemetry/api';
import type { Logger } from '../../../observability/logger.js';
import { extractTraceContext, inGatewaySpan } from '../../../observability/tracing.js';
import type { HandlerMap, HandlerRequest, OperationId } from '../operations.js';
import type { Readiness } from '../service-routes.js';
import type { Channel } from './channel.js';
import { serializeError, type CallMessage, type CoreToWorker, type ReplyMessage, type WorkerToCore } from './protocol.js';

export interface HandlerHostOptions {
  handlers: HandlerMap;
  readiness: () => Readiness;
  logger: Logger;
  /** Continues each call's trace from the worker's request span (no-op spans when absent). */
  tracer?: Tracer | undefined;
}

type AnyHandler = (req: HandlerRequest<OperationId>) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;

/** Serves one worker's channel; returns a function that stops serving it. */
export function hostHandlers(channel: Channel<WorkerToCore, CoreToWorker>, opts: HandlerHostOptions): () => void {
  return channel.onMessage((message) => {
    if (message.type === 'rest-worker:ping') {
      channel.send({ type: 'rest-worker:pong', id: message.id, readiness: opts.readiness() });
    } else if (message.type === 'rest-worker:call') {
      void runCall(message, opts).then((reply) => sendReply(channel, message, reply, opts.logger));
    }
  });
}

/**
 * Sends a call's reply. The channel serialises as it sends, so a body it cannot carry (a BigInt, a
 * cycle) throws here: it becomes the 500 a single process would answer, never a rejection that
 * could bring the core down.
 */
function sendReply(channel: Channel<WorkerToCore, CoreToWorker>, call: CallMessage, reply: ReplyMessage, logger: Logger): void {
  try {
    channel.send(reply);
  } catch (err) {
    logger.error({ err, requestId: call.requestId, operation: call.operationId }, 'handler reply cannot be sent (REST worker call)');
    channel.send({ type: 'rest-worker:reply', id: call.id, ok: false, error: serializeError(err) });
  }
}

/** Runs the call in a span that continues the worker's trace, on the REST channel. */
function runCall(call: CallMessage, opts: HandlerHostOptions): Promise<ReplyMessage> {
  return context.with(extractTraceContext(call.traceContext), () =>
    inGatewaySpan(opts.tracer, 'rest', `REST worker call ${call.operationId}`, { 'http.request.id': call.requestId, 'trading.operation': call.operationId }, () => handleCall(call, opts)));
}

async function handleCall(call: CallMessage, opts: HandlerHostOptions): Promise<ReplyMessage> {
  try {
    const handler = opts.handlers[call.operationId] as unknown as AnyHandler | undefined;
    if (typeof handler !== 'function') throw new Error(`No handler for operation ${String(call.operationId)}`);
    const result = await handler({
      path: call.path as never,
      query: call.query as never,
      body: call.body as never,
      principal: call.principal,
      requestId: call.requestId,
      ip: call.ip,
      headers: call.headers,
    });
    return { type: 'rest-worker:reply', id: call.id, ok: true, status: result.status, body: result.body, ...(result.headers && { headers: result.headers }) };
  } catch (err) {
    const error = serializeError(err);
    // The worker logs it too, but only this side has the stack.
    if (error.kind === 'internal') opts.logger.error({ err, requestId: call.requestId, operation: call.operationId }, 'handler failed (REST worker call)');
    return { type: 'rest-worker:reply', id: call.id, ok: false, error };
  }
}
