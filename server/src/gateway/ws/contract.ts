/**
 * The WebSocket contract at run time: the document `npm run generate` writes to
 * generated/asyncapi.json, compiled once into validators for the requests clients send.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ClientMessage } from '../../../../generated/asyncapi.js';

const CONTRACT_FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../../generated/asyncapi.json');

export type RequestOp = ClientMessage['op'];

/** Request op → the component schema of its payload. */
const REQUEST_SCHEMAS: Readonly<Record<RequestOp, string>> = {
  ping: 'PingRequest',
  login: 'LoginRequest',
  subscribe: 'SubscribeRequest',
  unsubscribe: 'UnsubscribeRequest',
  placeOrder: 'PlaceOrderRequest',
  amendOrder: 'AmendOrderRequest',
  cancelOrder: 'CancelOrderRequest',
  cancelAll: 'CancelAllRequest',
  batch: 'BatchRequest',
  requestQuote: 'RequestQuoteRequest',
  acceptQuote: 'AcceptQuoteRequest',
  declineQuote: 'DeclineQuoteRequest',
  getQuote: 'GetQuoteRequest',
  quoteAnswer: 'QuoteAnswerRequest',
};

export const REQUEST_OPS = Object.keys(REQUEST_SCHEMAS) as RequestOp[];

export function isRequestOp(value: unknown): value is RequestOp {
  return typeof value === 'string' && Object.hasOwn(REQUEST_SCHEMAS, value);
}

export interface FieldError { path: string; message: string }

export type Validation = { ok: true; request: ClientMessage } | { ok: false; errors: FieldError[] };

/** Validates parsed frames against the contract's request schemas. */
export class RequestValidator {
  readonly #validators: Map<RequestOp, ValidateFunction>;

  constructor(contract: object = loadContract()) {
    const ajv = contractAjv(contract);
    this.#validators = new Map(REQUEST_OPS.map((op) => [op, schemaValidator(ajv, REQUEST_SCHEMAS[op])]));
  }

  validate(op: RequestOp, frame: unknown): Validation {
    const validate = this.#validators.get(op)!;
    if (validate(frame)) return { ok: true, request: frame as ClientMessage };
    return { ok: false, errors: fieldErrors(validate.errors ?? []) };
  }
}

export function loadContract(): object {
  return JSON.parse(readFileSync(CONTRACT_FILE, 'utf8')) as object;
}

/**
 * An Ajv instance holding the AsyncAPI document under the id `asyncapi`, so that
 * `asyncapi#/components/schemas/X` names a payload schema. AsyncAPI writes a discriminator as the
 * property name; Ajv wants `{ propertyName }`, so it is rewritten on a copy.
 */
export function contractAjv(contract: object): Ajv {
  const copy = JSON.parse(JSON.stringify(contract), (key, value: unknown) => (key === 'discriminator' && typeof value === 'string' ? { propertyName: value } : value)) as object;
  const ajv = new Ajv({ allErrors: true, strict: false, discriminator: true });
  ajv.addSchema(copy, 'asyncapi');
  return ajv;
}

/** The validator of one component schema of the contract. */
export function schemaValidator(ajv: Ajv, schemaName: string): ValidateFunction {
  const validate = ajv.getSchema(`asyncapi#/components/schemas/${schemaName}`);
  if (!validate) throw new Error(`the contract has no schema ${schemaName}`);
  return validate;
}

/**
 * One entry per offending field. A failed `oneOf` reports the errors of every alternative; an
 * alternative whose required field is missing was not the one the client meant, so its errors
 * are left out (unless every alternative was ruled out that way).
 */
function fieldErrors(errors: readonly ErrorObject[]): FieldError[] {
  const ruledOut = new Set<string>();
  for (const e of errors) {
    const branch = e.keyword === 'required' ? /^.*\/oneOf\/\d+\//.exec(e.schemaPath)?.[0] : undefined;
    if (branch) ruledOut.add(branch);
  }
  const relevant = errors.filter((e) => e.keyword !== 'oneOf');
  const kept = relevant.filter((e) => ![...ruledOut].some((b) => e.schemaPath.startsWith(b)));
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of kept.length > 0 ? kept : relevant) {
    const error = describe(e);
    const key = `${error.path} ${error.message}`;
    if (!seen.has(key)) out.push(error);
    seen.add(key);
  }
  return out.length > 0 ? out : [{ path: '/', message: 'does not match the request schema' }];
}

function describe(e: ErrorObject): FieldError {
  const at = (child: unknown) => `${e.instancePath}/${String(child)}`;
  switch (e.keyword) {
    case 'required': return { path: at(e.params.missingProperty), message: 'is required' };
    case 'additionalProperties': return { path: at(e.params.additionalProperty), message: 'is not allowed' };
    case 'discriminator': return { path: at(e.params.tag), message: e.params.tagValue === undefined ? 'is required' : `has no allowed value ${JSON.stringify(e.params.tagValue)}` };
    default: return { path: e.instancePath || '/', message: e.message ?? 'is invalid' };
  }
}
