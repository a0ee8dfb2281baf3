import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../helpers/service.js';

// A handler whose body is off the contract (serverTime as a string) must fail the suite: with
// response validation on, the service turns it into a 500 instead of sending it.
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({
    handlerOverrides: {
      getServerTime: () => ({ status: 200, body: { serverTime: 'soon' as unknown as number, iso: '2025-01-01T00:00:00.000Z' } }),
    },
  });
});
afterAll(async () => {
  await svc.stop();
});

it('turns an off-contract response body into an INTERNAL_ERROR problem', async () => {
  const res = await request(svc.baseUrl).get('/v1/time');
  expect(res.status).toBe(500);
  expect(res.body.code).toBe('INTERNAL_ERROR');
  expect(JSON.stringify(res.body)).not.toContain('soon');
});
