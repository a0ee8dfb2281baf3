import type { HandlerMap } from '../operations.js';

export function systemHandlers(deps: { clock: () => number }): Pick<HandlerMap, 'getServerTime'> {
  return {
    getServerTime: () => {
      const now = deps.clock();
      return { status: 200, body: { serverTime: now, iso: new Date(now).toISOString() } };
    },
  };
}
