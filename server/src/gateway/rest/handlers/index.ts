/** The complete operationId → handler map. `HandlerMap` makes a missing operation a compile error. */
import type { HandlerMap } from '../operations.js';
import { marketDataHandlers, type MarketDataDeps } from './market-data.js';
import { systemHandlers } from './system.js';

export type HandlerDeps = MarketDataDeps & { clock: () => number };

export function createHandlers(deps: HandlerDeps): HandlerMap {
  return {
    ...systemHandlers(deps),
    ...marketDataHandlers(deps),
  };
}
