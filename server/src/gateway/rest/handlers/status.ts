/** GET /v1/operator/status: what the operator status page (/ops) shows, gathered by the service. */
import type { RecentReject } from '../../../observability/recent-rejects.js';
import type { HandlerMap } from '../operations.js';
import type { Readiness } from '../service-routes.js';

export interface OperatorStatus extends Readiness {
  journal: { durableIndex: number; snapshotIndex: number; historyIndex: number; historyLagRecords: number };
  sessions: { fix: { senderCompId: string; loggedOn: boolean }[]; wsConnections: number; wsSubscriptions: number };
  recentRejects: RecentReject[];
}

export function statusHandlers(deps: { status: () => OperatorStatus }): Pick<HandlerMap, 'operatorGetStatus'> {
  return {
    operatorGetStatus: async () => ({ status: 200, body: deps.status() }),
  };
}
