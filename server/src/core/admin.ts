/** Reference data, accounts and ledger commands. Each success emits AdminApplied first. */
import type {
  AddAsset, AddInstrument, CreateAccount, Deposit, InstrumentStatus, SetFeeSchedule, SetInstrumentStatus, SetKillSwitch, Withdraw,
} from './api.js';
import { emitAdmin, emitBalance } from './events.js';
import { buyHoldNeedUnits, feeScheduleProblem } from './fees.js';
import { decimalsUsed, MAX_SCALE, parseFixed, pow10 } from './fixed.js';
import { minus, plus, units, type Units } from './units.js';
import { availableOf, balanceOf } from './lifecycle.js';
import { Account, Instrument, type AssetInfo } from './model.js';
import { cancelAccountOrders } from './order-actions.js';
import { isIdentifier } from './order-rules.js';
import { rejectCommand } from './rejects.js';
import type { CoreState } from './state.js';

const STATUSES: ReadonlySet<string> = new Set<InstrumentStatus>(['open', 'halted', 'cancel_only', 'post_only']);
const ASSET_RE = /^[A-Za-z0-9._-]{1,16}$/;
const SYMBOL_RE = /^[A-Za-z0-9._/-]{1,32}$/;
/** Upper bound for an account's open-order limit. */
export const MAX_OPEN_ORDERS_LIMIT = 1_000_000;
/** Upper bound for an instrument's price band. */
export const MAX_PRICE_BAND_BPS = 1_000_000;

export function addAsset(st: CoreState, c: AddAsset): void {
  const spec = c.spec;
  if (typeof spec !== 'object' || spec === null || typeof spec.asset !== 'string' || !ASSET_RE.test(spec.asset)) {
    return rejectCommand(st, 'AddAsset', undefined, 'INVALID_COMMAND', 'asset must be 1-16 characters [A-Za-z0-9._-]');
  }
  if (!Number.isInteger(spec.decimals) || spec.decimals < 0 || spec.decimals > MAX_SCALE) {
    return rejectCommand(st, 'AddAsset', undefined, 'INVALID_COMMAND', `decimals must be an integer in [0, ${MAX_SCALE}]`);
  }
  if (st.assets.has(spec.asset)) return rejectCommand(st, 'AddAsset', undefined, 'ASSET_EXISTS', `asset ${spec.asset} exists`);
  st.assets.set(spec.asset, { asset: spec.asset, decimals: spec.decimals });
  emitAdmin(st, c);
}

export function addInstrument(st: CoreState, c: AddInstrument): void {
  const bad = (message: string): void => rejectCommand(st, 'AddInstrument', undefined, 'INVALID_INSTRUMENT', message);
  const s = c.spec;
  if (typeof s !== 'object' || s === null) return bad('spec is required');
  if (typeof s.symbol !== 'string' || !SYMBOL_RE.test(s.symbol)) return bad('symbol must be 1-32 characters [A-Za-z0-9._/-]');
  if (st.instruments.has(s.symbol)) return rejectCommand(st, 'AddInstrument', undefined, 'SYMBOL_EXISTS', `symbol ${s.symbol} exists`);
  const base = typeof s.base === 'string' ? st.assets.get(s.base) : undefined;
  const quote = typeof s.quote === 'string' ? st.assets.get(s.quote) : undefined;
  if (base === undefined || quote === undefined) return rejectCommand(st, 'AddInstrument', undefined, 'UNKNOWN_ASSET', 'base and quote must be known assets');
  if (base === quote) return bad('base and quote must differ');
  const tick = parseFixed(s.tickSize, quote.decimals);
  if (typeof tick !== 'bigint' || tick === 0n) return bad(`tickSize must be positive with at most ${quote.decimals} decimals`);
  const lot = parseFixed(s.lotSize, base.decimals);
  if (typeof lot !== 'bigint' || lot === 0n) return bad(`lotSize must be positive with at most ${base.decimals} decimals`);
  // Notionals are exact only if price × quantity fits the quote scale.
  if (decimalsUsed(tick, quote.decimals) + decimalsUsed(lot, base.decimals) > quote.decimals) {
    return bad(`tick decimals + lot decimals must not exceed the quote asset's ${quote.decimals} decimals`);
  }
  const minQ = parseFixed(s.minQuantity, base.decimals);
  const maxQ = parseFixed(s.maxQuantity, base.decimals);
  if (typeof minQ !== 'bigint' || typeof maxQ !== 'bigint' || minQ === 0n || minQ > maxQ || minQ % lot !== 0n || maxQ % lot !== 0n) {
    return bad('minQuantity and maxQuantity must be positive multiples of lotSize with min <= max');
  }
  const minNotional = parseFixed(s.minNotional, quote.decimals);
  if (typeof minNotional !== 'bigint') return bad(`minNotional must be a non-negative decimal with at most ${quote.decimals} decimals`);
  if (!Number.isInteger(s.priceBandBps) || s.priceBandBps < 0 || s.priceBandBps > MAX_PRICE_BAND_BPS) {
    return bad(`priceBandBps must be an integer in [0, ${MAX_PRICE_BAND_BPS}] (0 disables the band)`);
  }
  if (typeof s.status !== 'string' || !STATUSES.has(s.status)) return bad('unknown status');
  st.instruments.set(s.symbol, makeInstrument(st, s.symbol, base, quote, tick, lot, minQ, maxQ, minNotional, s.priceBandBps, s.status));
  emitAdmin(st, c);
}

export function makeInstrument(
  st: CoreState, symbol: string, base: AssetInfo, quote: AssetInfo, tick: bigint, lot: bigint, minQ: bigint, maxQ: bigint,
  minNotional: bigint, bandBps: number, status: InstrumentStatus,
): Instrument {
  return new Instrument(
    symbol, base, quote, tick, lot, minQ, maxQ, minNotional, bandBps, status, pow10(base.decimals),
    st.config.recentTradesCapacity, st.config.candleRetention, st.waitingStops,
  );
}

export function setInstrumentStatus(st: CoreState, c: SetInstrumentStatus): void {
  const inst = typeof c.symbol === 'string' ? st.instruments.get(c.symbol) : undefined;
  if (inst === undefined) return rejectCommand(st, 'SetInstrumentStatus', undefined, 'UNKNOWN_SYMBOL', `unknown symbol ${String(c.symbol)}`);
  if (typeof c.status !== 'string' || !STATUSES.has(c.status)) return rejectCommand(st, 'SetInstrumentStatus', undefined, 'INVALID_INSTRUMENT', 'unknown status');
  inst.status = c.status;
  emitAdmin(st, c);
}

export function createAccount(st: CoreState, c: CreateAccount): void {
  if (!isIdentifier(c.accountId)) return rejectCommand(st, 'CreateAccount', undefined, 'INVALID_COMMAND', 'accountId must be 1-64 printable ASCII characters');
  if (st.accounts.has(c.accountId)) return rejectCommand(st, 'CreateAccount', c.accountId, 'ACCOUNT_EXISTS', 'account exists');
  const max = c.maxOpenOrders ?? st.config.defaultMaxOpenOrders;
  if (!Number.isInteger(max) || max < 1 || max > MAX_OPEN_ORDERS_LIMIT) {
    return rejectCommand(st, 'CreateAccount', c.accountId, 'INVALID_COMMAND', `maxOpenOrders must be an integer in [1, ${MAX_OPEN_ORDERS_LIMIT}]`);
  }
  const account = new Account(c.accountId, st.config.defaultMakerBps, st.config.defaultTakerBps, max);
  account.otcBps = st.config.defaultOtcBps ?? 0;
  st.accounts.set(c.accountId, account);
  emitAdmin(st, c);
}

/**
 * Sets an account's maker/taker rates. Beyond maker + taker >= 0 for the schedule itself, every
 * taker rate in force plus every maker rate in force (all accounts and the default) must be
 * >= 0, since any account may trade against any other. The account's open buy orders keep
 * exact holds: they are recomputed at the new rates, and the change is refused if the
 * account cannot cover an increase.
 */
export function setFeeSchedule(st: CoreState, c: SetFeeSchedule): void {
  const fail = (code: 'UNKNOWN_ACCOUNT' | 'INVALID_FEE_SCHEDULE' | 'INSUFFICIENT_FUNDS', message: string): void =>
    rejectCommand(st, 'SetFeeSchedule', c.accountId, code, message);
  const account = typeof c.accountId === 'string' ? st.accounts.get(c.accountId) : undefined;
  if (account === undefined) return fail('UNKNOWN_ACCOUNT', 'unknown account');
  if (account === st.feeAccount) return fail('INVALID_FEE_SCHEDULE', 'the fee account does not trade');
  const problem = feeScheduleProblem(c);
  if (problem !== undefined) return fail('INVALID_FEE_SCHEDULE', problem);
  let minTaker = Math.min(c.takerBps, st.config.defaultTakerBps);
  let minMaker = Math.min(c.makerBps, st.config.defaultMakerBps);
  for (const other of st.accounts.values()) {
    if (other === account || other === st.feeAccount) continue;
    if (other.takerBps < minTaker) minTaker = other.takerBps;
    if (other.makerBps < minMaker) minMaker = other.makerBps;
  }
  if (minTaker + minMaker < 0) return fail('INVALID_FEE_SCHEDULE', 'a maker rebate may not exceed the lowest taker fee of any account');

  // New holds of the open buy orders, summed per quote asset.
  const holdBps = Math.max(c.makerBps, c.takerBps, 0);
  const deltas = new Map<string, Units>();
  for (const o of account.orders.values()) {
    // A buy by quote amount (an untriggered stop) holds its budget, whatever the rates.
    if (o.side !== 'buy' || o.quantity === null) continue;
    const need = buyHoldNeedUnits(o.inst.notionalUnits(o.price, o.remaining), o.feeNumerator, holdBps);
    deltas.set(o.inst.quote.asset, plus(deltas.get(o.inst.quote.asset) ?? 0, minus(need, o.held)));
  }
  for (const [asset, delta] of deltas) {
    if (delta > availableOf(account, asset)) return fail('INSUFFICIENT_FUNDS', `insufficient available ${asset} for the holds of open orders at the new rates`);
  }
  account.setFees(c.makerBps, c.takerBps);
  emitAdmin(st, c);
  for (const o of account.orders.values()) {
    // A buy by quote amount (an untriggered stop) holds its budget, whatever the rates.
    if (o.side !== 'buy' || o.quantity === null) continue;
    const need = buyHoldNeedUnits(o.inst.notionalUnits(o.price, o.remaining), o.feeNumerator, holdBps);
    const b = balanceOf(account, o.inst.quote);
    b.hold = plus(b.hold, minus(need, o.held));
    o.held = need;
  }
  for (const [asset, delta] of deltas) {
    if (delta === 0) continue;
    emitBalance(st, account, balanceOf(account, st.assets.get(asset) as AssetInfo), delta > 0 ? 'order_hold' : 'order_release');
  }
}

/** A deposit's or withdrawal's account, asset and amount; undefined once the command is rejected for one of them. */
function fundsMovement(st: CoreState, c: Deposit | Withdraw): { account: Account; asset: AssetInfo; amount: bigint } | undefined {
  const account = typeof c.accountId === 'string' ? st.accounts.get(c.accountId) : undefined;
  if (account === undefined) {
    rejectCommand(st, c.type, c.accountId, 'UNKNOWN_ACCOUNT', 'unknown account');
    return undefined;
  }
  const asset = typeof c.asset === 'string' ? st.assets.get(c.asset) : undefined;
  if (asset === undefined) {
    rejectCommand(st, c.type, account.id, 'UNKNOWN_ASSET', `unknown asset ${String(c.asset)}`);
    return undefined;
  }
  const amount = parseFixed(c.amount, asset.decimals);
  if (typeof amount !== 'bigint' || amount === 0n) {
    rejectCommand(st, c.type, account.id, 'INVALID_AMOUNT', `amount must be positive with at most ${asset.decimals} decimals`);
    return undefined;
  }
  return { account, asset, amount };
}

export function deposit(st: CoreState, c: Deposit): void {
  const movement = fundsMovement(st, c);
  if (movement === undefined) return;
  const { account, asset, amount } = movement;
  emitAdmin(st, c);
  const b = balanceOf(account, asset);
  b.total = plus(b.total, units(amount));
  emitBalance(st, account, b, 'deposit');
}

export function withdraw(st: CoreState, c: Withdraw): void {
  const movement = fundsMovement(st, c);
  if (movement === undefined) return;
  const { account, asset, amount } = movement;
  if (availableOf(account, asset.asset) < amount) return rejectCommand(st, 'Withdraw', account.id, 'INSUFFICIENT_FUNDS', `insufficient available ${asset.asset}`);
  emitAdmin(st, c);
  const b = balanceOf(account, asset);
  b.total = minus(b.total, units(amount));
  emitBalance(st, account, b, 'withdrawal');
}

export function setKillSwitch(st: CoreState, c: SetKillSwitch): void {
  const account = typeof c.accountId === 'string' ? st.accounts.get(c.accountId) : undefined;
  if (account === undefined) return rejectCommand(st, 'SetKillSwitch', c.accountId, 'UNKNOWN_ACCOUNT', 'unknown account');
  if (typeof c.active !== 'boolean') return rejectCommand(st, 'SetKillSwitch', account.id, 'INVALID_COMMAND', 'active must be a boolean');
  account.killSwitch = c.active;
  emitAdmin(st, c);
  if (c.active) cancelAccountOrders(st, account, undefined, 'kill_switch');
}
