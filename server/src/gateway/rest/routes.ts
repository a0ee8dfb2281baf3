/**
 * Mounts every operation of the contract on the router, by operationId. The spec decides the
 * paths and methods; the handler map decides what runs. An operation in the spec without a handler
 * fails at start-up (and at compile time, through `HandlerMap`).
 */
import { Router, type Request, type Response, type NextFunction, type RequestHandler } from 'express';
import type { HandlerMap, HandlerRequest, OperationId, Principal } from './operations.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export interface OperationInfo {
  operationId: OperationId;
  method: (typeof METHODS)[number];
  path: string;
  /** True when the operation declares a security requirement. */
  private: boolean;
  /** Scope required by the operation (`x-required-scope`), if any. */
  scope: string | undefined;
}

interface SpecOperation { operationId?: string; security?: unknown[]; 'x-required-scope'?: string }

/** Lists the operations of the bundled spec in document order. */
export function listOperations(spec: { paths: Record<string, Record<string, unknown>>; security?: unknown[] }): OperationInfo[] {
  const ops: OperationInfo[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method] as SpecOperation | undefined;
      if (!op) continue;
      if (!op.operationId) throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      const security = op.security ?? spec.security ?? [];
      ops.push({ operationId: op.operationId as OperationId, method, path, private: security.length > 0, scope: op['x-required-scope'] });
    }
  }
  return ops;
}

/** Express path syntax for an OpenAPI path template: `/v1/orders/{orderId}` → `/v1/orders/:orderId`. */
export function toExpressPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

export type BeforeHandler = (op: OperationInfo) => RequestHandler[];

export function operationRouter(ops: OperationInfo[], handlers: HandlerMap, before: BeforeHandler): Router {
  const router = Router();
  for (const op of ops) {
    const handler = handlers[op.operationId] as unknown as (req: HandlerRequest<OperationId>) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
    if (typeof handler !== 'function') throw new Error(`No handler for operation ${op.operationId}`);
    const tag: RequestHandler = (_req, res, next) => {
      res.locals.operationId = op.operationId;
      next();
    };
    const run = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const result = await handler({
          path: req.params as never,
          query: req.query as never,
          body: req.body as never,
          principal: res.locals.principal as Principal | undefined,
          requestId: String(res.locals.requestId),
          ip: req.ip ?? '',
          headers: req.headers,
        });
        for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
        if (result.status === 204) res.status(204).end();
        else res.status(result.status).json(result.body);
      } catch (err) {
        next(err);
      }
    };
    router[op.method](toExpressPath(op.path), tag, ...before(op), run);
  }
  return router;
}
