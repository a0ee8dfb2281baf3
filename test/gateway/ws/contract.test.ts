/**
 * The WebSocket contract itself: a valid AsyncAPI 3.0 document whose every message has a
 * validating example, whose schemas shared with the REST contract are REST's, which the
 * generated files and the reference page reflect, and whose requests the gateway validates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkExamples, loadAsyncApi, messageDirections, validateAsyncApi, type AsyncApiDocument } from '../../../scripts/codegen/asyncapi.js';
import { WS_MESSAGES } from '../../../generated/asyncapi.js';
import { REQUEST_OPS } from '../../../server/src/gateway/ws/contract.js';

const root = join(import.meta.dirname, '../../..');
const specFile = join(root, 'api-spec/asyncapi.yaml');
const doc = loadAsyncApi(specFile);

describe('the AsyncAPI document', () => {
  it('is valid AsyncAPI 3.0 for @asyncapi/parser', async () => {
    expect(doc.asyncapi).toBe('3.0.0');
    await expect(validateAsyncApi(readFileSync(specFile, 'utf8'), specFile)).resolves.toBeUndefined();
  });

  it('is refused by the validation when broken', async () => {
    const broken = readFileSync(specFile, 'utf8').replace("channel: { $ref: '#/channels/ws' }", "channel: { $ref: '#/channels/nowhere' }");
    await expect(validateAsyncApi(broken, specFile)).rejects.toThrow(/not a valid AsyncAPI document/);
  });

  it('gives every message an example that validates against its payload schema, and the check catches a bad one', () => {
    expect(() => checkExamples(doc)).not.toThrow();
    for (const message of Object.values(doc.components.messages)) expect(message.examples?.length, message.name).toBeGreaterThan(0);
    const bad = structuredClone(doc);
    (bad.components.messages.heartbeat!.examples![0]!.payload as { seq: unknown }).seq = 'latest';
    expect(() => checkExamples(bad)).toThrow(/heartbeat example heartbeat/);
  });

  it('uses every message in an operation, each sent by one side only', () => {
    const directions = messageDirections(doc);
    expect([...directions.keys()].sort()).toEqual(Object.keys(doc.components.messages).sort());
    expect(directions.get('placeOrder')).toBe('client');
    expect(directions.get('placeOrderReply')).toBe('server');
    expect(directions.get('bookUpdate')).toBe('server');
  });

  it('is what generated/ holds, and the gateway validates exactly its client messages', () => {
    expect(JSON.parse(readFileSync(join(root, 'generated/asyncapi.json'), 'utf8'))).toEqual(doc);
    const clientOps = Object.entries(WS_MESSAGES).filter(([, m]) => m.direction === 'client').map(([name]) => name);
    expect([...REQUEST_OPS].sort()).toEqual(clientOps.sort());
  });
});

describe('schemas shared with the REST contract', () => {
  /** A schema with annotations dropped, so that only what constrains values is compared. */
  function constraints(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(constraints);
    if (schema === null || typeof schema !== 'object') return schema;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(schema)) {
      if (['description', 'example', 'examples', 'title'].includes(key)) continue;
      out[key] = key === 'required' && Array.isArray(value) ? [...value].sort() : constraints(value);
    }
    return out;
  }

  it('defines every schema that has a REST namesake exactly as REST does', () => {
    const rest = parse(readFileSync(join(root, 'api-spec/openapi.yaml'), 'utf8')) as { components: { schemas: Record<string, unknown> } };
    const shared = Object.keys(doc.components.schemas).filter((name) => name in rest.components.schemas);
    expect(shared).toEqual(expect.arrayContaining(['Order', 'OrderRequest', 'Fill', 'OrderResult', 'Balance', 'Position', 'RateLimitUsage', 'PositiveDecimal', 'Decimal', 'ClientOrderId']));
    for (const name of shared) expect(constraints(doc.components.schemas[name]), name).toEqual(constraints(rest.components.schemas[name]));
  });
});

describe('the reference page', () => {
  const html = readFileSync(join(root, 'generated/docs/websocket.html'), 'utf8');

  it('documents every operation, message and schema, with the checksum rule', () => {
    const d = doc as AsyncApiDocument;
    for (const name of Object.keys(d.operations)) expect(html).toContain(`id="operation-${name}"`);
    for (const name of Object.keys(d.components.messages)) expect(html).toContain(`id="message-${name}"`);
    for (const name of Object.keys(d.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    expect(html).toContain('CRC-32');
  });

  it('is self-contained: no scripts, stylesheets or other resources from elsewhere', () => {
    expect(html).not.toMatch(/<script|<link|<img|@import|src=/i);
  });
});
