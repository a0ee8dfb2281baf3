import type { ApiKeyStore } from '../../../auth/index.js';
import type { InstrumentSpec, CoreView } from '../../../core/api.js';
import { ApiError } from '../../../errors/api-error.js';
import type { RequestRateLimiter } from '../../../limits/index.js';
import type { OrderEntry } from '../../../order-entry/order-entry.js';
import { submitCommand } from '../../../order-entry/submit.js';
import type { CommandBus } from '../../../sequencer/api.js';
import type { HandlerMap } from '../operations.js';
import { accountNotFound, accountView } from './account.js';
import { createKey } from './api-keys.js';
import { headerValue } from './orders.js';

type OperatorOps =
  | 'operatorCreateAccount' | 'operatorDeposit' | 'operatorWithdraw' | 'operatorSetKillSwitch'
  | 'operatorSetFeeSchedule' | 'operatorCreateApiKey' | 'operatorAddInstrument' | 'operatorSetInstrumentStatus';

export interface OperatorDeps {
  bus: CommandBus;
  core: CoreView;
  keys: ApiKeyStore;
  orders: OrderEntry;
  requestLimiter: RequestRateLimiter;
}

/** The public Instrument: the spec as configured (the price band included, so clients can price inside it). */
function publicInstrument(i: InstrumentSpec) {
  const { symbol, base, quote, tickSize, lotSize, minQuantity, maxQuantity, minNotional, priceBandBps, status } = i;
  return { symbol, base, quote, tickSize, lotSize, minQuantity, maxQuantity, minNotional, priceBandBps, status };
}

export function operatorHandlers(deps: OperatorDeps): Pick<HandlerMap, OperatorOps> {
  const { bus, core, keys, orders } = deps;
  const requireAccount = (accountId: string) => {
    if (!core.account(accountId)) throw accountNotFound(accountId);
  };
  const balanceOf = (accountId: string, asset: string) => {
    const b = core.balances(accountId)?.find((x) => x.asset === asset);
    return b ?? { asset, total: '0', available: '0', hold: '0' };
  };
  return {
    operatorCreateAccount: async ({ body }) => {
      await submitCommand(bus, { type: 'CreateAccount', accountId: body.accountId, ...(body.maxOpenOrders !== undefined && { maxOpenOrders: body.maxOpenOrders }) });
      if (body.makerBps !== undefined || body.takerBps !== undefined) {
        const current = core.account(body.accountId)!;
        await submitCommand(bus, { type: 'SetFeeSchedule', accountId: body.accountId, makerBps: body.makerBps ?? current.makerBps, takerBps: body.takerBps ?? current.takerBps });
      }
      return { status: 201, body: { accountId: body.accountId } };
    },
    operatorDeposit: ({ path, body, headers }) =>
      orders.idempotent(`deposit:${path.accountId}`, headerValue(headers['idempotency-key']), body, async () => {
        requireAccount(path.accountId);
        await submitCommand(bus, { type: 'Deposit', accountId: path.accountId, asset: body.asset, amount: body.amount, ...(body.reference !== undefined && { reference: body.reference }) });
        return { status: 200 as const, body: balanceOf(path.accountId, body.asset) };
      }),
    operatorWithdraw: ({ path, body, headers }) =>
      orders.idempotent(`withdraw:${path.accountId}`, headerValue(headers['idempotency-key']), body, async () => {
        requireAccount(path.accountId);
        await submitCommand(bus, { type: 'Withdraw', accountId: path.accountId, asset: body.asset, amount: body.amount, ...(body.reference !== undefined && { reference: body.reference }) });
        return { status: 200 as const, body: balanceOf(path.accountId, body.asset) };
      }),
    operatorSetKillSwitch: async ({ path, body }) => {
      requireAccount(path.accountId);
      const result = await submitCommand(bus, { type: 'SetKillSwitch', accountId: path.accountId, active: body.active });
      const canceled = result.events.filter((e) => e.type === 'OrderCanceled').length;
      return { status: 200, body: { accountId: path.accountId, killSwitch: body.active, canceled } };
    },
    operatorSetFeeSchedule: async ({ path, body }) => {
      requireAccount(path.accountId);
      await submitCommand(bus, { type: 'SetFeeSchedule', accountId: path.accountId, makerBps: body.makerBps, takerBps: body.takerBps });
      return { status: 200, body: await accountView(deps, path.accountId) };
    },
    operatorCreateApiKey: async ({ path, body }) => {
      requireAccount(path.accountId);
      return {
        status: 201,
        body: await createKey(keys, path.accountId, body),
      };
    },
    operatorAddInstrument: async ({ body }) => {
      const known = new Set(core.assets().map((a) => a.asset));
      for (const [asset, decimals] of [[body.base, body.baseDecimals], [body.quote, body.quoteDecimals]] as const) {
        if (known.has(asset)) continue;
        if (decimals === undefined) throw new ApiError({ status: 400, code: 'UNKNOWN_ASSET', detail: `Asset ${asset} is new: give its ledger precision (baseDecimals / quoteDecimals).` });
        await submitCommand(bus, { type: 'AddAsset', spec: { asset, decimals } });
        known.add(asset);
      }
      const spec: InstrumentSpec = {
        symbol: body.symbol, base: body.base, quote: body.quote, tickSize: body.tickSize, lotSize: body.lotSize, minQuantity: body.minQuantity,
        maxQuantity: body.maxQuantity, minNotional: body.minNotional, priceBandBps: body.priceBandBps, status: body.status ?? 'open',
      };
      await submitCommand(bus, { type: 'AddInstrument', spec });
      return { status: 201, body: publicInstrument(spec) };
    },
    operatorSetInstrumentStatus: async ({ path, body }) => {
      if (!core.instruments().some((i) => i.symbol === path.symbol)) throw new ApiError({ status: 404, code: 'NOT_FOUND', detail: `No instrument ${path.symbol}.` });
      await submitCommand(bus, { type: 'SetInstrumentStatus', symbol: path.symbol, status: body.status });
      return { status: 200, body: publicInstrument(core.instruments().find((i) => i.symbol === path.symbol)!) };
    },
  };
}
