/** The complete operationId → handler map. `HandlerMap` makes a missing operation a compile error. */
import type { AuditLog } from '../../../audit/file-audit-log.js';
import { auditHandlers } from './audit.js';
import { statusHandlers, type OperatorStatus } from './status.js';
import type { ApiKeyStore } from '../../../auth/index.js';
import type { HistoryReader } from '../../../history/reader.js';
import type { RequestRateLimiter } from '../../../limits/index.js';
import type { DemoSignupLimiter } from '../../../demo/self-service.js';
import type { DeadManSwitches } from '../../../order-entry/dead-man-switch.js';
import type { OrderEntry } from '../../../order-entry/order-entry.js';
import type { CommandBus } from '../../../sequencer/api.js';
import type { HandlerMap } from '../operations.js';
import { accountHandlers } from './account.js';
import { apiKeyHandlers } from './api-keys.js';
import { marketDataHandlers } from './market-data.js';
import { operatorHandlers } from './operator.js';
import { orderHandlers } from './orders.js';
import { rfqHandlers } from './rfq.js';
import type { RfqDesk } from '../../../rfq/desk.js';
import { systemHandlers } from './system.js';

export interface HandlerDeps {
  clock: () => number;
  bus: CommandBus;
  history: HistoryReader;
  historySynced: () => Promise<void>;
  keys: ApiKeyStore;
  orders: OrderEntry;
  requestLimiter: RequestRateLimiter;
  deadMan: DeadManSwitches;
  rfq: RfqDesk;
  /** The audit trail the operator API reads. */
  audit: AuditLog;
  /** The service's status, for the operator status page. */
  status: () => OperatorStatus;
  mode: 'demo' | 'production';
  /** False while shutting down or while the journal cannot be written (GET /v1/status says `maintenance`). */
  healthy: () => boolean;
  /** Demo mode: the per-IP bound on self-service accounts. */
  demoSignups?: DemoSignupLimiter;
}

export function createHandlers(deps: HandlerDeps): HandlerMap {
  const core = deps.bus.core;
  return {
    ...systemHandlers({
      clock: deps.clock, core, mode: deps.mode, healthy: deps.healthy,
      ...(deps.mode === 'demo' && deps.demoSignups && { demo: { bus: deps.bus, keys: deps.keys, limiter: deps.demoSignups } }),
    }),
    ...marketDataHandlers({ core, clock: deps.clock }),
    ...orderHandlers({
      orders: deps.orders,
      history: deps.history,
      historySynced: deps.historySynced,
    }),
    ...accountHandlers({ core, orders: deps.orders, requestLimiter: deps.requestLimiter, deadMan: deps.deadMan }),
    ...rfqHandlers({ desk: deps.rfq }),
    ...apiKeyHandlers({ keys: deps.keys, orders: deps.orders }),
    ...operatorHandlers({ bus: deps.bus, core, keys: deps.keys, orders: deps.orders, requestLimiter: deps.requestLimiter }),
    ...auditHandlers({ audit: deps.audit }),
    ...statusHandlers({ status: deps.status }),
  };
}
