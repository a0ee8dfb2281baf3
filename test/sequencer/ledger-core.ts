/**
 * A tiny deterministic TradingCore test double for sequencer unit tests: deposits move
 * integer balances, limit orders are accepted (never matched) and can be cancelled. It obeys
 * the contract the sequencer relies on (seq +1 per event, deterministic apply, snapshot and
 * restore); the real core is exercised by the durability tests.
 */
import type {
  BalanceView, Command, CommandEnvelope, CommandResult, CoreEvent, CoreSnapshot, OrderRef, OrderView, TradingCore,
} from '../../server/src/core/api.js';

interface LedgerState {
  seq: number;
  nextOrder: number;
  balances: Record<string, number>;
  orders: Record<string, OrderView>;
}

class LedgerCore implements TradingCore {
  constructor(private state: LedgerState) {}

  get seq(): number {
    return this.state.seq;
  }

  apply({ ts, command }: CommandEnvelope): CommandResult {
    const events: CoreEvent[] = [];
    const next = () => ++this.state.seq;
    if (command.type === 'Deposit') {
      if (command.amount === 'explode') throw new Error('test double refuses this amount');
      const total = (this.state.balances[command.accountId] ?? 0) + Number(command.amount);
      this.state.balances[command.accountId] = total;
      events.push({ type: 'BalanceChanged', seq: next(), ts, accountId: command.accountId, asset: command.asset, total: String(total), available: String(total), hold: '0', reason: 'deposit' });
      return { ok: true, events };
    }
    if (command.type === 'PlaceOrder') {
      if (!(command.accountId in this.state.balances)) {
        events.push({ type: 'OrderRejected', seq: next(), ts, accountId: command.accountId, code: 'UNKNOWN_ACCOUNT', message: 'unknown account' });
        return { ok: false, code: 'UNKNOWN_ACCOUNT', message: 'unknown account', events };
      }
      const order: OrderView = {
        orderId: String(++this.state.nextOrder), accountId: command.accountId, symbol: command.symbol, side: command.side,
        orderType: command.orderType, timeInForce: command.timeInForce, postOnly: false, stp: 'cancel_newest',
        ...(command.clientOrderId !== undefined ? { clientOrderId: command.clientOrderId } : {}),
        ...(command.price !== undefined ? { price: command.price } : {}),
        ...(command.quantity !== undefined ? { quantity: command.quantity, remainingQuantity: command.quantity } : { remainingQuantity: '0' }),
        filledQuantity: '0', filledQuote: '0', status: 'new', createdAt: ts, updatedAt: ts,
      };
      this.state.orders[order.orderId] = order;
      events.push({ type: 'OrderAccepted', seq: next(), ts, order });
      return { ok: true, events };
    }
    if (command.type === 'CancelOrder' && command.orderId !== undefined) {
      const order = this.state.orders[command.orderId];
      if (!order || order.status !== 'new') {
        events.push({ type: 'CommandRejected', seq: next(), ts, commandType: 'CancelOrder', code: 'ORDER_NOT_FOUND', message: 'no such order' });
        return { ok: false, code: 'ORDER_NOT_FOUND', message: 'no such order', events };
      }
      const canceled: OrderView = { ...order, status: 'canceled', remainingQuantity: '0', updatedAt: ts };
      this.state.orders[order.orderId] = canceled;
      events.push({ type: 'OrderCanceled', seq: next(), ts, order: canceled, reason: 'user' });
      return { ok: true, events };
    }
    events.push({ type: 'AdminApplied', seq: next(), ts, command });
    return { ok: true, events };
  }

  snapshot(): CoreSnapshot {
    return { version: 1, seq: this.state.seq, state: structuredClone(this.state) };
  }

  balances(accountId: string): BalanceView[] | undefined {
    const total = this.state.balances[accountId];
    return total === undefined ? undefined : [{ asset: 'USD', total: String(total), available: String(total), hold: '0' }];
  }

  order(accountId: string, ref: OrderRef): OrderView | undefined {
    const order = ref.orderId !== undefined ? this.state.orders[ref.orderId] : Object.values(this.state.orders).find((o) => o.clientOrderId === ref.clientOrderId);
    return order?.accountId === accountId ? order : undefined;
  }

  openOrders(accountId: string): OrderView[] {
    return Object.values(this.state.orders).filter((o) => o.accountId === accountId && o.status === 'new');
  }

  instruments(): never { throw new Error('not in this test double'); }
  assets(): never { throw new Error('not in this test double'); }
  book(): never { throw new Error('not in this test double'); }
  positions(): never { throw new Error('not in this test double'); }
  account(): never { throw new Error('not in this test double'); }
  recentTrades(): never { throw new Error('not in this test double'); }
  ticker(): never { throw new Error('not in this test double'); }
  candles(): never { throw new Error('not in this test double'); }
  quote(): never { throw new Error('not in this test double'); }
  openQuotes(): never { throw new Error('not in this test double'); }
}

export function createCore(): TradingCore {
  return new LedgerCore({ seq: 0, nextOrder: 0, balances: {}, orders: {} });
}

export function restoreCore(snapshot: CoreSnapshot): TradingCore {
  return new LedgerCore(structuredClone(snapshot.state as LedgerState));
}

/** This module, as the sequencer's `engineModule` (the replica worker loads it too). */
export const LEDGER_ENGINE_MODULE = import.meta.url;

export function deposit(accountId: string, amount: number | string): Command {
  return { type: 'Deposit', accountId, asset: 'USD', amount: String(amount) };
}

export function place(accountId: string, clientOrderId?: string): Command {
  return {
    type: 'PlaceOrder', accountId, symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '100', quantity: '1', timeInForce: 'GTC',
    ...(clientOrderId !== undefined ? { clientOrderId } : {}),
  };
}
