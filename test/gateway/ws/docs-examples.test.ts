/**
 * Runs the examples of docs/websocket.md, exactly as written, against a real gateway: the local
 * order book (sequence and checksum checks) while other clients trade, and login plus order entry.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type Trader } from './harness.js';
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
  return run(join(ROOT, 'node_modules/.bin/tsx'), [file], { env: { ...process.env, WS_URL: h.url, ...env }, timeout: 15_000 });
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
    for (let seed = 1; !done && seed < 50; seed++) await trade(h.url, traders, 10, seed, 'ETH-USD');
    const { stdout } = await output;
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary.updates).toBe(20);
    expect(summary.resyncs).toBe(0);
    expect(summary.bookSeq).toBeGreaterThan(0);
  });

  it('trade logs in, places, cancels and gets a rejection with REST\'s code', async () => {
    const { stdout } = await runExample('trade', { API_KEY: traders[0]!.keyId, API_SECRET: traders[0]!.secret });
    const placed = /^placed (\d+) new$/m.exec(stdout);
    expect(placed).not.toBeNull();
    const orderId = placed![1]!;
    expect(stdout).toMatch(new RegExp(`^canceled ${orderId} canceled$`, 'm'));
    expect(stdout).toMatch(/^rejected PRICE_OFF_TICK 400$/m);
    expect(stdout).toMatch(new RegExp(`^event \\d+ accepted ${orderId} new$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^event \\d+ canceled ${orderId} canceled$`, 'm'));
    expect(h.bus.core.order(traders[0]!.accountId, { orderId })?.status).toBe('canceled');
  });
});
