/**
 * Runs the examples of docs/websocket.md, exactly as written, against a real gateway: the local
 * order book (sequence and checksum checks) while other clients trade, and login plus order entry
 * against the demo market an integrator starts (the market maker quoting near its own prices,
 * with the price band in force), not an empty test book.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../helpers/service.js';
import { startHarness, type Harness, type Trader } from './harness.js';
import { eventually } from '../../helpers/eventually.js';
import { trade } from './workload.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const doc = readFileSync(join(ROOT, 'docs/websocket.md'), 'utf8');

/** The fenced block right after `<!-- example: NAME -->`. */
function example(name: string): string {
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (!match?.[1]) throw new Error(`docs/websocket.md has no example ${name}`);
  return match[1];
}

let h: Harness;
let dir: string;
let traders: Trader[];

/** Writes the example where it resolves the project's `ws` package, and runs it with tsx. */
function runExample(name: string, env: Record<string, string>) {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, example(name));
  return run(join(ROOT, 'node_modules/.bin/tsx'), [file], { env: { ...process.env, WS_URL: h.url, ...env }, timeout: 100_000 }); // only stops a hung example
}

/** The best bid of the demo book, once the market maker has quoted it. */
async function bestBid(baseUrl: string, symbol: string): Promise<string> {
  let bid: string | undefined;
  await eventually(async () => {
    const book = (await (await fetch(`${baseUrl}/v1/instruments/${symbol}/book?depth=1`)).json()) as { bids: { price: string }[] };
    expect(book.bids.length).toBeGreaterThan(0);
    bid = book.bids[0]!.price;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  return bid!;
}

beforeAll(async () => {
  h = await startHarness();
  traders = await Promise.all(['d1', 'd2', 'd3'].map((id) => h.trader(id)));
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  dir = mkdtempSync(join(ROOT, 'node_modules/.cache/ws-docs-'));
});

afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('docs/websocket.md examples', () => {
  it('local-book keeps a checksum-verified book through 20 updates while others trade', async () => {
    const example = runExample('local-book', { UPDATES: '20', SYMBOL: 'ETH-USD' });
    let done = false;
    const output = example.finally(() => (done = true));
    // Trade until the example has its updates: on a busy machine it may start (tsx compiles it)
    // after any fixed number of rounds would be over. The example's own timeout ends a hung run.
    for (let seed = 1; !done; seed++) await trade(h.url, traders, 10, seed, 'ETH-USD');
    const { stdout } = await output;
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary.updates).toBe(20);
    expect(summary.resyncs).toBe(0);
    expect(summary.bookSeq).toBeGreaterThan(0);
  });

});

describe('docs/websocket.md examples on the demo market', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ demoBot: true });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('trade logs in, places at the live price, cancels and gets a rejection with REST\'s code', async () => {
    const bid = await bestBid(svc.baseUrl, 'BTC-USD');
    // The demo trades far from round test prices: an order at a made-up price would be refused.
    expect(Number(bid)).toBeGreaterThan(1000);
    const trader = await svc.createTrader('docs-ws-trade');
    const wsUrl = `${svc.baseUrl.replace(/^http/, 'ws')}/v1/ws`;
    const { stdout } = await runExample('trade', { WS_URL: wsUrl, API_KEY: trader.keyId, API_SECRET: trader.secret });
    const placed = /^placed (\d+) new$/m.exec(stdout);
    expect(placed, stdout).not.toBeNull();
    const orderId = placed![1]!;
    expect(stdout).toMatch(new RegExp(`^canceled ${orderId} canceled$`, 'm'));
    expect(stdout).toMatch(/^rejected PRICE_OFF_TICK 400$/m);
    expect(stdout).toMatch(new RegExp(`^event \\d+ accepted ${orderId} new$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^event \\d+ canceled ${orderId} canceled$`, 'm'));
    expect(svc.bus.core.order(trader.accountId, { orderId })?.status).toBe('canceled');
  });

  it('trade exits non-zero and names the code when the server refuses it', async () => {
    const trader = await svc.createTrader('docs-ws-trade-poor', { USD: '0.01' });
    const wsUrl = `${svc.baseUrl.replace(/^http/, 'ws')}/v1/ws`;
    const outcome = await runExample('trade', { WS_URL: wsUrl, API_KEY: trader.keyId, API_SECRET: trader.secret }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toMatch(/placeOrder refused: INSUFFICIENT_FUNDS 422/);
  });
});
