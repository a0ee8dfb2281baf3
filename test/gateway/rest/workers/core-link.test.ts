/**
 * The two halves of a REST worker's call to the core, joined by an in-memory channel: the worker's
 * REST app with remote handlers must answer exactly as the same app with the real handlers would,
 * errors included; a core that is slow or gone answers 503; readiness follows the core's.
 */
import { EventEmitter } from 'node:events';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../server/src/config/schema.js';
import { ApiError } from '../../../../server/src/errors/api-error.js';
import { createRestApp } from '../../../../server/src/gateway/rest/app.js';
import type { HandlerMap } from '../../../../server/src/gateway/rest/operations.js';
import { listOperations } from '../../../../server/src/gateway/rest/routes.js';
import type { Readiness } from '../../../../server/src/gateway/rest/service-routes.js';
import { loadBundledSpec } from '../../../../server/src/gateway/rest/spec.js';
import type { Channel } from '../../../../server/src/gateway/rest/workers/channel.js';
import { hostHandlers } from '../../../../server/src/gateway/rest/workers/handler-host.js';
import { FORWARDED_HEADERS, type CoreToWorker, type WorkerToCore } from '../../../../server/src/gateway/rest/workers/protocol.js';
import { CoreLink, remoteHandlers } from '../../../../server/src/gateway/rest/workers/remote-handlers.js';
import { createLogger } from '../../../../server/src/observability/logger.js';
import { createMetrics } from '../../../../server/src/observability/metrics.js';
import { DurabilityError } from '../../../../server/src/sequencer/api.js';
import { eventually } from '../../../helpers/eventually.js';

/** Two connected channel ends; messages go through a JSON round trip, serialised on send as over IPC. */
function channelPair() {
  const bus = new EventEmitter();
  let connected = true;
  const end = <In, Out>(inbox: string, outbox: string): Channel<In, Out> => ({
    get connected() {
      return connected;
    },
    send: (message) => {
      if (!connected) return;
      const text = JSON.stringify(message);
      setImmediate(() => bus.emit(outbox, JSON.parse(text)));
    },
    onMessage: (listener) => {
      const l = (m: In) => listener(m);
      bus.on(inbox, l);
      return () => void bus.off(inbox, l);
    },
    onClose: (listener) => void bus.once('close', listener),
  });
  return {
    core: end<WorkerToCore, CoreToWorker>('to-core', 'to-worker'),
    worker: end<CoreToWorker, WorkerToCore>('to-worker', 'to-core'),
    /** Stops delivering messages in both directions (the core answers nothing). */
    mute: () => bus.removeAllListeners('to-core'),
    close: () => {
      connected = false;
      bus.emit('close');
    },
  };
}

const logger = createLogger('silent');
const operationIds = listOperations(loadBundledSpec()).map((op) => op.operationId);
const ready: Readiness = { ready: true, checks: { journal: { ok: true } } };

/** A handler map in which every operation throws `error`, except those given. */
function handlersThrowing(error: () => unknown, overrides: Partial<HandlerMap> = {}): HandlerMap {
  const all = Object.fromEntries(operationIds.map((id) => [id, () => { throw error(); }]));
  return { ...all, ...overrides } as unknown as HandlerMap;
}

function appWith(handlers: HandlerMap, readiness: () => Readiness = () => ready) {
  return createRestApp({ config: DEFAULT_CONFIG, logger, metrics: createMetrics({ defaultMetrics: false }), handlers, readiness });
}

/** The worker's app, calling `handlers` in a "core" over an in-memory channel. */
function workerAppCalling(handlers: HandlerMap, options: { callTimeoutMs?: number; readiness?: () => Readiness } = {}) {
  const pair = channelPair();
  hostHandlers(pair.core, { handlers, readiness: options.readiness ?? (() => ready), logger });
  const link = new CoreLink(pair.worker, { callTimeoutMs: options.callTimeoutMs ?? 5000, pingEveryMs: 20 });
  links.push(link);
  return { app: appWith(remoteHandlers(link, operationIds), () => link.readiness()), pair, link };
}

const links: CoreLink[] = [];
afterEach(() => {
  for (const link of links.splice(0)) link.close();
  vi.useRealTimers();
});

/** Status, problem body without its per-request id, and the headers a handler can set. */
async function answer(app: ReturnType<typeof appWith>, path = '/v1/time') {
  // One Host for every request: the problem `type` names the host that answered.
  const res = await request(app).get(path).set('Host', 'api.test');
  const { requestId: _r, ...body } = res.body as Record<string, unknown>;
  return { status: res.status, type: res.headers['content-type'], retryAfter: res.headers['retry-after'], rateLimit: res.headers['ratelimit'], body };
}

describe('a handler call forwarded to the core', () => {
  it('returns the core handler\'s status, body and headers', async () => {
    const handlers = handlersThrowing(() => new Error('unused'), {
      getServerTime: () => ({ status: 200, body: { serverTime: 7, iso: new Date(7).toISOString() }, headers: { 'Cache-Control': 'no-store' } }),
    });
    const res = await request(workerAppCalling(handlers).app).get('/v1/time').expect(200);
    expect(res.body).toEqual({ serverTime: 7, iso: '1970-01-01T00:00:00.007Z' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('passes the request as the handler saw it in one process, with the headers a handler reads', async () => {
    const seen: unknown[] = [];
    const headerNames: string[][] = [];
    const handlers = handlersThrowing(() => new Error('unused'), {
      getOrderBook: (req) => {
        seen.push({ path: req.path, query: req.query, ip: req.ip, requestId: req.requestId, idempotencyKey: req.headers['idempotency-key'] });
        headerNames.push(Object.keys(req.headers));
        return { status: 200, body: { symbol: 'BTC-USD', sequence: 1, timestamp: 1, bids: [], asks: [] } } as never;
      },
    });
    const get = (app: ReturnType<typeof appWith>) =>
      request(app).get('/v1/instruments/BTC-USD/book?depth=5').set('idempotency-key', 'key-1').set('x-test', 'one').set('x-request-id', 'req-1');
    await get(appWith(handlers));
    await get(workerAppCalling(handlers).app);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ idempotencyKey: 'key-1' });
    expect(seen[1]).toEqual(seen[0]);
    // Headers no handler reads stay in the worker.
    expect(headerNames[0]).toContain('x-test');
    expect(headerNames[1]).toEqual([...FORWARDED_HEADERS]);
  });

  it('answers 500 INTERNAL_ERROR, as one process would, for a reply the channel cannot carry, and serves the next call', async () => {
    let calls = 0;
    const handlers = handlersThrowing(() => new Error('unused'), {
      // A BigInt body cannot be serialised; the second call's body can.
      getServerTime: () => ({ status: 200, body: { serverTime: calls++ === 0 ? (7n as never) : 8, iso: new Date(8).toISOString() } }),
    });
    const single = await answer(appWith(handlers));
    calls = 0;
    const { app } = workerAppCalling(handlers);
    const viaWorker = await answer(app);
    expect(viaWorker).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR', status: 500 } });
    expect(viaWorker).toEqual(single);
    const next = await request(app).get('/v1/time').expect(200);
    expect(next.body).toEqual({ serverTime: 8, iso: new Date(8).toISOString() });
    expect(calls).toBe(2);
  });

  it.each([
    ['an ApiError with headers and extra members', () => new ApiError({ status: 429, code: 'RATE_LIMITED', detail: 'slow down', headers: { 'Retry-After': '3', RateLimit: '"key";r=0;t=3' }, extra: { retryAfterSeconds: 3 } })],
    ['a DurabilityError', () => new DurabilityError('disk full')],
    ['any other error', () => new TypeError('boom')],
  ])('turns %s into the problem one process would answer', async (_name, error) => {
    const handlers = handlersThrowing(error);
    const single = await answer(appWith(handlers));
    const viaWorker = await answer(workerAppCalling(handlers).app);
    expect(viaWorker).toEqual(single);
    expect(single.type).toMatch(/application\/problem\+json/);
  });
});

describe('a core that does not answer', () => {
  it('times a call out with 503 SERVICE_UNAVAILABLE', async () => {
    const { app, pair } = workerAppCalling(handlersThrowing(() => new Error('unused')), { callTimeoutMs: 50 });
    pair.mute();
    const res = await answer(app);
    expect(res).toMatchObject({ status: 503, retryAfter: '1', body: { code: 'SERVICE_UNAVAILABLE', status: 503 } });
    expect(res.body.detail).toMatch(/did not answer in time/);
  });

  it('fails a pending call with 503 when the channel closes, and every call after it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered = false;
    const handlers = handlersThrowing(() => new Error('unused'), {
      getServerTime: async () => {
        entered = true;
        await gate;
        return { status: 200, body: { serverTime: 1, iso: new Date(1).toISOString() } };
      },
    });
    const { app, pair } = workerAppCalling(handlers);
    const pending = answer(app);
    await eventually(() => expect(entered).toBe(true));
    pair.close();
    expect(await pending).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE', detail: 'The trading core is unreachable.' } });
    release();
    expect(await answer(app)).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
  });
});

describe('a worker\'s readiness', () => {
  it('is the core\'s, and not ready once the core stops answering', async () => {
    let coreReady = true;
    const { app, pair } = workerAppCalling(handlersThrowing(() => new Error('unused')), {
      readiness: () => ({ ready: coreReady, checks: { journal: { ok: coreReady, ...(!coreReady && { detail: 'disk full' }) } } }),
    });
    await eventually(async () => expect((await request(app).get('/health/ready')).status).toBe(200));
    expect((await request(app).get('/health/ready')).body).toEqual({ status: 'ready', checks: { core: { ok: true }, journal: { ok: true } } });
    coreReady = false;
    await eventually(async () => expect((await request(app).get('/health/ready')).status).toBe(503));
    expect((await request(app).get('/health/ready')).body.checks).toEqual({ core: { ok: true }, journal: { ok: false, detail: 'disk full' } });
    pair.close();
    const gone = await request(app).get('/health/ready');
    expect(gone.status).toBe(503);
    expect(gone.body.checks).toEqual({ core: { ok: false, detail: 'the trading core process is unreachable' } });
  });

  it('is not ready when pings go unanswered', async () => {
    const { app, pair } = workerAppCalling(handlersThrowing(() => new Error('unused')));
    await eventually(async () => expect((await request(app).get('/health/ready')).status).toBe(200));
    pair.mute();
    await eventually(async () => expect((await request(app).get('/health/ready')).status).toBe(503));
  });
});
