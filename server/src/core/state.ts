/** The whole mutable state of one core, plus the output buffer of the command being applied. */
import type { RejectCode, RejectDetails } from './api.js';
import { EventLog } from './event-log.js';
import { FinishedOrders } from './finished-orders.js';
import { Account, type AssetInfo, type Instrument, type Order } from './model.js';
import { OrderTable } from './order-table.js';
import { QuoteBook } from './quote-book.js';
import { WaitingStops } from './stop-book.js';

export interface CoreConfig {
  /** Account that receives fees and pays rebates. */
  feeAccountId: string;
  /** Fee schedule given to every new account. */
  defaultMakerBps: number;
  defaultTakerBps: number;
  /** Open-order limit for accounts created without one. */
  defaultMaxOpenOrders: number;
  /** Trades kept per instrument for recentTrades(). */
  recentTradesCapacity: number;
  /** Candles kept per interval per instrument (>= 1440 so the 24h ticker sees a full day of minutes). */
  candleRetention: number;
  /** Finished orders kept for order() lookups by id. */
  finishedOrderRetention: number;
  /** OTC fee of new accounts in bps (absent in snapshots older than quotes: 0). */
  defaultOtcBps?: number;
  /** Whether executed OTC quotes print to the public trade tape and market data. Default false. */
  printQuoteTrades?: boolean;
  /** Closed quotes kept for quote() lookups (default 10,000). */
  closedQuoteRetention?: number;
}

export class CoreState {
  readonly assets = new Map<string, AssetInfo>();
  readonly instruments = new Map<string, Instrument>();
  /** The instruments in the Map's (insertion) order, for loops run on every command; see instrumentList(). */
  private readonly instrumentArray: Instrument[] = [];
  readonly accounts = new Map<string, Account>();
  readonly feeAccount: Account;
  nextOrderId = 1;
  /** Live orders of every account by id (each account also lists its own, in id order). */
  readonly live = new OrderTable();
  /** Recently finished orders by id, oldest first, bounded by config.finishedOrderRetention. */
  readonly finished = new FinishedOrders();
  /** Untriggered stops of all instruments, counted (each instrument's stop book keeps the count). */
  readonly waitingStops = new WaitingStops();
  /** Live GTD orders. */
  readonly gtd = new Set<Order>();
  /** OTC quotes, open and recently closed. */
  readonly quotes = new QuoteBook();
  seq = 0;
  /** The current command's envelope time (stamped on its events). */
  ts = 0;
  /** max of all envelope times seen: the clock for expiry and market-data buckets, never going back. */
  clock = 0;
  /** Events of the command being applied (compact; overwritten by the next command). */
  readonly log = new EventLog();
  /** Set when the command being applied is refused. */
  failure: { code: RejectCode; message: string; details?: RejectDetails } | null = null;

  /**
   * `instruments` as an array in the same order, without an iterator per call. Instruments are
   * only ever added, so a size that differs means the array must be rebuilt.
   */
  instrumentList(): readonly Instrument[] {
    const list = this.instrumentArray;
    if (list.length !== this.instruments.size) {
      list.length = 0;
      for (const inst of this.instruments.values()) list.push(inst);
    }
    return list;
  }

  constructor(readonly config: CoreConfig) {
    this.feeAccount = new Account(config.feeAccountId, 0, 0, config.defaultMaxOpenOrders);
    this.accounts.set(config.feeAccountId, this.feeAccount);
  }
}

/**
 * The command's time and the clock are tagged fields too (see tagOrderFields in model.ts): a time
 * read from them is then the envelope's own number, which the command's orders share, not a heap
 * number made at each read. One throwaway state holds a bigint in them first.
 */
function tagTimeFields(): void {
  const st = new CoreState({
    feeAccountId: '', defaultMakerBps: 0, defaultTakerBps: 0, defaultMaxOpenOrders: 0, recentTradesCapacity: 0, candleRetention: 0,
    finishedOrderRetention: 0,
  });
  const fields = st as unknown as Record<'ts' | 'clock', bigint>;
  fields.ts = 0n;
  fields.clock = 0n;
}
tagTimeFields();
