/**
 * The TypeScript SDK installs the way sdk/README.md says: `cd sdk && npm pack` in the
 * repository, then `npm install <tarball>` in an empty project (its dependencies come from the
 * npm registry, as for any user), and a program importing `@trading-api/sdk` trades against a
 * live demo.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch } from '../helpers/signing.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(ROOT, 'sdk/README.md'), 'utf8');

let svc: TestService;
let work: string;
beforeAll(async () => {
  svc = await startTestService();
  work = mkdtempSync(join(tmpdir(), 'sdk-pack-'));
});
afterAll(async () => {
  await svc?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed TypeScript SDK', () => {
  it('is what the README tells integrators to build and install', () => {
    expect(readme).toContain('(cd sdk && npm pack --pack-destination /tmp)');
    expect(readme).toMatch(/npm install \/tmp\/trading-api-sdk-0\.1\.0\.tgz/);
  });

  it('packs, installs into an empty project and places and cancels an order there', async () => {
    const packs = join(work, 'packs');
    mkdirSync(packs);
    await run('npm', ['pack', '--pack-destination', packs], { cwd: join(ROOT, 'sdk'), timeout: 120_000 });
    const tarball = readdirSync(packs).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBe('trading-api-sdk-0.1.0.tgz');

    const project = join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', join(packs, tarball!)], { cwd: project, timeout: 180_000 });
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/@trading-api/sdk/package.json'), 'utf8')) as { name: string };
    expect(installed.name).toBe('@trading-api/sdk');

    const trader = await svc.createTrader('packed-sdk');
    writeFileSync(join(project, 'example.mjs'), `import { RestClient } from '@trading-api/sdk';
const client = new RestClient({ baseUrl: process.env.BASE_URL, credentials: { keyId: process.env.API_KEY, secret: process.env.API_SECRET } });
await client.calibrateClock();
const { order } = await client.placeOrder({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.02', timeInForce: 'GTC', clientOrderId: 'packed-1' });
const canceled = await client.cancelOrder(order.orderId);
console.log(JSON.stringify({ orderId: order.orderId, placed: order.status, canceled: canceled.status }));
`);
    const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: project, env: { PATH: process.env.PATH ?? '', BASE_URL: svc.baseUrl, API_KEY: trader.keyId, API_SECRET: trader.secret }, timeout: 30_000 });
    const result = JSON.parse(stdout.trim()) as { orderId: string; placed: string; canceled: string };
    expect(result).toMatchObject({ placed: 'new', canceled: 'canceled' });
    const seen = await signedFetch(svc.baseUrl, trader, 'GET', `/v1/orders/${result.orderId}`);
    expect(seen.body.status).toBe('canceled');
  }, 300_000);
});
