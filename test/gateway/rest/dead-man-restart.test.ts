import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { signedFetch } from '../../helpers/signing.js';
import { startTestService } from '../../helpers/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'deadman-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('re-arms a dead-man switch across a restart, and fires one whose deadline passed while the service was down', async () => {
  const first = await startTestService({ dataDir });
  const trader = await first.createTrader('dm');
  const order = { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.01' };
  expect((await signedFetch(first.baseUrl, trader, 'POST', '/v1/orders', { body: order })).status).toBe(201);
  expect((await signedFetch(first.baseUrl, trader, 'PUT', '/v1/dead-man-switch', { body: { timeoutSeconds: 1 } })).body.armed).toBe(true);
  await first.stop();
  // Down for longer than the timeout: the deadline passes with no process to fire it.
  await new Promise((r) => setTimeout(r, 1_300));

  const second = await startTestService({ dataDir });
  try {
    let open: unknown[] = [undefined];
    for (let i = 0; i < 40 && open.length > 0; i++) {
      open = (await signedFetch(second.baseUrl, trader, 'GET', '/v1/orders/open')).body.data;
      if (open.length > 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(open).toEqual([]);
    expect((await signedFetch(second.baseUrl, trader, 'GET', '/v1/dead-man-switch')).body.armed).toBe(false);
    const history = await signedFetch(second.baseUrl, trader, 'GET', '/v1/orders?status=canceled');
    expect(history.body.data).toHaveLength(1);
  } finally {
    await second.stop();
  }
});
