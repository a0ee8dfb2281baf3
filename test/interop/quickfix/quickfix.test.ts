/**
 * Interoperability with a third-party engine: a QuickFIX/C++ initiator (Debian's
 * libquickfix-dev, compiled here with g++) logs on with a signed Logon, validates our messages
 * against our published dictionary, places, fills, replaces and cancels orders, and subscribes to
 * market data: it keeps a book from MarketDataSnapshotFullRefresh (W) then
 * MarketDataIncrementalRefresh (X) that must equal the book REST serves.
 * CI installs: g++ pkg-config libquickfix-dev (which brings libssl-dev and libxml2-dev).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSET_DICTIONARY } from '../../gateway/fix/helpers.js';
import { startVenue, type TestVenue } from '../../gateway/fix/harness.js';

const SOURCE = new URL('./initiator.cpp', import.meta.url).pathname;
let workdir: string;
let binary: string;
let venue: TestVenue;

function quickfixFlags(): string[] {
  try {
    return execFileSync('pkg-config', ['--cflags', '--libs', 'quickfix'], { encoding: 'utf8' }).trim().split(/\s+/);
  } catch {
    throw new Error('QuickFIX is not installed: apt-get install -y g++ pkg-config libquickfix-dev');
  }
}

beforeAll(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'quickfix-interop-'));
  binary = join(workdir, 'initiator');
  execFileSync('g++', ['-std=gnu++14', '-O0', '-w', SOURCE, '-o', binary, ...quickfixFlags(), '-lcrypto', '-lpthread'], { stdio: 'pipe' });
  venue = await startVenue({ clients: { QFCLIENT: 'acc-qf', MAKER: 'acc-mm' } });
  // Resting liquidity from another account for the initiator's aggressive order.
  const placed = await venue.bus.submit({ type: 'PlaceOrder', accountId: 'acc-mm', symbol: 'BTC-USD', clientOrderId: 'mm-1', side: 'sell', orderType: 'limit', price: '100', quantity: '1', timeInForce: 'GTC' });
  expect(placed.ok).toBe(true);
}, 60_000);

afterAll(async () => {
  await venue?.close();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

describe('QuickFIX/C++ initiator', () => {
  it('logs on with a signature, trades, replaces and cancels, keeps a market-data book, and accepts every message we send', async () => {
    const key = venue.keys.QFCLIENT!;
    const child = spawn(binary, [String(venue.acceptor.port), 'QFCLIENT', 'EXCH', key.keyId, key.secret.toString('base64url'), SUBSET_DICTIONARY, workdir]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('BOOK '))).toEqual([
      'OK logon', 'OK fill', 'OK rest', 'OK replace', 'OK cancel', 'OK cancel-reject', 'OK md-snapshot', 'OK md-update', 'OK md-trade', 'OK logout',
    ]);
    expect(code).toBe(0);
    // The book it kept from W and X is REST's book at depth 10 (GET /v1/instruments/BTC-USD/book answers core.book).
    const rest = venue.bus.core.book('BTC-USD', 10)!;
    const side = (levels: ReadonlyArray<{ price: string; quantity: string }>) => levels.map((l) => ` ${l.price}:${l.quantity}`).join('');
    expect(lines.find((l) => l.startsWith('BOOK '))).toBe(`BOOK ${rest.bookSeq}${side(rest.bids)} |${side(rest.asks)}`);
    // The maker's side of the trade happened in the core.
    expect(venue.bus.core.order('acc-mm', { clientOrderId: 'mm-1' })?.filledQuantity).toBe('0.5');
  }, 25_000);
});
