/** System operations: the server clock, the venue's status, and (demo mode) self-service accounts. */
import type { TradingCore } from '../../../core/api.js';
import { createDemoAccount, type DemoSelfServiceDeps } from '../../../demo/self-service.js';
import { ApiError } from '../../../errors/api-error.js';
import type { HandlerMap } from '../operations.js';

export interface SystemDeps {
  clock: () => number;
  core: Pick<TradingCore, 'instruments'>;
  mode: 'demo' | 'production';
  /** False while shutting down or while the journal cannot be written. */
  healthy: () => boolean;
  /** Present in demo mode only. */
  demo?: DemoSelfServiceDeps;
}

export function systemHandlers(deps: SystemDeps): Pick<HandlerMap, 'getServerTime' | 'getSystemStatus' | 'createDemoAccount'> {
  return {
    getServerTime: () => {
      const now = deps.clock();
      return { status: 200, body: { serverTime: now, iso: new Date(now).toISOString() } };
    },
    getSystemStatus: () => {
      const instruments = [...deps.core.instruments()]
        .sort((a, b) => (a.symbol < b.symbol ? -1 : 1))
        .map(({ symbol, status }) => ({ symbol, status }));
      const tradable = instruments.some((i) => i.status === 'open' || i.status === 'post_only');
      const status = !deps.healthy() ? 'maintenance' : instruments.length > 0 && !tradable ? 'cancel_only' : 'normal';
      return { status: 200, body: { status, mode: deps.mode, serverTime: deps.clock(), instruments } };
    },
    createDemoAccount: async ({ ip }) => {
      if (!deps.demo) throw new ApiError({ status: 404, code: 'NOT_FOUND', detail: 'Demo accounts exist only on a demo market (MODE=demo).' });
      return { status: 201, body: await createDemoAccount(deps.demo, ip) };
    },
  };
}
