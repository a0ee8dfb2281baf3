import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../server/src/observability/metrics.js';

describe('createMetrics', () => {
  it('counts requests and latency by operation, method and status in the exposition text', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.requests.inc({ operation: 'placeOrder', method: 'POST', status: '201' });
    metrics.requests.inc({ operation: 'placeOrder', method: 'POST', status: '201' });
    metrics.latency.observe({ operation: 'placeOrder', method: 'POST', status: '201' }, 0.003);
    const text = await metrics.exposition();
    expect(text).toContain('http_requests_total{operation="placeOrder",method="POST",status="201"} 2');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",operation="placeOrder",method="POST",status="201"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.0025",operation="placeOrder",method="POST",status="201"} 0');
  });

  it('gives each instance a registry of its own, so services in one process do not add up', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.requests.inc({ operation: 'listTickers', method: 'GET', status: '200' });
    expect(await b.exposition()).not.toContain('operation="listTickers"');
  });

  it('adds the default process metrics unless told not to', async () => {
    expect(await createMetrics().exposition()).toContain('process_cpu_user_seconds_total');
    expect(await createMetrics({ defaultMetrics: false }).exposition()).not.toContain('process_cpu_user_seconds_total');
  });

  it('answers with another exposition when given one (REST workers sum every process)', async () => {
    const metrics = createMetrics({ defaultMetrics: false, exposition: async (own) => `summed\n${await own.metrics()}` });
    expect((await metrics.exposition()).startsWith('summed\n')).toBe(true);
  });
});
