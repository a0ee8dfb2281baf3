import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.js';
import { signedFetch } from '../../helpers/signing.js';
import { startTestService } from '../../helpers/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'deadman-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('re-arms a dead-man switch across a restart, and fires one whose deadline passed while the service was down', async () => {
  const first = await startTestService({ dataDir });
  const trader = await first.createTrader('dm');
  const order = { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.01' };
  expect((await signedFetch(first.baseUrl, trader, 'POST', '/v1/orders', { body: order })).status).toBe(201);
  expect((await signedFetch(first.baseUrl, trader, 'PUT', '/v1/dead-man-switch', { body: { timeoutSeconds: 10 } })).body.armed).toBe(true);
  await first.stop();

  // The next start's clock is 30 s on: the deadline passed while no process could fire it.
  const downMs = 30_000;
  const second = await startTestService({ dataDir, clock: () => Date.now() + downMs });
  const get = (path: string) => signedFetch(second.baseUrl, trader, 'GET', path, { timestamp: Date.now() + downMs });
  try {
    await eventually(async () => expect((await get('/v1/orders/open')).body.data).toEqual([]));
    expect((await get('/v1/dead-man-switch')).body.armed).toBe(false);
    const history = await get('/v1/orders?status=canceled');
    expect(history.body.data).toHaveLength(1);
  } finally {
    await second.stop();
  }
});
