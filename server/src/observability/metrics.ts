/** Prometheus metrics (prom-client). One registry per service instance, so tests can run several. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'operation' | 'method' | 'status'>;
  latency: Histogram<'operation' | 'method' | 'status'>;
  /** The text GET /metrics answers (in `registry.contentType`). */
  exposition(): Promise<string>;
}

export interface MetricsOptions {
  /** Register prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** What /metrics answers, given this registry: by default its own metrics; REST workers answer every process's, summed. */
  exposition?: (registry: Registry) => Promise<string>;
}

export function createMetrics(options: MetricsOptions = {}): HttpMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by operationId and status.',
    labelNames: ['operation', 'method', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency from arrival to the last byte written, by operationId and status.',
    labelNames: ['operation', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const exposition = options.exposition ?? ((own: Registry) => own.metrics());
  return { registry, requests, latency, exposition: () => exposition(registry) };
}
