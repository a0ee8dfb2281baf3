/**
 * A deliberately simple market maker over the WebSocket: it mirrors the book, quotes one post-only
 * bid and ask a few ticks either side of the mid (leaving its own quotes out of the mid), and
 * replaces both in one batch when the mid moves. Logged in with cancel-on-disconnect, so a crash
 * leaves no quotes behind; on exit it cancels them itself.
 *
 *   npx tsx sdk/examples/market-maker.ts --duration-ms=20000 --spread-ticks=5
 */
import { RestClient, WsClient, type BatchItemFailed, type LocalOrderBook } from '../src/index.js';
import { baseUrl, Decimals, durationMs, loadCredentials, minimumQuantity, numberOption, offsetTicks, run, sleep, symbol, type InstrumentRules } from './shared.js';

interface Quote { clientOrderId: string; price: string }

run(async () => {
  const duration = durationMs();
  const spreadTicks = numberOption('spread-ticks', 'SPREAD_TICKS', 5);
  const rest = new RestClient({ baseUrl, credentials: loadCredentials() });
  await rest.calibrateClock(3);
  const ws = new WsClient({ baseUrl, signer: rest.signer!, cancelOnDisconnect: true });

  let rules: InstrumentRules | undefined;
  for await (const instrument of rest.iterateInstruments()) if (instrument.symbol === symbol) rules = instrument;
  if (!rules) throw new Error(`no instrument ${symbol}`);
  const prices = new Decimals(Math.max(Decimals.scaleOf(rules.tickSize), 2));

  let fills = 0;
  let quotesPlaced = 0;
  let refused = 0;
  ws.on('orders.update', (u) => {
    if (u.event === 'filled' && u.order.clientOrderId?.startsWith('mm-')) {
      fills++;
      console.log(`filled: ${u.order.side} ${u.order.filledQuantity} @ ${u.order.price}`);
    }
  });
  await ws.subscribe({ channel: 'orders' });
  const book = await ws.book(symbol, 5);

  const quotes: { bid?: Quote; ask?: Quote } = {};
  let lastMid: bigint | undefined;
  let busy = false;
  let stopping = false;
  let seq = 0;

  /** The best price on a side that is not one of our own quotes. */
  const bestOther = (levels: LocalOrderBook['bids'], own: Quote | undefined) => levels.find(([price]) => price !== own?.price)?.[0];

  const requote = async () => {
    if (busy || stopping || !book.synced) return;
    const bid = bestOther(book.bids, quotes.bid);
    const ask = bestOther(book.asks, quotes.ask);
    if (!bid || !ask) return;
    const tick = prices.units(rules!.tickSize);
    const mid = ((prices.units(bid) + prices.units(ask)) / 2n / tick) * tick;
    if (mid === lastMid) return;
    busy = true;
    try {
      const midPrice = prices.format(mid);
      const next = {
        bid: { clientOrderId: `mm-${Date.now()}-${++seq}b`, price: offsetTicks(rules!, midPrice, -spreadTicks) },
        ask: { clientOrderId: `mm-${Date.now()}-${seq}a`, price: offsetTicks(rules!, midPrice, spreadTicks) },
      };
      const cancels = [quotes.bid, quotes.ask].filter((q): q is Quote => q !== undefined).map((q) => ({ op: 'cancelOrder' as const, args: { clientOrderId: q.clientOrderId } }));
      const place = (side: 'buy' | 'sell', q: Quote) => ({
        op: 'placeOrder' as const,
        args: { symbol, side, type: 'limit' as const, price: q.price, quantity: minimumQuantity(rules!, q.price), timeInForce: 'GTC' as const, postOnly: true, clientOrderId: q.clientOrderId },
      });
      const result = await ws.batch([...cancels, place('buy', next.bid), place('sell', next.ask)]);
      const [bidResult, askResult] = result.results.slice(-2);
      quotes.bid = bidResult?.ok ? next.bid : undefined;
      quotes.ask = askResult?.ok ? next.ask : undefined;
      quotesPlaced += [bidResult, askResult].filter((r) => r?.ok).length;
      for (const r of result.results) if (!r.ok && r.op === 'placeOrder') refused++;
      const why = (r: typeof bidResult) => (r && !r.ok ? ` (${(r as BatchItemFailed).error.code})` : '');
      console.log(`mid ${midPrice}: bid ${quotes.bid?.price ?? 'none'}${why(bidResult)} | ask ${quotes.ask?.price ?? 'none'}${why(askResult)}`);
      lastMid = mid;
    } finally {
      busy = false;
    }
  };

  book.onChange(() => void requote().catch((err: unknown) => console.error(`requote failed: ${String(err)}`)));
  await requote();
  await sleep(duration);

  // Stop requoting first: our own cancels move the book, which would otherwise trigger new quotes.
  stopping = true;
  while (busy) await sleep(10);
  const { canceled } = await ws.cancelAll({ symbol });
  await ws.close();
  console.log(`quotes placed ${quotesPlaced}, refused ${refused}, fills ${fills}, canceled on exit ${canceled.length}`);
});
