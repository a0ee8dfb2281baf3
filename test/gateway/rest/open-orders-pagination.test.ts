/** GET /v1/orders/open pages with a cursor, oldest first, never more than the documented cap per page. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPEN_ORDERS_PAGE_CAP } from '../../../server/src/gateway/rest/handlers/orders.js';
import type { Credentials } from '../../helpers/signing.js';
import { signedFetch } from '../../helpers/signing.js';
import { startTestService, type TestService } from '../../helpers/service.js';

let svc: TestService;
let alice: Credentials & { accountId: string };
const get = (path: string) => signedFetch(svc.baseUrl, alice, 'GET', path);
const place = (price: string, symbol = 'BTC-USD') =>
  signedFetch(svc.baseUrl, alice, 'POST', '/v1/orders', { body: { symbol, side: 'buy', type: 'limit', price, quantity: '0.001' } });

/** Every page from the first, following nextCursor. */
async function allPages(query: string): Promise<{ orderId: string }[][]> {
  const pages: { orderId: string }[][] = [];
  let cursor: string | null = null;
  do {
    const res = await get(`/v1/orders/open?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    pages.push(res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  return pages;
}

const ORDERS = 23;

beforeAll(async () => {
  svc = await startTestService({ config: { limits: { keyWeightPerSecond: 100_000, ipWeightPerSecond: 100_000, ordersPerSecond: 100_000, ordersPer10Seconds: 1_000_000 } } });
  alice = await svc.createTrader('pager');
  for (let i = 0; i < ORDERS; i++) expect((await place(`${10_000 + i}.00`, i % 3 === 0 ? 'ETH-USD' : 'BTC-USD')).status).toBe(201);
});
afterAll(async () => svc.stop());

describe('open orders pagination', () => {
  it('without parameters answers every order on one page (below the cap) with nextCursor null, as before', async () => {
    const res = await get('/v1/orders/open');
    expect(res.body.data).toHaveLength(ORDERS);
    expect(res.body.nextCursor).toBeNull();
    const ids = res.body.data.map((o: { orderId: string }) => Number(o.orderId));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('splits the same list into pages of any limit, with no order missing or repeated', async () => {
    const all = (await get('/v1/orders/open')).body.data.map((o: { orderId: string }) => o.orderId);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: ORDERS + 2 }), async (limit) => {
        const pages = await allPages(`limit=${limit}`);
        for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
        expect(pages.flat().map((o) => o.orderId)).toEqual(all);
        expect(pages).toHaveLength(Math.max(1, Math.ceil(ORDERS / limit)));
      }),
      { numRuns: 8 },
    );
  });

  it('pages within a symbol filter', async () => {
    const pages = await allPages('symbol=ETH-USD&limit=3');
    expect(pages.flat().every((o) => (o as unknown as { symbol: string }).symbol === 'ETH-USD')).toBe(true);
    expect(pages.flat()).toHaveLength(Math.ceil(ORDERS / 3));
  });

  it('skips orders canceled between pages and shows orders placed meanwhile on a later page', async () => {
    const first = await get('/v1/orders/open?limit=5');
    const rest = (await get('/v1/orders/open')).body.data.slice(5) as { orderId: string }[];
    const canceled = rest[0]!.orderId;
    expect((await signedFetch(svc.baseUrl, alice, 'DELETE', `/v1/orders/${canceled}`)).status).toBe(200);
    const added = (await place('9000.00')).body.order.orderId as string;
    const later: string[] = [];
    let cursor: string | null = first.body.nextCursor;
    while (cursor !== null) {
      const res = await get(`/v1/orders/open?limit=5&cursor=${cursor}`);
      later.push(...res.body.data.map((o: { orderId: string }) => o.orderId));
      cursor = res.body.nextCursor;
    }
    expect(later).not.toContain(canceled);
    expect(later.at(-1)).toBe(added);
    expect(later).toEqual([...rest.map((o) => o.orderId).filter((id) => id !== canceled), added]);
  });

  it('refuses a limit above the cap and a cursor it did not issue', async () => {
    const tooMany = await get(`/v1/orders/open?limit=${OPEN_ORDERS_PAGE_CAP + 1}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.code).toBe('VALIDATION_FAILED');
    const forged = await get(`/v1/orders/open?cursor=${Buffer.from('{"o":"-1"}').toString('base64url')}`);
    expect(forged.status).toBe(400);
    expect(forged.body.errors[0].path).toBe('cursor');
  });
});
