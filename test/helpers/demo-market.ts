/** Waiting for the demo market that contract, demo and SDK tests run on. */
import { eventually } from './eventually.js';

/** Waits until the demo market maker quotes both sides of `symbol`, so prices have a band to fall in. */
export async function demoMarketQuoted(baseUrl: string, symbol = 'BTC-USD'): Promise<void> {
  await eventually(async () => {
    const book = (await (await fetch(`${baseUrl}/v1/instruments/${symbol}/book?depth=1`)).json()) as { bids: unknown[]; asks: unknown[] };
    if (book.bids.length === 0 || book.asks.length === 0) throw new Error(`the demo market maker has not quoted ${symbol} yet`);
  }, { timeoutMs: 60_000, intervalMs: 100 });
}
