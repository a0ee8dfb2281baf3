/**
 * RFQ round trips on a whole demo service (journal fsync included), from a client's side:
 * request→quote and accept→fill over REST and over FIX (QuoteRequest→Quote, NewOrderSingle
 * OrdType D→ExecutionReport Trade), through the built-in pricer and through one dealer
 * connection that answers every RFQ at once over WebSocket. Prints p50 and p99 in ms.
 *
 *   npm run bench:rfq [-- ROUNDS]   (default 300 per measure)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { validateConfig } from '../server/src/config/load.js';
import { DEFAULT_CONFIG } from '../server/src/config/schema.js';
import { createLogger } from '../server/src/observability/logger.js';
import { formatUtcTimestamp } from '../server/src/gateway/fix/time.js';
import { startService } from '../server/src/service.js';
import { FixClient } from '../test/gateway/fix/harness.js';
import { canonicalString, signatureFor, signedFetch, type HmacCredentials } from '../test/helpers/signing.js';

const ROUNDS = Number(process.argv[2] ?? 300);

function pct(xs: number[], p: number): string {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2);
}

async function run(label: string, pricer: boolean, withDealer: boolean): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-rfq-'));
  const config = validateConfig({
    ...structuredClone(DEFAULT_CONFIG), dataDir, http: { ...DEFAULT_CONFIG.http, port: 0 }, fix: { ...DEFAULT_CONFIG.fix, port: 0 },
    rfq: { ...DEFAULT_CONFIG.rfq, rfqsPerMinute: 1_000_000, pricer: { ...DEFAULT_CONFIG.rfq.pricer, enabled: pricer } },
    limits: { ...DEFAULT_CONFIG.limits, keyWeightPerSecond: 1_000_000, ipWeightPerSecond: 1_000_000, ordersPerSecond: 1_000_000, ordersPer10Seconds: 10_000_000 },
  });
  const svc = await startService({ config, logger: createLogger('silent') });
  const base = `http://127.0.0.1:${svc.httpPort}`;
  const op = { keyId: svc.operator.keyId, secret: svc.operator.secret };
  const demo: HmacCredentials = { keyId: svc.demo!.keyId, secret: svc.demo!.secret };
  for (let i = 0; i < 100 && (svc.bus.core.book('BTC-USD', 1)?.asks.length ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  let ws: WebSocket | undefined;
  if (withDealer) {
    await signedFetch(base, op, 'POST', '/v1/operator/accounts', { body: { accountId: 'bench-dealer' } });
    for (const [asset, amount] of [['USD', '100000000'], ['BTC', '10000']]) await signedFetch(base, op, 'POST', '/v1/operator/accounts/bench-dealer/deposits', { body: { asset, amount } });
    const key = (await signedFetch(base, op, 'POST', '/v1/operator/accounts/bench-dealer/api-keys', { body: { label: 'dealer', scopes: ['read'], dealer: true } })).body;
    ws = new WebSocket(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
    await new Promise((r) => ws!.once('open', r));
    const ts = Date.now();
    const creds = { keyId: key.key.keyId, secret: key.secret };
    ws.send(JSON.stringify({ id: 1, op: 'login', args: { keyId: creds.keyId, timestamp: ts, signature: signatureFor(creds, canonicalString(ts, 'GET', '/v1/ws', '')) } }));
    ws.send(JSON.stringify({ id: 2, op: 'subscribe', args: { channel: 'dealer' } }));
    let id = 10;
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string; rfqId?: string; quantity?: string };
      if (f.type === 'rfq.request') ws!.send(JSON.stringify({ id: ++id, op: 'quoteAnswer', args: { rfqId: f.rfqId, askPrice: '1', quantity: f.quantity } }));
    });
    await new Promise((r) => setTimeout(r, 300));
  }
  const quoteMs: number[] = [];
  const acceptMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    const q = await signedFetch(base, demo, 'POST', '/v1/rfq', { body: { symbol: 'BTC-USD', side: 'buy', quantity: '0.001' } });
    quoteMs.push(performance.now() - t);
    if (q.status !== 201) throw new Error(`rfq ${q.status} ${JSON.stringify(q.body)}`);
    t = performance.now();
    const a = await signedFetch(base, demo, 'POST', `/v1/rfq/${q.body.quoteId}/accept`, { body: { side: 'buy' } });
    acceptMs.push(performance.now() - t);
    if (a.status !== 201) throw new Error(`accept ${a.status} ${JSON.stringify(a.body)}`);
  }
  console.log(`${label}, REST: request→quote p50 ${pct(quoteMs, 50)} ms p99 ${pct(quoteMs, 99)} ms; accept→fill p50 ${pct(acceptMs, 50)} ms p99 ${pct(acceptMs, 99)} ms (${ROUNDS} rounds)`);

  // The same over FIX, on a session of the demo account.
  const fixKey = (await signedFetch(base, op, 'POST', `/v1/operator/accounts/${svc.demo!.accountId}/api-keys`, { body: { label: 'bench-fix', scopes: ['read', 'trade'], fixSenderCompId: 'BENCHRFQ' } })).body;
  const fix = await FixClient.connect(svc.fixPort!, 'BENCHRFQ', config.fix.compId);
  fix.logon({ keyId: fixKey.key.keyId, secret: Buffer.from(fixKey.secret, 'base64url'), accountId: svc.demo!.accountId, senderCompId: 'BENCHRFQ' });
  fix.seq = 2;
  if ((await fix.next(undefined, 30_000)).msgType !== 'A') throw new Error('FIX logon refused');
  const fixQuoteMs: number[] = [];
  const fixAcceptMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    fix.send('R', [[131, `bench-${i}`], [146, '1'], [55, 'BTC-USD'], [54, '1'], [38, '0.001']]);
    const quote = await fix.next('S', 30_000);
    fixQuoteMs.push(performance.now() - t);
    t = performance.now();
    fix.send('D', [[11, `bench-take-${i}`], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(Date.now())], [40, 'D'], [117, quote.get(117)!]]);
    for (let report = await fix.next('8', 30_000); report.get(150) !== 'F'; report = await fix.next('8', 30_000)) {
      if (report.get(150) === '8') throw new Error(`accept refused: ${report.get(58)}`);
    }
    fixAcceptMs.push(performance.now() - t);
  }
  console.log(`${label}, FIX: request→quote p50 ${pct(fixQuoteMs, 50)} ms p99 ${pct(fixQuoteMs, 99)} ms; accept→fill p50 ${pct(fixAcceptMs, 50)} ms p99 ${pct(fixAcceptMs, 99)} ms (${ROUNDS} rounds)`);
  fix.close();
  ws?.close();
  await svc.close();
  rmSync(dataDir, { recursive: true, force: true });
}

await run('built-in pricer', true, false);
await run('dealer (pricer off)', false, true);
