/**
 * OpenTelemetry tracing. One tracer per service instance (tests run several in a process, each
 * with its own exporter); the context manager and the W3C propagator are process-wide, since
 * the active context is. Export is off unless the standard `OTEL_*` variables ask for OTLP:
 * then spans go over OTLP/HTTP (JSON) to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, batched.
 */
import { context, propagation, trace, createContextKey, SpanKind, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { OrderChannel } from './trading-metrics.js';

export const TRACER_NAME = 'trading-api';
const DEFAULT_SERVICE_NAME = 'trading-api';

export interface Tracing {
  tracer: Tracer;
  /** False when nothing is exported (spans are then no-ops). */
  enabled: boolean;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

let installed = false;

/** Installs the AsyncLocalStorage context manager and the W3C trace-context propagator, once per process. */
export function installContextPropagation(): void {
  if (installed) return;
  installed = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** The tracer of disabled tracing: a no-op that `recordingTracer` recognises. */
const DISABLED_TRACER: Tracer = trace.getTracer(TRACER_NAME);

/**
 * No export: instrumented code is handed the disabled tracer, asks `recordingTracer` for a real
 * one, gets none and makes no spans at all (not even non-recording ones), so tracing costs nothing
 * on the hot paths.
 */
export function disabledTracing(): Tracing {
  installContextPropagation();
  return { tracer: DISABLED_TRACER, enabled: false, shutdown: async () => {} };
}

/**
 * The tracer to make spans with, or undefined when tracing is off (none given, or the disabled
 * tracer): callers then skip span creation, context switching and attribute building altogether.
 */
export function recordingTracer(tracer: Tracer | undefined): Tracer | undefined {
  return tracer === DISABLED_TRACER ? undefined : tracer;
}

/** Tracing to the given exporter (tests pass an in-memory one); `batch` false exports each span as it ends. */
export function tracingTo(exporter: SpanExporter, options: { batch?: boolean; serviceName?: string } = {}): Tracing {
  installContextPropagation();
  const processor: SpanProcessor = options.batch === false ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 });
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? DEFAULT_SERVICE_NAME, [ATTR_SERVICE_VERSION]: '0.1.0' })
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults.
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  return { tracer: provider.getTracer(TRACER_NAME), enabled: true, shutdown: () => provider.shutdown() };
}

/** Whether the standard variables ask for trace export over OTLP. */
export function otlpRequested(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (exporters.length > 0) return exporters.includes('otlp');
  // Unlike the SDK's own default, nothing is exported until an endpoint is configured.
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** Tracing as the `OTEL_*` environment variables configure it: off by default. */
export function tracingFromEnv(env: NodeJS.ProcessEnv = process.env): Tracing {
  if (!otlpRequested(env)) return disabledTracing();
  // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION itself.
  return tracingTo(new OTLPTraceExporter());
}

const CHANNEL = createContextKey('trading-api.channel');

/** `parent` with `channel` as the order channel of whatever is submitted in it. */
export function contextWithChannel(channel: OrderChannel, parent: Context = context.active()): Context {
  return parent.setValue(CHANNEL, channel);
}

/** Runs `fn` with `channel` as the order channel of whatever it submits. */
export function withChannel<T>(channel: OrderChannel, fn: () => T, parent: Context = context.active()): T {
  return context.with(contextWithChannel(channel, parent), fn);
}

/** The channel of the work in progress: `internal` outside any gateway. */
export function currentChannel(): OrderChannel {
  return (context.active().getValue(CHANNEL) as OrderChannel | undefined) ?? 'internal';
}

/** The W3C `traceparent` (and `tracestate`) of the active context, to carry across a process hop. */
export function injectTraceContext(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The context a carrier from `injectTraceContext` names (the active one if it names none). */
export function extractTraceContext(carrier: Record<string, string> | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

/** `trace_id` and `span_id` of the active span, for log lines (nothing outside a sampled span). */
export function activeTraceIds(): { trace_id: string; span_id: string } | Record<string, never> {
  const span = trace.getSpan(context.active());
  const ctx = span?.spanContext();
  if (!ctx || !trace.isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}

/**
 * Runs `fn` in a new server span on `channel`: the gateway span an order's trace starts from.
 * The span ends when `fn` (or the promise it returns) settles. With tracing off (no tracer, or
 * the disabled one) `fn` only runs on `channel`, and no span is made.
 */
export function inGatewaySpan<T>(tracer: Tracer | undefined, channel: OrderChannel, name: string, attributes: Attributes, fn: () => T): T {
  const recording = recordingTracer(tracer);
  if (!recording) return withChannel(channel, fn);
  return withChannel(channel, () =>
    recording.startActiveSpan(name, { kind: SpanKind.SERVER, attributes }, (span: Span) => {
      let result: T;
      try {
        result = fn();
      } catch (error) {
        span.end();
        throw error;
      }
      if (result instanceof Promise) return result.finally(() => span.end()) as T;
      span.end();
      return result;
    }));
}
