import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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

      let tradesSeen = 0;
      for (let i = 0; i < 40 && tradesSeen === 0; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const tickers = (await (await fetch(`${svc.baseUrl}/v1/tickers`)).json()) as { data: { tradeCount: number }[] };
        tradesSeen = tickers.data.reduce((n, t) => n + t.tradeCount, 0);
      }
      expect(tradesSeen).toBeGreaterThan(0);
      for (const symbol of ['BTC-USD', 'ETH-USD', 'ETH-BTC']) {
        const book = (await (await fetch(`${svc.baseUrl}/v1/instruments/${symbol}/book`)).json()) as { bids: { price: string }[]; asks: { price: string }[] };
        expect(book.bids.length, symbol).toBeGreaterThan(0);
        expect(book.asks.length, symbol).toBeGreaterThan(0);
      }
    } finally {
      await svc.stop();
    }
  });

  it('production mode creates no demo account and runs no bot', async () => {
    const svc = await startTestService({ demoBot: true, config: { mode: 'production', secretsKey: 'cd'.repeat(32) } });
    try {
      expect(existsSync(join(svc.dataDir, 'demo-credentials.json'))).toBe(false);
      expect(svc.demo).toBeUndefined();
      await new Promise((r) => setTimeout(r, 1200));
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
      for (let i = 0; i < 60 && !frames.some((f) => f.type === 'trades'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(frames.find((f) => f.id === 1)).toMatchObject({ type: 'reply' });
      expect(frames.some((f) => f.type === 'trades')).toBe(true);
    } finally {
      socket.close();
      await svc.stop();
    }
  });
});
