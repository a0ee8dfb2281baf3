/**
 * The read-only view of the core that a CommandBus hands to gateways. Writes only go through
 * `submit`, and once durability has failed the in-memory state may hold commands that never
 * reached the journal, so every query then fails with DurabilityError instead of showing it.
 */
import type { TradingCore } from '../core/api.js';
import { DurabilityError } from './api.js';

export function guardCore(core: TradingCore, unavailable: () => string | undefined): TradingCore {
  return new Proxy(core, {
    get(target, property) {
      if (property === 'apply') {
        return () => {
          throw new TypeError('commands go through CommandBus.submit, not core.apply');
        };
      }
      const reason = unavailable();
      if (reason !== undefined) throw new DurabilityError(reason);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
