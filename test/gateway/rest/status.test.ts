/** GET /v1/status: the venue's status follows the instruments' and the service's state. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemHandlers } from '../../../server/src/gateway/rest/handlers/system.js';
import { startTestService, type TestService } from '../../helpers/service.js';

interface Status { status: string; mode: string; serverTime: number; instruments: { symbol: string; status: string }[] }

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.stop();
});

const status = async () => (await (await fetch(`${svc.baseUrl}/v1/status`)).json()) as Status;
const setStatus = (symbol: string, s: string) => svc.asOperator('PATCH', `/v1/operator/instruments/${symbol}`, { body: { status: s } });

describe('GET /v1/status', () => {
  it('is normal with every instrument listed, sorted, with its status', async () => {
    const before = Date.now();
    const s = await status();
    expect(s.status).toBe('normal');
    expect(s.mode).toBe('demo');
    expect(s.serverTime).toBeGreaterThanOrEqual(before);
    expect(s.instruments).toEqual(svc.bus.core.instruments().map((i) => ({ symbol: i.symbol, status: i.status })).sort((a, b) => (a.symbol < b.symbol ? -1 : 1)));
  });

  it('says cancel_only once no instrument takes new orders, and normal again when one does', async () => {
    const symbols = svc.bus.core.instruments().map((i) => i.symbol);
    for (const [i, symbol] of symbols.entries()) expect((await setStatus(symbol, i === 0 ? 'halted' : 'cancel_only')).status).toBe(200);
    const s = await status();
    expect(s.status).toBe('cancel_only');
    expect(s.instruments.find((i) => i.symbol === symbols[0])?.status).toBe('halted');
    await setStatus(symbols[1]!, 'post_only');
    expect((await status()).status).toBe('normal');
  });

  it('says maintenance when the service cannot make state durable or is shutting down', async () => {
    let healthy = true;
    const handlers = systemHandlers({ clock: () => 42, core: svc.bus.core, mode: 'demo', healthy: () => healthy });
    const call = async () => ((await handlers.getSystemStatus({} as never)) as { body: Status }).body;
    expect((await call()).status).toBe('normal');
    healthy = false;
    expect(await call()).toMatchObject({ status: 'maintenance', serverTime: 42 });
  });
});
