/**
 * Runs every SDK example as its own process against a live demo-mode service (market-making bot
 * on), for a few seconds each, and checks it did its job: exit code 0, the expected output, and
 * the effect on the server.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDecimal, RestClient } from '../../sdk/src/index.js';
import { demoMarketQuoted } from '../helpers/demo-market.js';
import { startTestService, type TestService } from '../helpers/service.js';

const EXAMPLES = fileURLToPath(new URL('../../sdk/examples/', import.meta.url));
/** Below the hook's time limit (vitest.config.ts), so a hung example fails with its output. */
const HUNG_EXAMPLE_MS = 120_000;

let svc: TestService;
let demo: RestClient;

interface Run { code: number | null; stdout: string; stderr: string }

function runExample(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${EXAMPLES}${name}`, ...args], {
      env: { ...process.env, BASE_URL: svc.baseUrl, DATA_DIR: svc.dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Only stops a hung example, so the hook can still report its output: the examples bound their
    // own run time from when they are connected, but four tsx start-ups at once take a while on a busy machine.
    const timer = setTimeout(() => child.kill('SIGKILL'), HUNG_EXAMPLE_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The example's output, shown when an assertion about it fails. */
const described = (run: Run) => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

let runs: Record<'placeAndCancel' | 'streamFills' | 'bookMirror' | 'marketMaker', Run>;
let makerAccount: RestClient;

beforeAll(async () => {
  svc = await startTestService({ demoBot: true, config: { mode: 'demo' } });
  if (!svc.demo) throw new Error('demo mode did not create the demo account');
  demo = new RestClient({ baseUrl: svc.baseUrl, credentials: svc.demo });
  // The market maker runs on its own account (passed through API_KEY/API_SECRET), so its quotes
  // and the demo account's cross in stream-fills never meet in self-trade prevention.
  const maker = await svc.createTrader('example-maker');
  makerAccount = new RestClient({ baseUrl: svc.baseUrl, credentials: maker });
  // stream-fills takes an ask and market-maker quotes around the mid: both need the bot's quotes.
  await demoMarketQuoted(svc.baseUrl);
  const [placeAndCancel, streamFills, bookMirror, marketMaker] = await Promise.all([
    runExample('place-and-cancel.ts'),
    runExample('stream-fills.ts', ['--duration-ms=2500', '--cross']),
    runExample('book-mirror.ts', ['--duration-ms=2500', '--depth=10']),
    runExample('market-maker.ts', [], { DURATION_MS: '3000', API_KEY: maker.keyId, API_SECRET: maker.secret }),
  ]);
  runs = { placeAndCancel: placeAndCancel!, streamFills: streamFills!, bookMirror: bookMirror!, marketMaker: marketMaker! };
});

afterAll(async () => {
  await svc?.stop();
});

describe('examples against the demo', () => {
  it('place-and-cancel places a passive order and cancels it', async () => {
    const run = runs.placeAndCancel;
    expect(run.code, described(run)).toBe(0);
    const placed = /placed order (\d+) BTC-USD buy \S+ @ \S+ \(client id (\S+), status new\)/.exec(run.stdout);
    expect(placed, described(run)).not.toBeNull();
    expect(run.stdout).toContain(`canceled order ${placed![1]}: canceled`);
    const order = await demo.getOrderByClientId(placed![2]!);
    expect(order).toMatchObject({ orderId: placed![1], status: 'canceled', postOnly: true });
  });

  it('stream-fills prints the fills the account made while it listened', async () => {
    const run = runs.streamFills;
    expect(run.code, described(run)).toBe(0);
    const took = /took \S+ BTC-USD @ \S+ \((\d+) fills\)/.exec(run.stdout);
    expect(took, described(run)).not.toBeNull();
    expect(Number(took![1])).toBeGreaterThan(0);
    const printed = [...run.stdout.matchAll(/^fill BTC-USD trade (\d+) /gm)].map((m) => Number(m[1]));
    expect(printed.length).toBeGreaterThanOrEqual(Number(took![1]));
    expect(run.stdout).toContain(`received ${printed.length} fills`);
    const fills = [];
    for await (const fill of demo.iterateFills({ symbol: 'BTC-USD' })) fills.push(fill.tradeId);
    expect(fills).toEqual(expect.arrayContaining(printed));
  });

  it('book-mirror follows the moving book without a resync and matches REST at the end', () => {
    const run = runs.bookMirror;
    expect(run.code, described(run)).toBe(0);
    expect(run.stdout).toMatch(/^snapshot BTC-USD bookSeq \d+: bid \S+ @ \S+ \| ask \S+ @ \S+/m);
    const applied = /(\d+) updates applied, (\d+) resyncs/.exec(run.stdout);
    expect(applied, described(run)).not.toBeNull();
    expect(Number(applied![1])).toBeGreaterThan(0);
    expect(applied![2]).toBe('0');
    expect(run.stdout).toMatch(/mirror matches REST at bookSeq \d+/);
  });

  it('market-maker quotes both sides around the mid and leaves nothing open on exit', async () => {
    const run = runs.marketMaker;
    expect(run.code, described(run)).toBe(0);
    const quote = /^mid (\S+): bid (\S+) \| ask (\S+)$/m.exec(run.stdout);
    expect(quote, described(run)).not.toBeNull();
    const [, mid, bid, ask] = quote!.map(String);
    expect(compareDecimal(bid!, mid!)).toBeLessThan(0);
    expect(compareDecimal(mid!, ask!)).toBeLessThan(0);
    const summary = /quotes placed (\d+), refused (\d+), fills (\d+), canceled on exit (\d+)/.exec(run.stdout);
    expect(summary, described(run)).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(2);
    expect((await makerAccount.listOpenOrders()).data).toEqual([]);
    const history = [];
    for await (const order of makerAccount.iterateOrders({ symbol: 'BTC-USD' })) history.push(order);
    expect(history.filter((o) => o.status !== 'rejected')).toHaveLength(Number(summary![1]));
    expect(history.every((o) => o.postOnly && o.clientOrderId?.startsWith('mm-'))).toBe(true);
  });
});
