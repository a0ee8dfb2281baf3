/**
 * Every request example of the REST contract, sent in the order of the example flow
 * (scripts/codegen/example-flow.ts) to a fresh demo market with its market maker, as an
 * integrator would send them: the ids the server assigns are carried from earlier steps, the
 * demo account a step creates signs the account's steps, and the operator's key the operator's.
 * Each step must get its documented success status, and its response must match the contract
 * (body schema and required headers).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_VARIABLES, EXAMPLE_FLOW, exampleRequests, pointer, resolvedPath, type ExampleRequest } from '../../scripts/codegen/example-flow.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch } from '../helpers/signing.js';
import { demoMarketQuoted } from '../helpers/demo-market.js';
import { SpecValidator } from './spec-validator.js';

const ROOT = resolve(import.meta.dirname, '../..');
const spec = JSON.parse(readFileSync(resolve(ROOT, 'generated/openapi.json'), 'utf8'));
const requests = exampleRequests(spec);
const validator = new SpecValidator(spec);

describe('the example flow', () => {
  it('calls every operation and sends every request example of the contract', () => {
    const called = new Set(requests.map((r) => r.operationId));
    const all = Object.values<Record<string, { operationId?: string }>>(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId).filter(Boolean));
    expect([...called].sort()).toEqual([...new Set(all)].sort());
  });

  it('refuses a flow that leaves an operation out, or uses an id before a step sets it', () => {
    expect(() => exampleRequests(spec, [{ operationId: 'getServerTime' }])).toThrow(/never calls/);
    expect(() => exampleRequests(spec, [{ operationId: 'getOrder', use: { orderId: 'ORDER_ID' } }, ...EXAMPLE_FLOW])).toThrow(/uses ORDER_ID before any step sets it/);
    expect(() => exampleRequests(spec, EXAMPLE_FLOW.filter((s) => s.example !== 'marketByQuote'))).toThrow(/never sends placeOrder's request example marketByQuote/);
  });
});

describe('every request example of the contract, in order, on a fresh demo market', () => {
  let svc: TestService;
  const vars: Record<string, string> = {};

  beforeAll(async () => {
    svc = await startTestService({ demoBot: true });
    await demoMarketQuoted(svc.baseUrl);
  });
  afterAll(async () => {
    await svc?.stop();
  });

  async function send(r: ExampleRequest) {
    const path = resolvedPath(r, vars);
    const headers = Object.fromEntries(r.headers.map((h) => [h.name, h.value]));
    if (r.auth === 'none') {
      const body = r.body === undefined ? undefined : JSON.stringify(r.body);
      const res = await fetch(svc.baseUrl + path, { method: r.method, headers: { ...headers, ...(body && { 'Content-Type': 'application/json' }) }, ...(body && { body }) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
    }
    const creds = r.auth === 'operator' ? svc.operator : { keyId: vars[CREDENTIAL_VARIABLES.keyId]!, secret: vars[CREDENTIAL_VARIABLES.secret]! };
    return signedFetch(svc.baseUrl, creds, r.method, path, { body: r.body, headers });
  }

  // One test per step, run in order: a failed step fails on its own, and the next ones say what it left unset.
  requests.forEach((r, i) => {
    const label = `${i + 1}. ${r.method} ${r.pathTemplate} (${r.operationId}${r.step.example ? `, example ${r.step.example}` : ''})`;
    it(`${label} answers ${r.status} and matches the contract`, async () => {
      const res = await send(r);
      const context = `${label}\n${JSON.stringify(res.body, null, 2)}`;
      expect(res.status, context).toBe(r.status);
      expect(validator.check(r.operationId, res.status, res.headers, res.body), context).toEqual([]);
      for (const [variable, ptr] of Object.entries(r.step.capture ?? {})) vars[variable] = pointer(res.body, ptr);
    });
  });
});

describe('the response check', () => {
  it('reports a body that breaks the schema and a missing required header', () => {
    const headers = new Headers({ 'RateLimit-Policy': 'x', RateLimit: 'y' });
    const problems = validator.check('getServerTime', 200, headers, { serverTime: 'soon' });
    expect(problems.some((p) => p.includes('X-Request-Id'))).toBe(true);
    expect(problems.some((p) => p.startsWith('body/serverTime'))).toBe(true);
    expect(validator.check('getServerTime', 299, headers, {})).toEqual(['getServerTime does not document status 299']);
  });
});
