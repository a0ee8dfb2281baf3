import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAKER_ACCOUNT, TAKER_ACCOUNT } from '../../server/src/demo/market-maker.js';
import { demoMarketQuoted } from '../helpers/demo-market.js';
import { eventually } from '../helpers/eventually.js';
import { signedFetch } from '../helpers/signing.js';
import { startTestService } from '../helpers/service.js';

describe('demo mode', () => {
  it('funds a demo account, writes its credentials, and the bot makes a two-sided market with trades', async () => {
    const svc = await startTestService({ demoBot: true, config: { mode: 'demo' } });
    try {
      const file = join(svc.dataDir, 'demo-credentials.json');
      expect(existsSync(file)).toBe(true);
      const creds = JSON.parse(readFileSync(file, 'utf8')) as { keyId: string; secret: string };
      const balances = await signedFetch(svc.baseUrl, creds, 'GET', '/v1/balances');
      expect(balances.status).toBe(200);
      expect(balances.body.data).toContainEqual(expect.objectContaining({ asset: 'USD', available: '1000000' }));

      // The bot requotes one instrument after another on a timer: on a busy machine a trade can
      // print before it has reached the last book, so each condition is waited for, not read once.
      await eventually(async () => {
        const tickers = (await (await fetch(`${svc.baseUrl}/v1/tickers`)).json()) as { data: { tradeCount: number }[] };
        expect(tickers.data.reduce((n, t) => n + t.tradeCount, 0)).toBeGreaterThan(0);
      }, { timeoutMs: 60_000, intervalMs: 100 });
      for (const symbol of ['BTC-USD', 'ETH-USD', 'ETH-BTC']) await demoMarketQuoted(svc.baseUrl, symbol);
    } finally {
      await svc.stop();
    }
  });

  it('production mode creates no demo account and runs no bot', async () => {
    const svc = await startTestService({ demoBot: true, config: { mode: 'production', secretsKey: 'cd'.repeat(32) } });
    try {
      expect(existsSync(join(svc.dataDir, 'demo-credentials.json'))).toBe(false);
      expect(svc.demo).toBeUndefined();
      // A bot creates its accounts before the service's start resolves: their absence now means
      // none started, without waiting to see whether it quotes.
      expect(svc.bus.core.account(MAKER_ACCOUNT)).toBeUndefined();
      expect(svc.bus.core.account(TAKER_ACCOUNT)).toBeUndefined();
      const book = (await (await fetch(`${svc.baseUrl}/v1/instruments/BTC-USD/book`)).json()) as { bids: unknown[]; asks: unknown[] };
      expect(book.bids).toEqual([]);
      expect(book.asks).toEqual([]);
    } finally {
      await svc.stop();
    }
  });
});

describe('the whole service over WebSocket', () => {
  it('streams the demo market\'s trades on /v1/ws of the same HTTP port', async () => {
    const { WebSocket } = await import('ws');
    const svc = await startTestService({ demoBot: true, config: { mode: 'demo' } });
    const socket = new WebSocket(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
    try {
      const frames: { type?: string; channel?: string; id?: number }[] = [];
      socket.on('message', (data) => frames.push(JSON.parse(String(data))));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ id: 1, op: 'subscribe', args: { channel: 'trades', symbol: 'BTC-USD' } }));
      await eventually(() => expect(frames.some((f) => f.type === 'trades')).toBe(true), { timeoutMs: 60_000, intervalMs: 100 });
      expect(frames.find((f) => f.id === 1)).toMatchObject({ type: 'reply' });
    } finally {
      socket.close();
      await svc.stop();
    }
  });
});
