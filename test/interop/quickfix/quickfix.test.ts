/**
 * Interoperability with a third-party engine: a QuickFIX/C++ initiator (Debian's
 * libquickfix-dev, compiled here with g++) logs on with a signed Logon, validates our messages
 * against our published dictionary, and places, fills, asks for status, replaces, cancels and
 * mass-cancels orders, is refused a replace and a cancel (OrderCancelReject), gets a session
 * Reject and a BusinessMessageReject, and subscribes to market data: it keeps a book from
 * MarketDataSnapshotFullRefresh (W) then MarketDataIncrementalRefresh (X) that must equal the
 * book REST serves. A second run logs on and trades over TLS 1.2.
 * CI installs: g++ pkg-config libquickfix-dev (which brings libssl-dev and libxml2-dev).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSET_DICTIONARY } from '../../gateway/fix/helpers.js';
import { startVenue, type TestVenue } from '../../gateway/fix/harness.js';
import { startFixAcceptor, type FixAcceptor } from '../../../server/src/gateway/fix/acceptor.js';

const SOURCE = new URL('./initiator.cpp', import.meta.url).pathname;
let workdir: string;
let binary: string;
let venue: TestVenue;
/** A second acceptor on the same venue that speaks TLS only. */
let tlsAcceptor: FixAcceptor;
let certFile: string;

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
  venue = await startVenue({ clients: { QFCLIENT: 'acc-qf', MAKER: 'acc-mm', QFTLS: 'acc-qf-tls' } });
  certFile = join(workdir, 'cert.pem');
  const keyFile = join(workdir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  tlsAcceptor = await startFixAcceptor({
    ...venue.options, port: 0, dataDir: mkdtempSync(join(workdir, 'tls-data-')), tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  });
  // Resting liquidity from another account for the initiator's aggressive order.
  const placed = await venue.bus.submit({ type: 'PlaceOrder', accountId: 'acc-mm', symbol: 'BTC-USD', clientOrderId: 'mm-1', side: 'sell', orderType: 'limit', price: '100', quantity: '1', timeInForce: 'GTC' });
  expect(placed.ok).toBe(true);
}); // vitest.config.ts bounds the hook: compiling against QuickFIX takes long with every core busy

afterAll(async () => {
  await tlsAcceptor?.close();
  await venue?.close();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

/** Runs the initiator to its end; its stdout lines and exit code. */
async function runInitiator(port: number, sender: string, extra: string[] = []): Promise<{ steps: string[]; stdout: string; stderr: string; code: number | null }> {
  const key = venue.keys[sender]!;
  const child = spawn(binary, [String(port), sender, 'EXCH', key.keyId, key.secret.toString('base64url'), SUBSET_DICTIONARY, join(workdir, sender), ...extra]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    // A guard against a hung initiator only: each of its steps gives up by itself (20-30 s).
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  // QuickFIX's own output (its TLS certificate check) is interleaved; the steps are the "OK" lines.
  return { steps: stdout.split('\n').filter((line) => line.startsWith('OK ')), stdout, stderr, code };
}

describe('QuickFIX/C++ initiator', () => {
  it('logs on with a signature; trades, asks for status, replaces, cancels, mass-cancels, keeps a market-data book, and parses every answer and reject we send', async () => {
    const run = await runInitiator(venue.acceptor.port, 'QFCLIENT');
    expect(run.stderr).toBe('');
    expect(run.steps).toEqual([
      'OK logon', 'OK fill', 'OK rest', 'OK status-live', 'OK replace', 'OK replace-reject', 'OK cancel', 'OK cancel-reject',
      'OK status-filled', 'OK status-unknown', 'OK mass-cancel', 'OK session-reject', 'OK business-reject',
      'OK md-snapshot', 'OK md-update', 'OK md-trade', 'OK logout',
    ]);
    expect(run.code).toBe(0);
    // The book it kept from W and X is REST's book at depth 10 (GET /v1/instruments/BTC-USD/book answers core.book).
    const rest = venue.bus.core.book('BTC-USD', 10)!;
    const side = (levels: ReadonlyArray<{ price: string; quantity: string }>) => levels.map((l) => ` ${l.price}:${l.quantity}`).join('');
    expect(run.stdout.split('\n').find((l) => l.startsWith('BOOK '))).toBe(`BOOK ${rest.bookSeq}${side(rest.bids)} |${side(rest.asks)}`);
    // The maker's side of both trades happened in the core.
    expect(venue.bus.core.order('acc-mm', { clientOrderId: 'mm-1' })?.filledQuantity).toBe('0.5');
  }, 110_000);

  it('logs on and trades over TLS 1.2, trusting only our certificate', async () => {
    const run = await runInitiator(tlsAcceptor.port, 'QFTLS', ['tls', certFile]);
    expect(run.stderr).toBe('');
    expect(run.steps).toEqual(['OK logon', 'OK order', 'OK logout']);
    expect(run.stdout).toContain('Certificate Verification: depth: 0, subject: /CN=localhost');
    expect(run.code).toBe(0);
    expect(venue.bus.core.order('acc-qf-tls', { clientOrderId: 'QF-T1' })?.status).toBe('new');
  }, 110_000);
});
