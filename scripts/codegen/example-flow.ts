/**
 * The walk through every operation of the REST contract with its request examples, in an order
 * that works on a fresh demo market (`npm start`): an integrator's first session, from the clock
 * and the market data through a demo account of their own, orders, quotes and keys, to the
 * operator's tasks. Ids the server assigns (order, quote and key ids) are carried from the step
 * that returns them to the steps that need them, as named variables.
 *
 * One source for three consumers: the request-example test (test/contract/request-examples.test.ts),
 * the code samples (x-codeSamples) and the Postman collection.
 */

export interface FlowStep {
  operationId: string;
  /** Which request-body example to send, for an operation with several (default: the first). */
  example?: string;
  /** Path parameters whose value is a variable set by an earlier step: parameter → variable. */
  use?: Record<string, string>;
  /** Variables this step's response sets for later steps: variable → JSON pointer into the body. */
  capture?: Record<string, string>;
}

/** The credentials of the demo account a step creates: later signed steps sign with them. */
export const CREDENTIAL_VARIABLES = { keyId: 'API_KEY', secret: 'API_SECRET' } as const;

export const EXAMPLE_FLOW: readonly FlowStep[] = [
  { operationId: 'getServerTime' },
  { operationId: 'getSystemStatus' },
  { operationId: 'createDemoAccount', capture: { API_KEY: '/keyId', API_SECRET: '/secret' } },
  { operationId: 'listInstruments' },
  { operationId: 'getOrderBook' },
  { operationId: 'listTrades' },
  { operationId: 'getCandles' },
  { operationId: 'listTickers' },
  // A resting limit order (client order id mm-7f3a-0001), a market order, and a batch of two.
  { operationId: 'placeOrder', example: 'limit' },
  { operationId: 'placeOrder', example: 'marketByQuote' },
  { operationId: 'placeOrderBatch', capture: { ORDER_ID: '/results/0/order/orderId' } },
  { operationId: 'listOrders' },
  { operationId: 'listOpenOrders' },
  { operationId: 'getOrder', use: { orderId: 'ORDER_ID' } },
  { operationId: 'amendOrder', use: { orderId: 'ORDER_ID' } },
  { operationId: 'cancelOrder', use: { orderId: 'ORDER_ID' } },
  { operationId: 'getOrderByClientId' },
  { operationId: 'amendOrderByClientId' },
  { operationId: 'cancelOrderByClientId' },
  { operationId: 'listFills' },
  // One quote accepted, another declined.
  { operationId: 'requestQuote', example: 'twoWay', capture: { QUOTE_ID: '/quoteId' } },
  { operationId: 'acceptQuote', use: { quoteId: 'QUOTE_ID' } },
  { operationId: 'getQuote', use: { quoteId: 'QUOTE_ID' } },
  { operationId: 'listRfqs' },
  { operationId: 'listQuoteTrades' },
  { operationId: 'requestQuote', example: 'spend', capture: { QUOTE_ID: '/quoteId' } },
  { operationId: 'declineQuote', use: { quoteId: 'QUOTE_ID' } },
  { operationId: 'getBalances' },
  { operationId: 'getPositions' },
  { operationId: 'getAccount' },
  { operationId: 'createApiKey', capture: { KEY_ID: '/key/keyId' } },
  { operationId: 'listApiKeys' },
  { operationId: 'revokeApiKey', use: { keyId: 'KEY_ID' } },
  { operationId: 'setDeadManSwitch' },
  { operationId: 'getDeadManSwitch' },
  { operationId: 'cancelAllOrders' },
  // The operator's tasks, signed with an operator key; halting BTC-USD comes last.
  { operationId: 'operatorCreateAccount' },
  { operationId: 'operatorDeposit' },
  { operationId: 'operatorWithdraw' },
  { operationId: 'operatorSetKillSwitch' },
  { operationId: 'operatorSetFeeSchedule' },
  { operationId: 'operatorCreateApiKey' },
  { operationId: 'operatorListAuditEntries' },
  { operationId: 'operatorGetStatus' },
  { operationId: 'operatorAddInstrument' },
  { operationId: 'operatorSetInstrumentStatus' },
];

// ------------------------------------------------------------------ requests from the contract

type Json = Record<string, any>;

/** A value of the request: a literal from the contract, or a variable an earlier step set. */
export type Value = { literal: string } | { variable: string };

export type Auth = 'none' | 'key' | 'operator';

/** One step's request, as the contract's examples describe it. */
export interface ExampleRequest {
  step: FlowStep;
  operationId: string;
  method: string;
  /** The path template, e.g. /v1/orders/{orderId}. */
  pathTemplate: string;
  pathParams: { name: string; value: Value }[];
  /** Query parameters with their example, as written in the contract (a number stays a number). */
  query: { name: string; value: string | number | boolean }[];
  /** Header parameters with an example (Idempotency-Key), never the signing headers. */
  headers: { name: string; value: string }[];
  body?: unknown;
  auth: Auth;
  /** The documented success status. */
  status: number;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Follows local `$ref`s of the bundled contract. */
export function deref<T = Json>(spec: Json, node: any): T {
  let current = node;
  while (current && typeof current === 'object' && typeof current.$ref === 'string') {
    const ref: string = current.$ref;
    if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o: any, key) => o?.[key], spec);
    if (current === undefined) throw new Error(`unresolved reference ${ref}`);
  }
  return current as T;
}

export interface OperationRef { operationId: string; method: string; path: string; operation: Json }

/** Every operation of the contract, in document order. */
export function operations(spec: Json): OperationRef[] {
  const out: OperationRef[] = [];
  for (const [path, item] of Object.entries<Json>(spec.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) out.push({ operationId: operation.operationId, method: method.toUpperCase(), path, operation });
    }
  }
  return out;
}

export function findOperation(spec: Json, operationId: string): OperationRef {
  const found = operations(spec).find((o) => o.operationId === operationId);
  if (!found) throw new Error(`the contract has no operation ${operationId}`);
  return found;
}

/** Header parameters a client sets for its own reasons: never part of an example request. */
const OPTIONAL_TUNING_HEADERS = new Set(['x-api-window']);

/** The request of one flow step, from the operation's examples (parameter `example`, body `examples`). */
export function exampleRequest(spec: Json, step: FlowStep): ExampleRequest {
  const { method, path, operation } = findOperation(spec, step.operationId);
  const params = (operation.parameters ?? []).map((p: unknown) => deref(spec, p));
  const pathParams: ExampleRequest['pathParams'] = [];
  const query: ExampleRequest['query'] = [];
  const headers: ExampleRequest['headers'] = [];
  for (const p of params) {
    const variable = step.use?.[p.name];
    if (p.in === 'path') {
      if (variable) pathParams.push({ name: p.name, value: { variable } });
      else if (p.example !== undefined) pathParams.push({ name: p.name, value: { literal: String(p.example) } });
      else throw new Error(`${step.operationId}: path parameter ${p.name} has no example and no variable`);
    } else if (p.in === 'query' && p.example !== undefined) {
      query.push({ name: p.name, value: p.example });
    } else if (p.in === 'header' && p.example !== undefined && !OPTIONAL_TUNING_HEADERS.has(p.name.toLowerCase())) {
      headers.push({ name: p.name, value: String(p.example) });
    }
  }
  for (const name of Object.keys(step.use ?? {})) {
    if (!pathParams.some((p) => p.name === name)) throw new Error(`${step.operationId}: no path parameter ${name} to bind`);
  }
  let body: unknown;
  const media = operation.requestBody && deref(spec, operation.requestBody).content?.['application/json'];
  if (media) {
    const examples: Record<string, Json> = media.examples ?? {};
    const name = step.example ?? Object.keys(examples)[0];
    if (name === undefined || !examples[name]) throw new Error(`${step.operationId}: no request example ${step.example ?? ''}`);
    body = deref<Json>(spec, examples[name]).value;
  } else if (step.example) {
    throw new Error(`${step.operationId} takes no body, so it has no request example ${step.example}`);
  }
  const success = Object.keys(operation.responses).filter((s) => /^2\d\d$/.test(s));
  if (success.length !== 1) throw new Error(`${step.operationId}: expected one documented success status, found ${success.join(', ')}`);
  const secured = Array.isArray(operation.security) && operation.security.length > 0;
  const auth: Auth = !secured ? 'none' : operation['x-required-scope'] === 'operator' ? 'operator' : 'key';
  return { step, operationId: step.operationId, method, pathTemplate: path, pathParams, query, headers, body, auth, status: Number(success[0]) };
}

/** Every step's request, after checking the walk covers every operation and every request example. */
export function exampleRequests(spec: Json, flow: readonly FlowStep[] = EXAMPLE_FLOW): ExampleRequest[] {
  const requests = flow.map((step) => exampleRequest(spec, step));
  for (const { operationId, operation } of operations(spec)) {
    if (!flow.some((s) => s.operationId === operationId)) throw new Error(`the example flow never calls ${operationId}`);
    const media = operation.requestBody && deref(spec, operation.requestBody).content?.['application/json'];
    for (const name of Object.keys(media?.examples ?? {})) {
      const used = flow.some((s) => s.operationId === operationId && (s.example ?? Object.keys(media.examples)[0]) === name);
      if (!used) throw new Error(`the example flow never sends ${operationId}'s request example ${name}`);
    }
  }
  const set = new Set<string>(Object.values(CREDENTIAL_VARIABLES));
  for (const r of requests) {
    for (const p of r.pathParams) {
      if ('variable' in p.value && !set.has(p.value.variable)) throw new Error(`${r.operationId} uses ${p.value.variable} before any step sets it`);
    }
    if (r.auth === 'key' && !requests.slice(0, requests.indexOf(r)).some((x) => x.step.capture?.[CREDENTIAL_VARIABLES.keyId])) {
      throw new Error(`${r.operationId} is signed before any step creates the demo key`);
    }
    for (const v of Object.keys(r.step.capture ?? {})) set.add(v);
  }
  return requests;
}

/** The path with its parameters filled in and the query string, exactly as sent and signed. */
export function resolvedPath(request: ExampleRequest, vars: Record<string, string>): string {
  let path = request.pathTemplate;
  for (const p of request.pathParams) {
    const value = 'literal' in p.value ? p.value.literal : vars[p.value.variable];
    if (value === undefined) throw new Error(`${request.operationId}: variable ${(p.value as { variable: string }).variable} is not set`);
    path = path.replace(`{${p.name}}`, encodeURIComponent(value));
  }
  const query = request.query.map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(String(q.value))}`).join('&');
  return query ? `${path}?${query}` : path;
}

/** The value at a JSON pointer (RFC 6901), as a string. */
export function pointer(body: unknown, ptr: string): string {
  const value = ptr
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((o: any, key) => o?.[key], body);
  if (value === undefined || value === null) throw new Error(`the response has nothing at ${ptr}`);
  return String(value);
}
