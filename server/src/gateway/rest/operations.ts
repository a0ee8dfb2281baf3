/**
 * Typing glue between the generated contract and the handlers: every operationId in the spec must
 * have a handler (`HandlerMap` is exhaustive), and each handler's return type is the union of its
 * documented success responses, so a missing handler or an off-contract body is a compile error.
 */
import type { operations } from '../../../../generated/openapi.js';

export type OperationId = keyof operations;
type Op<K extends OperationId> = operations[K];

type SuccessStatus<K extends OperationId> = Extract<keyof Op<K>['responses'], 200 | 201 | 202 | 204>;
type JsonContent<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;
type Params<K extends OperationId, Where extends 'path' | 'query' | 'header'> =
  Op<K>['parameters'] extends { [P in Where]?: infer T } ? ([T] extends [never] ? Record<string, never> : NonNullable<T>) : Record<string, never>;
type Body<K extends OperationId> = Op<K>['requestBody'] extends { content: { 'application/json': infer B } } ? B : undefined;

/** What a handler returns: one of the operation's documented success responses. */
export type HandlerResponse<K extends OperationId> = {
  [S in SuccessStatus<K>]: { status: S; body: JsonContent<Op<K>['responses'][S]>; headers?: Record<string, string> };
}[SuccessStatus<K>];

/** The authenticated caller of a private operation. */
export interface Principal {
  keyId: string;
  accountId: string;
  scopes: readonly string[];
}

/** What a handler sees of the request: already validated against the contract. */
export interface HandlerRequest<K extends OperationId> {
  path: Params<K, 'path'>;
  query: Params<K, 'query'>;
  body: Body<K>;
  /** Present on private operations (the auth layer ran first). */
  principal: Principal | undefined;
  requestId: string;
  ip: string;
  /** Request header fields, lower-cased. */
  headers: Record<string, string | string[] | undefined>;
}

export type OperationHandler<K extends OperationId> = (req: HandlerRequest<K>) => HandlerResponse<K> | Promise<HandlerResponse<K>>;

export type HandlerMap = { [K in OperationId]: OperationHandler<K> };
