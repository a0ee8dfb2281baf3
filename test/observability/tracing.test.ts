/**
 * One trace per order: from the gateway span (REST request, WebSocket frame, FIX message) through
 * order entry, the sequencer's apply and the journal commit, collected by an in-memory exporter;
 * and log lines that carry the ids of the span they were written in.
 */
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixLogonPrehash } from '../../server/src/auth/canonical.js';
import { formatUtcTimestamp } from '../../server/src/gateway/fix/time.js';
import { createLogger } from '../../server/src/observability/logger.js';
import { tracingTo } from '../../server/src/observability/tracing.js';
import { FixClient } from '../gateway/fix/harness.js';
import { WsTestClient, loginRequest } from '../gateway/ws/client.js';
import { eventually } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch } from '../helpers/signing.js';

const exporter = new InMemorySpanExporter();
const logLines: Record<string, unknown>[] = [];
let svc: TestService;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  svc = await startTestService({ tracing: tracingTo(exporter, { batch: false }), logger: createLogger('info', sink) });
});
afterAll(async () => {
  await svc?.stop();
});

const order = (price: string) => ({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price, quantity: '0.1' });

/** The spans of one trace, and a check that each named span descends from the root. */
function traceOf(rootName: string, kind: SpanKind): ReadableSpan[] {
  const root = exporter.getFinishedSpans().filter((s) => s.name === rootName && s.kind === kind).at(-1);
  if (!root) throw new Error(`no ${rootName} span among ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === root.spanContext().traceId);
}

function ancestry(spans: ReadableSpan[], name: string): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  let span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no ${name} span in the trace (${spans.map((s) => s.name).join(', ')})`);
  const chain = [span.name];
  while (span?.parentSpanContext?.spanId && byId.has(span.parentSpanContext.spanId)) {
    span = byId.get(span.parentSpanContext.spanId)!;
    chain.push(span.name);
  }
  return chain.reverse();
}

describe('traces', () => {
  it('follow a REST order from the request through order entry, the sequencer and the journal', async () => {
    const alice = await svc.createTrader('t-alice');
    exporter.reset();
    const res = await signedFetch(svc.baseUrl, alice, 'POST', '/v1/orders', { body: order('20000.00') });
    expect(res.status).toBe(201);
    await eventually(() => expect(exporter.getFinishedSpans().some((s) => s.name === 'POST /v1/orders')).toBe(true));
    const spans = traceOf('POST /v1/orders', SpanKind.SERVER);
    expect(ancestry(spans, 'journal.commit')).toEqual(['POST /v1/orders', 'order_entry.place', 'sequencer.submit', 'journal.commit']);
    expect(ancestry(spans, 'sequencer.apply')).toEqual(['POST /v1/orders', 'order_entry.place', 'sequencer.submit', 'sequencer.apply']);
    const root = spans.find((s) => s.name === 'POST /v1/orders')!;
    expect(root.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/orders', 'http.response.status_code': 201 });
    const commit = spans.find((s) => s.name === 'journal.commit')!;
    expect(commit.attributes['trading.journal.batch_records']).toBeGreaterThanOrEqual(1);
    // The reply goes out after the commit: the request span ends after it.
    expect(hrMs(root.endTime)).toBeGreaterThanOrEqual(hrMs(commit.endTime));

    // The request's log line names the trace and the request span.
    const line = logLines.find((l) => l.msg === 'request' && l.requestId === res.headers.get('x-request-id'));
    expect(line).toMatchObject({ trace_id: root.spanContext().traceId, span_id: root.spanContext().spanId });
  });

  it('follow a WebSocket order from its frame to the journal', async () => {
    const bob = await svc.createTrader('t-bob');
    const client = await WsTestClient.connect(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
    try {
      await client.ok('login', loginRequest(bob));
      exporter.reset();
      await client.ok('placeOrder', order('19000.00'));
      await eventually(() => expect(exporter.getFinishedSpans().some((s) => s.name === 'WS placeOrder')).toBe(true));
      expect(ancestry(traceOf('WS placeOrder', SpanKind.SERVER), 'journal.commit')).toEqual(['WS placeOrder', 'order_entry.place', 'sequencer.submit', 'journal.commit']);
    } finally {
      client.close();
    }
  });

  it('follow a FIX NewOrderSingle from the message to the journal', async () => {
    const carol = await svc.createTrader('t-carol', undefined, ['read', 'trade'], { fixSenderCompId: 'CAROL' });
    const fix = await FixClient.connect(svc.fixPort!, 'CAROL', 'EXCHANGE');
    try {
      const sendingTime = formatUtcTimestamp(Date.now());
      const signature = createHmac('sha256', Buffer.from(carol.secret, 'base64url'))
        .update(fixLogonPrehash({ sendingTime, msgType: 'A', msgSeqNum: 1, senderCompId: 'CAROL', targetCompId: 'EXCHANGE' })).digest('base64');
      fix.send('A', [[98, '0'], [108, '30'], [553, carol.keyId], [554, signature]], { sendingTime });
      await fix.next('A');
      exporter.reset();
      fix.send('D', [[11, 'trace-1'], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(Date.now())], [38, '0.1'], [40, '2'], [44, '18000']]);
      expect((await fix.next('8')).get(150)).toBe('0');
      await eventually(() => expect(exporter.getFinishedSpans().some((s) => s.name === 'journal.commit')).toBe(true));
      expect(ancestry(traceOf('FIX D', SpanKind.SERVER), 'journal.commit')).toEqual(['FIX D', 'order_entry.place', 'sequencer.submit', 'journal.commit']);
      // The gateway span lasts until the reply: it ends once the ExecutionReport is sent, after the commit.
      const nanos = ([sec, ns]: [number, number]) => BigInt(sec) * 1_000_000_000n + BigInt(ns);
      const gatewaySpan = exporter.getFinishedSpans().find((s) => s.name === 'FIX D')!;
      const commit = exporter.getFinishedSpans().find((s) => s.name === 'journal.commit' && s.spanContext().traceId === gatewaySpan.spanContext().traceId)!;
      // OpenTelemetry anchors each span's clock to Date.now() (whole milliseconds) when the span
      // starts, so the times of two different spans can disagree by up to a millisecond.
      expect(nanos(gatewaySpan.endTime) + 1_000_000n).toBeGreaterThanOrEqual(nanos(commit.endTime));
    } finally {
      fix.close();
    }
  });
});

function hrMs([s, ns]: [number, number]): number {
  return s * 1000 + ns / 1e6;
}
