/**
 * Retries against a service configured with tiny rate limits: a 429 is waited out for at least
 * the server's Retry-After and then succeeds; an order refused by the order-rate limit is placed
 * exactly once after its retry; a Retry-After longer than the client accepts is handed back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, RestClient, type ApiCredentials, type RetryEvent } from '../../sdk/src/index.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { GENEROUS_LIMITS } from './support/traders.js';

const ACCOUNTS = ['reader', 'placer', 'impatient', 'no-retry'] as const;
let svc: TestService;
let dataDir: string;
const traders = new Map<string, ApiCredentials>();

beforeAll(async () => {
  // The accounts are made under generous limits (the operator's key is limited too), then the
  // service restarts on the same data with tight ones.
  dataDir = mkdtempSync(join(tmpdir(), 'sdk-limits-'));
  const setup = await startTestService({ dataDir, config: { limits: GENEROUS_LIMITS } });
  for (const id of ACCOUNTS) traders.set(id, await setup.createTrader(id));
  await setup.stop();
  svc = await startTestService({ dataDir, config: { limits: { keyWeightPerSecond: 20, ipWeightPerSecond: 10_000, ordersPerSecond: 2, ordersPer10Seconds: 1_000 } } });
});

afterAll(async () => {
  await svc?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A client that records each retry's wait and really sleeps it. */
async function recordingClient(accountId: (typeof ACCOUNTS)[number], extra: { maxRetryAfterMs?: number } = {}) {
  const events: RetryEvent[] = [];
  const slept: number[] = [];
  const client = new RestClient({
    baseUrl: svc.baseUrl,
    credentials: traders.get(accountId)!,
    retry: {
      ...extra,
      maxRetries: 5,
      onRetry: (e) => events.push(e),
      sleep: (ms) => {
        slept.push(ms);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    },
  });
  return { client, events, slept };
}

describe('429 handling', () => {
  it('waits at least Retry-After and then succeeds', async () => {
    const { client, events, slept } = await recordingClient('reader');
    // listOrders weighs 10 against a key budget of 20 per second: of four at once, two are refused.
    const pages = await Promise.all(Array.from({ length: 4 }, () => client.listOrders({ limit: 1 })));
    expect(pages.every((p) => Array.isArray(p.data))).toBe(true);
    const limited = events.filter((e) => e.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    for (const e of limited) {
      expect(e).toMatchObject({ kind: 'unprocessed', status: 429 });
      expect(e.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(e.delayMs).toBeGreaterThanOrEqual(e.retryAfterSeconds! * 1000);
    }
    expect(slept).toEqual(events.map((e) => e.delayMs));
  });

  it('places an order refused by the order-rate limit exactly once, even without a client order id', async () => {
    const { client, events } = await recordingClient('placer');
    const placed = [];
    for (let i = 0; i < 4; i++) placed.push((await client.placeOrder({ symbol: 'ETH-USD', side: 'buy', type: 'limit', price: `${100 + i}.00`, quantity: '0.1' })).order.orderId);
    expect(events.some((e) => e.method === 'POST' && e.code === 'RATE_LIMITED')).toBe(true);
    const open = await client.listOpenOrders('ETH-USD');
    expect(open.data.map((o) => o.orderId).sort()).toEqual([...placed].sort());
  });

  it('hands back a 429 whose Retry-After is longer than the client will wait, as a typed error', async () => {
    const { client, events } = await recordingClient('impatient', { maxRetryAfterMs: 100 });
    const error = await (async () => {
      for (let i = 0; i < 10; i++) await client.listOrders({ limit: 1 });
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect((error as ApiError).retryAfter).toBeGreaterThanOrEqual(1);
    expect(events).toEqual([]);
  });

  it('never retries when retries are off', async () => {
    const client = new RestClient({ baseUrl: svc.baseUrl, credentials: traders.get('no-retry')!, retry: false });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => client.listOrders({ limit: 1 })));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => (r as PromiseRejectedResult).reason instanceof ApiError && (r as PromiseRejectedResult).reason.code === 'RATE_LIMITED')).toBe(true);
  });
});
