/**
 * Mounts every operation of the contract on the router, by operationId. The spec decides the
 * paths and methods; the handler map decides what runs. An operation in the spec without a handler
 * fails at start-up (and at compile time, through `HandlerMap`).
 */
import { Router, type Request, type Response, type NextFunction, type RequestHandler } from 'express';
import type { HandlerMap, HandlerRequest, OperationId, Principal } from './operations.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Structured-list header fields that several budgets add entries to. */
const RATE_LIMIT_FIELDS: ReadonlySet<string> = new Set(['ratelimit', 'ratelimit-policy']);

export interface OperationInfo {
  operationId: OperationId;
  method: (typeof METHODS)[number];
  path: string;
  /** True when the operation declares a security requirement. */
  private: boolean;
  /** Scope required by the operation (`x-required-scope`), if any. */
  scope: string | undefined;
  /** Response headers announcing a deprecation (docs/versioning.md), when the spec marks one. */
  deprecationHeaders: Record<string, string> | undefined;
}

interface SpecOperation {
  operationId?: string;
  security?: unknown[];
  'x-required-scope'?: string;
  deprecated?: boolean;
  /** When the deprecation took (or takes) effect, ISO 8601. */
  'x-deprecated-at'?: string;
  /** When the operation may stop answering, ISO 8601. */
  'x-sunset'?: string;
  /** The changelog entry explaining the change, e.g. `/docs/guides/changelog#120`. */
  'x-deprecation-link'?: string;
}

/** RFC 9745 `Deprecation`, RFC 8594 `Sunset` and RFC 8288 `Link` for a deprecated operation. */
export function deprecationHeaders(op: SpecOperation): Record<string, string> | undefined {
  if (!op.deprecated) return undefined;
  const at = Date.parse(op['x-deprecated-at'] ?? '');
  if (Number.isNaN(at)) throw new Error(`${op.operationId}: a deprecated operation needs x-deprecated-at (ISO 8601)`);
  const headers: Record<string, string> = { Deprecation: `@${Math.floor(at / 1000)}` };
  const links: string[] = [];
  const link = op['x-deprecation-link'];
  if (link) links.push(`<${link}>; rel="deprecation"; type="text/html"`);
  if (op['x-sunset'] !== undefined) {
    const sunset = Date.parse(op['x-sunset']);
    if (Number.isNaN(sunset) || sunset < at) throw new Error(`${op.operationId}: x-sunset must be a date no earlier than x-deprecated-at`);
    headers.Sunset = new Date(sunset).toUTCString();
    if (link) links.push(`<${link}>; rel="sunset"; type="text/html"`);
  }
  if (links.length > 0) headers.Link = links.join(', ');
  return headers;
}

/** Lists the operations of the bundled spec in document order. */
export function listOperations(spec: { paths: Record<string, Record<string, unknown>>; security?: unknown[] }): OperationInfo[] {
  const ops: OperationInfo[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method] as SpecOperation | undefined;
      if (!op) continue;
      if (!op.operationId) throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      const security = op.security ?? spec.security ?? [];
      ops.push({
        operationId: op.operationId as OperationId, method, path, private: security.length > 0, scope: op['x-required-scope'],
        deprecationHeaders: deprecationHeaders(op),
      });
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
      res.locals.route = op.path;
      // Set before anything can fail, so errors of a deprecated operation carry the headers too.
      for (const [name, value] of Object.entries(op.deprecationHeaders ?? {})) res.setHeader(name, value);
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
        for (const [name, value] of Object.entries(result.headers ?? {})) {
          // A handler's RateLimit entries (the order budgets) join the request-weight ones already set.
          const before = RATE_LIMIT_FIELDS.has(name.toLowerCase()) ? res.getHeader(name) : undefined;
          res.setHeader(name, typeof before === 'string' && before !== '' ? `${before}, ${value}` : value);
        }
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
