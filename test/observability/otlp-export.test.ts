/**
 * Trace export over OTLP/HTTP as the standard OTEL_* variables configure it, to a receiver this
 * test runs, from a real service process with a REST gateway worker: the worker's request span
 * and the core process's spans (handler call, order entry, sequencer, journal) arrive as one
 * trace, carried across the worker's IPC hop.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { signed, startServiceProcess, type ServiceProcess } from '../gateway/rest/workers/service-process.js';

interface ReceivedSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; service: string }

const received: ReceivedSpan[] = [];
const contentTypes = new Set<string>();
let receiver: Server;
let svc: ServiceProcess | undefined;

/** Spans out of an OTLP/JSON ExportTraceServiceRequest (ids are hex strings in the JSON encoding). */
function collect(body: any): void {
  for (const rs of body.resourceSpans ?? []) {
    const service = rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue ?? '';
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) received.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, service });
    }
  }
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      contentTypes.add(`${req.method} ${req.url} ${req.headers['content-type']}`);
      if (req.url === '/v1/traces') collect(JSON.parse(text));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  svc = await startServiceProcess({ REST_WORKERS: '1', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'trading-api-under-test', OTEL_BSP_SCHEDULE_DELAY: '100' });
});

afterAll(async () => {
  svc?.child.kill('SIGTERM');
  if (svc) await once(svc.child, 'exit');
  receiver?.close();
});

describe('OTLP/HTTP export', () => {
  it('sends one trace per order, across the REST worker hop, to the configured endpoint', async () => {
    const trader = await svc!.createTrader('otlp-alice');
    const res = await signed(svc!.workersPort, trader, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20000.00', quantity: '0.1' } });
    expect(res.status).toBe(201);

    const trace = await eventually(() => {
      const root = received.find((s) => s.name === 'POST /v1/orders' && !s.parentSpanId);
      expect(root).toBeDefined();
      const spans = received.filter((s) => s.traceId === root!.traceId);
      expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['REST worker call placeOrder', 'order_entry.place', 'sequencer.submit', 'sequencer.apply', 'journal.commit']));
      return { root: root!, spans };
    }, { timeoutMs: 60_000, intervalMs: 100 });

    // The core's handler-call span is the child of the worker's request span: the context crossed the IPC channel.
    const call = trace.spans.find((s) => s.name === 'REST worker call placeOrder')!;
    expect(call.parentSpanId).toBe(trace.root.spanId);
    expect(trace.spans.every((s) => s.service === 'trading-api-under-test')).toBe(true);
    expect([...contentTypes]).toContain('POST /v1/traces application/json');
  });
});
