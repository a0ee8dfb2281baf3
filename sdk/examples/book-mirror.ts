/**
 * Mirrors an order book over the public WebSocket stream: the SDK checks every update's sequence
 * and checksum and resubscribes by itself on a mismatch. Prints the top of the book as it moves,
 * then checks the mirror against REST's book before exiting.
 *
 *   npx tsx sdk/examples/book-mirror.ts --duration-ms=10000 --depth=10
 */
import { RestClient, WsClient, type LocalOrderBook } from '../src/index.js';
import { baseUrl, durationMs, numberOption, run, sleep, symbol } from './shared.js';

const DEPTHS = [1, 5, 10, 25, 50, 100] as const;

function top(book: LocalOrderBook): string {
  const [bid, ask] = [book.bestBid(), book.bestAsk()];
  return `${book.symbol} bookSeq ${book.bookSeq}: bid ${bid ? `${bid[1]} @ ${bid[0]}` : '-'} | ask ${ask ? `${ask[1]} @ ${ask[0]}` : '-'} (${book.bids.length}x${book.asks.length} levels)`;
}

/** The mirror equals REST's top levels: tried a few times, since a change can be in flight between the two reads. */
async function matchesRest(book: LocalOrderBook, rest: RestClient): Promise<boolean> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const before = book.bookSeq;
    const restBook = await rest.getOrderBook(book.symbol, book.depth);
    const same = (mine: readonly (readonly [string, string])[], theirs: { price: string; quantity: string }[]) =>
      mine.length === theirs.length && mine.every(([p, q], i) => p === theirs[i]!.price && q === theirs[i]!.quantity);
    if (book.synced && book.bookSeq === before && same(book.bids, restBook.bids) && same(book.asks, restBook.asks)) {
      console.log(`mirror matches REST at bookSeq ${book.bookSeq} (attempt ${attempt})`);
      return true;
    }
    await sleep(100);
  }
  return false;
}

run(async () => {
  const duration = durationMs();
  const depth = numberOption('depth', 'DEPTH', 10);
  if (!(DEPTHS as readonly number[]).includes(depth)) throw new Error(`depth must be one of ${DEPTHS.join(', ')}`);
  const ws = new WsClient({ baseUrl });
  const rest = new RestClient({ baseUrl });
  ws.on('book.resync', (e) => console.log(`resync ${e.symbol}: ${e.reason}`));
  ws.on('close', (e) => e.willReconnect && console.log(`connection closed (${e.code}); reconnecting`));

  const book = await ws.book(symbol, depth as (typeof DEPTHS)[number]);
  console.log(`snapshot ${top(book)}`);
  let updates = 0;
  let lastPrinted = 0;
  book.onChange(() => {
    updates++;
    if (Date.now() - lastPrinted < 1000) return;
    lastPrinted = Date.now();
    console.log(top(book));
  });

  await sleep(duration);
  console.log(`${updates} updates applied, ${book.resyncs} resyncs`);
  const ok = await matchesRest(book, rest);
  await ws.close();
  if (!ok) throw new Error('the mirror never matched REST');
});
