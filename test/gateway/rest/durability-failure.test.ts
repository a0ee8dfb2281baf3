import { afterAll, beforeAll, expect, it } from 'vitest';
import { nodeFileSystem, type AppendFile, type JournalFileSystem } from '../../../server/src/journal/file-system.js';
import { signedFetch } from '../../helpers/signing.js';
import { startTestService, type TestService } from '../../helpers/service.js';

// A disk that fills up at run time: once `full` is set, every journal write fails with ENOSPC.
let full = false;
const fillingDisk: JournalFileSystem = {
  async open(path) {
    const file: AppendFile = await nodeFileSystem.open(path);
    return {
      ...file,
      write: (data, position) => (full ? Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })) : file.write(data, position)),
    };
  },
  syncDirectory: nodeFileSystem.syncDirectory,
};

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ journalFileSystem: fillingDisk });
});
afterAll(async () => {
  await svc.stop().catch(() => undefined);
});

it('refuses new orders with JOURNAL_UNAVAILABLE once the journal cannot be written, and /health/ready says why', async () => {
  const trader = await svc.createTrader('t1');
  const order = { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.01' };
  expect((await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', { body: order })).status).toBe(201);
  expect((await fetch(`${svc.baseUrl}/health/ready`)).status).toBe(200);

  full = true;
  const refused = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', { body: { ...order, clientOrderId: 'after-full' } });
  expect(refused.status).toBe(503);
  expect(refused.body.code).toBe('JOURNAL_UNAVAILABLE');
  const again = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', { body: order });
  expect(again.status).toBe(503);
  expect(again.body.code).toBe('JOURNAL_UNAVAILABLE');

  const ready = await fetch(`${svc.baseUrl}/health/ready`);
  expect(ready.status).toBe(503);
  const body = (await ready.json()) as { checks: { journal: { ok: boolean; detail?: string } } };
  expect(body.checks.journal.ok).toBe(false);
  expect(body.checks.journal.detail).toMatch(/ENOSPC|space/);
  // State that may be ahead of the journal is not shown either: reads are refused until a restart.
  const read = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/orders/by-client-id/after-full');
  expect(read.status).toBe(503);
  expect(read.body.code).toBe('JOURNAL_UNAVAILABLE');
});
