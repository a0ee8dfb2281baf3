/**
 * The trading core's entry points. `createCore` starts an empty core; `restoreCore` rebuilds
 * one from a snapshot. Both return a pure, deterministic TradingCore (no I/O, no clock, no
 * randomness): the same commands applied to the same state give the same events.
 */
import type { BinaryCoreSnapshot, CoreSnapshot, TradingCore } from './api.js';
import { restoreBinaryState } from './binary-snapshot.js';
import { Engine } from './engine.js';
import { feeScheduleProblem } from './fees.js';
import { isIdentifier } from './order-rules.js';
import { otcFeeProblem } from './quotes.js';
import { restoreState } from './snapshot.js';
import { CoreState, type CoreConfig } from './state.js';

export * from './api.js';

export interface CoreOptions {
  /** Account that collects fees and pays rebates (created with the core; cannot trade). Default "fees". */
  feeAccountId?: string;
  /** Maker rate of new accounts in bps (negative: rebate). Default 0. */
  defaultMakerBps?: number;
  /** Taker rate of new accounts in bps. Default 0. */
  defaultTakerBps?: number;
  /** Open-order limit of accounts created without one. Default 1,000. */
  defaultMaxOpenOrders?: number;
  /** Trades kept per instrument for recentTrades(). Default 1,000. */
  recentTradesCapacity?: number;
  /** Candles kept per interval per instrument; at least 1,440 (a day of minutes). Default 1,440. */
  candleRetention?: number;
  /** Finished orders kept for order() lookups by id. Default 10,000. */
  finishedOrderRetention?: number;
  /** OTC fee of new accounts in bps (0 to 10,000). Default 0. */
  defaultOtcBps?: number;
  /** Print executed OTC quotes to the public trade tape and market data. Default false. */
  printQuoteTrades?: boolean;
  /** Closed quotes kept for quote() lookups. Default 10,000. */
  closedQuoteRetention?: number;
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer`);
  return v;
}

export function resolveConfig(options: CoreOptions = {}): CoreConfig {
  const config: CoreConfig = {
    feeAccountId: options.feeAccountId ?? 'fees',
    defaultMakerBps: options.defaultMakerBps ?? 0,
    defaultTakerBps: options.defaultTakerBps ?? 0,
    defaultMaxOpenOrders: positiveInteger('defaultMaxOpenOrders', options.defaultMaxOpenOrders ?? 1_000),
    recentTradesCapacity: positiveInteger('recentTradesCapacity', options.recentTradesCapacity ?? 1_000),
    candleRetention: positiveInteger('candleRetention', options.candleRetention ?? 1_440),
    finishedOrderRetention: options.finishedOrderRetention ?? 10_000,
    defaultOtcBps: options.defaultOtcBps ?? 0,
    printQuoteTrades: options.printQuoteTrades ?? false,
    closedQuoteRetention: options.closedQuoteRetention ?? 10_000,
  };
  if (!isIdentifier(config.feeAccountId)) throw new RangeError('feeAccountId must be 1-64 printable ASCII characters');
  const problem = feeScheduleProblem({ makerBps: config.defaultMakerBps, takerBps: config.defaultTakerBps });
  if (problem !== undefined) throw new RangeError(`default fee schedule: ${problem}`);
  if (config.candleRetention < 1_440) throw new RangeError('candleRetention must be at least 1440');
  if (!Number.isSafeInteger(config.finishedOrderRetention) || config.finishedOrderRetention < 0) {
    throw new RangeError('finishedOrderRetention must be a non-negative integer');
  }
  if (otcFeeProblem(config.defaultOtcBps) !== undefined) throw new RangeError(`defaultOtcBps: ${otcFeeProblem(config.defaultOtcBps)}`);
  if (!Number.isSafeInteger(config.closedQuoteRetention) || (config.closedQuoteRetention as number) < 0) {
    throw new RangeError('closedQuoteRetention must be a non-negative integer');
  }
  return config;
}

/** A new, empty core. */
export function createCore(options?: CoreOptions): TradingCore {
  return new Engine(new CoreState(resolveConfig(options)));
}

/** A core in exactly the state the snapshot (JSON or binary) was taken in. */
export function restoreCore(snapshot: CoreSnapshot | BinaryCoreSnapshot): TradingCore {
  return new Engine(snapshot.version === 2 && 'bytes' in snapshot ? restoreBinaryState(snapshot) : restoreState(snapshot as CoreSnapshot));
}
