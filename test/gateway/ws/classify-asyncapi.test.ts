/**
 * The breaking-change rules for the WebSocket contract, one test per rule, each on a copy of
 * the real contract with one change; and the compat CLI failing on a breaking candidate.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { classifyAsyncApi } from '../../../scripts/contract/classify-asyncapi.js';
import { breaking } from '../../../scripts/contract/classify-openapi.js';

const root = join(import.meta.dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;
const released: Doc = parse(readFileSync(join(root, 'api-spec/asyncapi.yaml'), 'utf8'));

function changed(edit: (doc: Doc) => void): Doc {
  const copy = structuredClone(released);
  edit(copy);
  return copy;
}

function rulesOf(before: Doc, after: Doc): string[] {
  return [...new Set(breaking(classifyAsyncApi(before, after)).map((f) => f.rule!))].sort();
}

const schemas = (doc: Doc) => doc.components.schemas;

describe('what is not breaking', () => {
  it('finds nothing between identical documents', () => {
    expect(classifyAsyncApi(released, structuredClone(released))).toEqual([]);
  });

  it('lets a new message, a new optional request field, a new response field and a new response enum value pass, and reports them', () => {
    const after = changed((d) => {
      d.components.messages.news = { name: 'news', payload: { $ref: '#/components/schemas/Heartbeat' }, examples: [] };
      d.channels.ws.messages.news = { $ref: '#/components/messages/news' };
      d.operations.sendNews = { action: 'send', channel: { $ref: '#/channels/ws' }, messages: [{ $ref: '#/channels/ws/messages/news' }] };
      schemas(d).OrderRequest.properties.note = { type: 'string' };
      schemas(d).Heartbeat.properties.lag = { type: 'integer' };
      schemas(d).OrderUpdate.properties.event.enum.push('expired');
    });
    const findings = classifyAsyncApi(released, after);
    expect(breaking(findings)).toEqual([]);
    expect(findings.map((f) => f.location)).toEqual(expect.arrayContaining([
      'messages.news',
      'messages.placeOrder.payload.args.note',
      'messages.heartbeat.payload.lag',
      'messages.orderUpdate.payload.event',
    ]));
  });

  it('lets a request type widen (fewer constraints, more enum values, a new alternative)', () => {
    const after = changed((d) => {
      delete schemas(d).ClientOrderId.pattern;
      schemas(d).SubscriptionArgs.oneOf.push({ type: 'object', required: ['channel'], properties: { channel: { const: 'news' } } });
      schemas(d).BookDepth.enum.push(200);
      schemas(d).LoginArgs.properties.timestamp.maximum = 99999999999999999;
    });
    expect(rulesOf(released, after)).toEqual([]);
  });
});

describe('breaking rules', () => {
  it('message-removed and operation-message-removed: a message is gone', () => {
    const after = changed((d) => {
      delete d.components.messages.ticker;
      delete d.channels.ws.messages.ticker;
      d.operations.sendTicker.messages = [];
    });
    expect(rulesOf(released, after)).toEqual(['message-removed', 'operation-message-removed']);
  });

  it('operation-removed: an operation is gone', () => {
    expect(rulesOf(released, changed((d) => delete d.operations.batch))).toEqual(['operation-removed']);
  });

  it('operation-changed: an operation changes action', () => {
    expect(rulesOf(released, changed((d) => (d.operations.sendHeartbeats.action = 'receive')))).toContain('operation-changed');
  });

  it('message-direction-changed: a server message becomes a client message', () => {
    const after = changed((d) => {
      d.operations.sendHeartbeats.action = 'receive';
    });
    expect(rulesOf(released, after)).toContain('message-direction-changed');
  });

  it('response-field-removed: a field of a server message is gone (also deep inside a shared schema)', () => {
    expect(rulesOf(released, changed((d) => delete schemas(d).TickerFrame.properties.high))).toEqual(['response-field-removed']);
    const deep = breaking(classifyAsyncApi(released, changed((d) => delete schemas(d).Order.properties.averagePrice)));
    expect(deep.map((f) => f.location)).toContain('messages.orderUpdate.payload.order.averagePrice');
  });

  it('request-field-removed: a field a client may send is gone', () => {
    expect(rulesOf(released, changed((d) => delete schemas(d).OrderRequest.properties.postOnly))).toEqual(['request-field-removed']);
  });

  it('response-field-optional: a server field is no longer always present', () => {
    expect(rulesOf(released, changed((d) => (schemas(d).Heartbeat.required = ['type', 'serverTime'])))).toEqual(['response-field-optional']);
  });

  it('request-field-required: a client must now send a field', () => {
    expect(rulesOf(released, changed((d) => schemas(d).LoginArgs.required.push('window')))).toEqual(['request-field-required']);
    const added = changed((d) => {
      schemas(d).CancelAllArgs.properties.reason = { type: 'string' };
      schemas(d).CancelAllArgs.required = ['reason'];
    });
    expect(rulesOf(released, added)).toEqual(['request-field-required']);
  });

  it('request-type-narrowed: fewer request values are accepted', () => {
    const cases: [string, (d: Doc) => void][] = [
      ['enum value removed', (d) => (schemas(d).TimeInForce.enum = ['GTC', 'IOC', 'GTD'])],
      ['maximum lowered', (d) => (schemas(d).LoginArgs.properties.timestamp.maximum = 10)],
      ['maxLength lowered', (d) => (schemas(d).LoginArgs.properties.signature.maxLength = 100)],
      ['minItems raised', (d) => (schemas(d).BatchRequest.properties.args.properties.requests.minItems = 2)],
      ['pattern changed', (d) => (schemas(d).ClientOrderId.pattern = '^[a-z]{1,36}$')],
      ['const added', (d) => (schemas(d).CancelAllArgs.properties.symbol = { const: 'BTC-USD' })],
      ['alternative removed', (d) => schemas(d).SubscriptionArgs.oneOf.pop()],
    ];
    for (const [what, edit] of cases) expect(rulesOf(released, changed(edit)), what).toEqual(['request-type-narrowed']);
    // A JSON type removed from the request id; replies echo the id, so their type changed too.
    expect(rulesOf(released, changed((d) => (schemas(d).RequestId.type = 'integer')))).toEqual(['request-type-narrowed', 'response-type-changed']);
    // Closing a request object to unknown fields narrows it too.
    const open = changed((d) => delete schemas(d).CancelAllArgs.additionalProperties);
    expect(rulesOf(open, released)).toEqual(['request-type-narrowed']);
  });

  it('response-type-changed: a server field changes JSON type or const, loses its enum, or gains an alternative', () => {
    const cases: [string, (d: Doc) => void][] = [
      ['type changed', (d) => (schemas(d).Heartbeat.properties.serverTime = { type: 'string' })],
      ['type widened', (d) => (schemas(d).Sequence.type = ['integer', 'string'])],
      ['const changed', (d) => (schemas(d).TickerFrame.properties.type.const = 'ticker.update')],
      ['enum removed', (d) => delete schemas(d).OrderUpdate.properties.event.enum],
      ['alternative added', (d) => schemas(d).BatchItemResult.oneOf.push({ type: 'object' })],
    ];
    for (const [what, edit] of cases) expect(rulesOf(released, changed(edit)), what).toEqual(['response-type-changed']);
  });
});

describe('npm run compat', () => {
  it('fails on a breaking WebSocket change and names it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ws-compat-'));
    try {
      const candidate = join(dir, 'asyncapi.yaml');
      writeFileSync(candidate, stringify(changed((d) => delete schemas(d).TickerFrame.properties.high)));
      const run = promisify(execFile)(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/compat.ts'), '--ws-spec', candidate], { cwd: root });
      const failure = await run.then(() => undefined, (e: { code: number; stdout: string }) => e);
      expect(failure?.code).toBe(1);
      expect(failure?.stdout).toMatch(/WebSocket contract \(AsyncAPI\): 1 breaking/);
      expect(failure?.stdout).toContain('messages.ticker.payload.high [response-field-removed]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
