import type { CoreView } from '../../../core/api.js';
import { ApiError } from '../../../errors/api-error.js';
import type { RequestRateLimiter } from '../../../limits/index.js';
import type { DeadManSwitches } from '../../../order-entry/dead-man-switch.js';
import type { OrderEntry } from '../../../order-entry/order-entry.js';
import type { HandlerMap } from '../operations.js';
import { accountOf } from './orders.js';

type AccountOps = 'getBalances' | 'getPositions' | 'getAccount' | 'setDeadManSwitch' | 'getDeadManSwitch';

export interface AccountDeps {
  core: CoreView;
  orders: OrderEntry;
  requestLimiter: RequestRateLimiter;
  deadMan: DeadManSwitches;
}

export function accountNotFound(accountId: string): ApiError {
  return new ApiError({ status: 404, code: 'UNKNOWN_ACCOUNT', detail: `No account ${accountId}.` });
}

/** The account view the contract documents, with the caller's current rate-limit usage. */
export async function accountView(deps: Pick<AccountDeps, 'core' | 'orders' | 'requestLimiter'>, accountId: string, caller?: { ip: string; keyId?: string }) {
  const account = deps.core.account(accountId);
  if (!account) throw accountNotFound(accountId);
  const usage = [...(caller ? await deps.requestLimiter.usage(caller) : []), ...(await deps.orders.orderRateUsage(accountId))];
  return {
    accountId,
    feeSchedule: { makerBps: account.makerBps, takerBps: account.takerBps },
    maxOpenOrders: account.maxOpenOrders,
    openOrders: account.openOrders,
    killSwitch: account.killSwitch,
    rateLimits: usage.map((u) => ({ policy: u.policy, limit: u.limit, windowSeconds: u.windowSeconds, remaining: u.remaining, resetSeconds: u.reset })),
  };
}

export function accountHandlers(deps: AccountDeps): Pick<HandlerMap, AccountOps> {
  return {
    getBalances: ({ principal }) => {
      const accountId = accountOf(principal);
      const balances = deps.core.balances(accountId);
      if (!balances) throw accountNotFound(accountId);
      return { status: 200, body: { data: balances } };
    },
    getPositions: ({ principal }) => {
      const accountId = accountOf(principal);
      const positions = deps.core.positions(accountId);
      if (!positions) throw accountNotFound(accountId);
      return { status: 200, body: { data: positions } };
    },
    getAccount: async ({ principal, ip }) => ({ status: 200, body: await accountView(deps, accountOf(principal), { ip, keyId: principal!.keyId }) }),
    setDeadManSwitch: ({ principal, body }) => ({ status: 200, body: deps.deadMan.set(accountOf(principal), body.timeoutSeconds) }),
    getDeadManSwitch: ({ principal }) => ({ status: 200, body: deps.deadMan.get(accountOf(principal)) }),
  };
}
