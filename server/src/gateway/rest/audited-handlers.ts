/**
 * Records operator actions and API key changes in the audit log: every operation whose id starts
 * with `operator`, plus `createApiKey` and `revokeApiKey`. An entry is written once the handler
 * has succeeded, naming the caller's key id, the operation, its subject (account, key or symbol)
 * and its request parameters; response bodies (which may hold a new secret) are never recorded.
 * An entry that cannot be written is reported through `onError`; the action stands (it is
 * already done, and every trade is in the journal anyway).
 */
import type { AuditSink } from '../../audit/audit-sink.js';
import type { HandlerMap, HandlerRequest, OperationId } from './operations.js';

export const isAudited = (operationId: string): boolean =>
  operationId.startsWith('operator') || operationId === 'createApiKey' || operationId === 'revokeApiKey';

type AnyRequest = HandlerRequest<OperationId> & { path: Record<string, unknown>; body: unknown };
type AnyHandler = (req: AnyRequest) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown };

export interface AuditedHandlersOptions {
  clock: () => number;
  onError: (error: unknown, operationId: string) => void;
}

export function auditedHandlers(handlers: HandlerMap, sink: AuditSink, options: AuditedHandlersOptions): HandlerMap {
  const wrapped: Record<string, AnyHandler> = { ...(handlers as unknown as Record<string, AnyHandler>) };
  for (const [operationId, handler] of Object.entries(wrapped)) {
    if (!isAudited(operationId)) continue;
    wrapped[operationId] = async (req) => {
      const response = await handler(req);
      const createdKey = (response.body as { key?: { keyId?: string } } | undefined)?.key?.keyId;
      const body = req.body as Record<string, unknown> | undefined;
      const subject = String(req.path.keyId ?? req.path.accountId ?? req.path.symbol ?? body?.accountId ?? body?.symbol ?? createdKey ?? req.principal?.accountId ?? '');
      await sink.record({
        at: options.clock(),
        actor: req.principal?.keyId ?? 'anonymous',
        action: operationId,
        subject,
        detail: { path: req.path, ...(body !== undefined && { body }), status: response.status, ...(createdKey !== undefined && { keyId: createdKey }) },
        ...(req.ip && { ip: req.ip }),
        ...(req.requestId && { requestId: req.requestId }),
      }).catch((error: unknown) => options.onError(error, operationId));
      return response;
    };
  }
  return wrapped as unknown as HandlerMap;
}
