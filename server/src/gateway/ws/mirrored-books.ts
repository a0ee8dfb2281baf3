/**
 * The books that book subscriptions watch, per symbol: one full-depth mirror fed by the core's
 * `BookLevelChanged` events, and a top-N view per depth someone subscribes to. The WebSocket and
 * FIX market-data gateways both keep theirs here; they differ only in how a view's change is sent.
 */
import type { Logger } from 'pino';
import type { BookLevelChanged, BookSnapshot } from '../../core/api.js';
import { BookMirror } from './book-mirror.js';
import { BookView } from './book-view.js';

export class MirroredBooks {
  readonly #mirrors = new Map<string, BookMirror>();
  /** symbol → depth → view (only depths someone subscribes to). */
  readonly #views = new Map<string, Map<number, BookView>>();

  constructor(
    /** The core's full-depth book of a symbol, which a mirror starts from (and restarts from after a gap). */
    private readonly bookOf: (symbol: string) => BookSnapshot,
    private readonly logger: Logger,
    /** Names the gateway in the log line of a gap. */
    private readonly gateway: string,
  ) {}

  /** The view of a symbol at a depth, made (with the symbol's mirror) on first use. */
  view(symbol: string, depth: number): BookView {
    let views = this.#views.get(symbol);
    if (!views) this.#views.set(symbol, (views = new Map()));
    let view = views.get(depth);
    if (!view) views.set(depth, (view = new BookView(symbol, depth, this.#mirror(symbol))));
    return view;
  }

  existingView(symbol: string, depth: number): BookView | undefined {
    return this.#views.get(symbol)?.get(depth);
  }

  viewsOf(symbol: string): Iterable<BookView> {
    return this.#views.get(symbol)?.values() ?? [];
  }

  /** The symbol's mirror; only for a symbol some view watches. */
  mirrorOf(symbol: string): BookMirror {
    return this.#mirrors.get(symbol)!;
  }

  /** Drops a view nobody subscribes to any more, and its symbol's mirror with the last one. */
  drop(symbol: string, depth: number): void {
    const views = this.#views.get(symbol);
    views?.delete(depth);
    if (views?.size === 0) {
      this.#views.delete(symbol);
      this.#mirrors.delete(symbol);
    }
  }

  /**
   * Feeds one level change to its symbol's mirror (if one is kept), adding the symbol to `touched`
   * when the mirror moved. After a gap in the book sequence the mirror is made again from the core
   * and the symbol added to `rebuilt` instead; its later events in the batch are already in the new
   * mirror, and the caller resets its views (`resetViews`) and owes their subscribers a snapshot.
   */
  applyLevel(e: BookLevelChanged, touched: Set<string>, rebuilt: Set<string>): void {
    const mirror = this.#mirrors.get(e.symbol);
    if (!mirror || rebuilt.has(e.symbol)) return;
    const outcome = mirror.apply(e);
    if (outcome === 'applied') touched.add(e.symbol);
    if (outcome === 'gap') {
      this.logger.warn({ symbol: e.symbol, expected: mirror.bookSeq + 1, got: e.bookSeq }, `${this.gateway}: book events skipped a sequence; rebuilding from the core`);
      this.#mirrors.set(e.symbol, new BookMirror(this.bookOf(e.symbol)));
      rebuilt.add(e.symbol);
    }
  }

  /** Moves every view of a rebuilt symbol to its new mirror. */
  resetViews(symbol: string): void {
    const mirror = this.mirrorOf(symbol);
    for (const view of this.viewsOf(symbol)) view.reset(mirror);
  }

  #mirror(symbol: string): BookMirror {
    let mirror = this.#mirrors.get(symbol);
    if (!mirror) this.#mirrors.set(symbol, (mirror = new BookMirror(this.bookOf(symbol))));
    return mirror;
  }
}
