/**
 * Streams the account's fills over the WebSocket (signed login) for a while. After a reconnect it
 * backfills the fills it missed from REST, so none is lost or printed twice. With `--cross` it
 * first takes a little liquidity itself, so there is a fill to see, and listens until it has seen
 * those fills even if they arrive after the duration.
 *
 *   npx tsx sdk/examples/stream-fills.ts --duration-ms=15000 --cross
 */
import { RestClient, WsClient, type Fill } from '../src/index.js';
import { baseUrl, Decimals, durationMs, flag, loadCredentials, minimumQuantity, run, sleep, symbol } from './shared.js';

/** How long past the duration to wait for the fills of `--cross`, which should arrive within milliseconds. */
const OWN_FILLS_GRACE_MS = 30_000;

run(async () => {
  const duration = durationMs();
  const rest = new RestClient({ baseUrl, credentials: loadCredentials() });
  await rest.calibrateClock(3);
  const ws = new WsClient({ baseUrl, signer: rest.signer! });

  const printed = new Set<string>();
  const keyOf = (fill: Fill) => `${fill.symbol}:${fill.tradeId}:${fill.orderId}`;
  /** Fills this run caused itself, and a signal once every one of them has been printed. */
  let own: { keys: string[]; seen: () => void } | undefined;
  let lastTs = Date.now();
  const print = (fill: Fill) => {
    const key = keyOf(fill);
    if (printed.has(key)) return;
    printed.add(key);
    if (own?.keys.every((k) => printed.has(k))) own.seen();
    lastTs = Math.max(lastTs, fill.ts);
    console.log(`fill ${fill.symbol} trade ${fill.tradeId} ${fill.side} ${fill.quantity} @ ${fill.price} fee ${fill.fee} ${fill.feeAsset} (${fill.liquidity}, seq ${fill.seq})`);
  };

  ws.on('fills', (frame) => print(frame.fill));
  ws.on('close', (e) => e.willReconnect && console.log(`connection closed (${e.code}); reconnecting`));
  ws.on('subscribed', (e) => {
    if (!e.restored || e.subscription.channel !== 'fills' || e.previousSeq === undefined) return;
    const [from, to] = [e.previousSeq, e.result.seq!];
    void (async () => {
      for await (const fill of rest.iterateFills({ start: lastTs })) if (fill.seq > from && fill.seq <= to) print(fill);
    })().catch((err: unknown) => console.error(`backfill failed: ${String(err)}`));
  });

  let ownFillsSeen = Promise.resolve();
  const sub = await ws.subscribe({ channel: 'fills' });
  console.log(`streaming fills after seq ${sub.seq} for ${duration} ms`);

  if (flag('cross')) {
    let rules;
    for await (const instrument of rest.iterateInstruments()) if (instrument.symbol === symbol) rules = instrument;
    const ask = (await rest.getOrderBook(symbol, 1)).asks[0];
    if (!rules || !ask) throw new Error(`no ${symbol} ask to take`);
    const quantity = minimumQuantity(rules, ask.price);
    const limit = throughAsk(ask.price, rules.tickSize);
    const taken = await rest.placeOrder({ symbol, side: 'buy', type: 'limit', price: limit, quantity, timeInForce: 'IOC' });
    console.log(`took ${taken.order.filledQuantity} ${symbol} @ ${limit} (${taken.fills.length} fills)`);
    const keys = taken.fills.map(keyOf);
    ownFillsSeen = new Promise<void>((seen) => (own = { keys, seen }));
    if (keys.every((k) => printed.has(k))) own!.seen();
  }

  await sleep(duration);
  // The stream may deliver our own fills after the REST reply; a busy host can delay them past the duration.
  await Promise.race([ownFillsSeen, sleep(OWN_FILLS_GRACE_MS)]);
  await ws.close();
  console.log(`received ${printed.size} fills`);
});

/**
 * A buy limit half a percent through the ask (at least a tick), on the tick grid: the book can
 * move between reading it and the order's arrival (a market maker requotes), and a limit exactly
 * at the ask read would then take nothing. The IOC still fills at the best prices on the book.
 */
function throughAsk(askPrice: string, tickSize: string): string {
  const d = new Decimals(Math.max(Decimals.scaleOf(askPrice), Decimals.scaleOf(tickSize)));
  const tick = d.units(tickSize);
  const ask = d.units(askPrice);
  const margin = ask / 200n - ((ask / 200n) % tick);
  return d.format(ask + (margin > tick ? margin : tick));
}
