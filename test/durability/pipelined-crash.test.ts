/**
 * Crash in the middle of the pipelined group commit, with a real process and real files. The
 * journal keeps two batches in flight: batch N syncing while batch N+1 is written. The server
 * runs on a file layer that, once armed, holds N's fdatasync and stops right after N+1's write,
 * before N+1's fdatasync; the test SIGKILLs it there and restarts it on the plain file system.
 *
 * - Process crash: the page cache keeps both batches, so recovery replays them. No client was
 *   told about either (acknowledgements wait for their batch's fdatasync), and the recovered
 *   state is exactly a replay of whole journal records.
 * - Power loss: only what a returned fdatasync covered is sure to be on disk, so the test also
 *   takes a page out of batch N while N+1 stays intact (pages reach the disk in any order).
 *   Recovery cuts both off as the torn end of the crash and starts; every acknowledged command
 *   is still there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BalanceView, BookSnapshot, CommandEnvelope } from '../../server/src/core/api.js';
import { createCore } from '../../server/src/core/index.js';
import { decodeRecordAt } from '../../server/src/journal/format.js';
import { scanJournal, type JournalRecord } from '../../server/src/journal/index.js';
import { eventually } from '../helpers/eventually.js';
import { HarnessClient, startServer } from './harness/client.js';
import { JournalReplay } from './support/replay.js';
import { tempDirs } from './support/temp-dir.js';
import { DEPOSITS, FEE_ACCOUNT, runClient, setupCommands, SYMBOLS, TRADERS, type Acknowledged } from './support/workload.js';

const newDir = tempDirs('pipelined-crash');
const ALL_ACCOUNTS = [...TRADERS, FEE_ACCOUNT];
const CLIENTS = 4;
const MIN_ACKED = 50;

interface Span { start: number; end: number }
interface CrashPoint { path: string; syncedEnd: number; held: Span; pipelined: Span }

/** The journal indexes of the whole records in `span` of the segment's bytes. */
/** A decimal string in units of 10^-8 (every asset here has at most 8 decimals). */
function units(value: string): bigint {
  const [whole, fraction = ''] = value.split('.');
  return BigInt(whole! + fraction.padEnd(8, '0'));
}

function indexesIn(bytes: Buffer, span: Span): number[] {
  const indexes: number[] = [];
  for (let offset = span.start; offset < span.end;) {
    const decoded = decodeRecordAt(bytes, offset);
    if (!decoded.ok) {
      offset++;
      continue;
    }
    indexes.push(decoded.record.index);
    offset = decoded.end;
  }
  return indexes;
}

async function crashInPipeline(powerLoss: boolean): Promise<void> {
  const dataDir = newDir();
  const socket = join(newDir(), 'server.sock');
  let server = await startServer(dataDir, socket, 1_000_000, { PIPELINE_CRASH_POINT: '1' });
  let client = await HarnessClient.connect(socket);
  const acked: Acknowledged[] = [];
  try {
    for (const command of setupCommands()) expect((await client.request({ command })).result).toMatchObject({ ok: true });
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => HarnessClient.connect(socket)));
    let stopped = false;
    const flows = clients.map((c, k) => runClient(c, 7_000 + k, [TRADERS[2 * k]!, TRADERS[2 * k + 1]!], acked, () => stopped));
    await eventually(() => expect(acked.length).toBeGreaterThan(MIN_ACKED), { timeoutMs: 60_000, intervalMs: 10 });
    expect(await client.request({ arm: true })).toMatchObject({ armed: true });
    await eventually(() => expect(server.stdout()).toContain('HELD\n'), { timeoutMs: 60_000, intervalMs: 5 });
    // Every request in flight may be in the held batch; one more makes sure a next batch comes.
    // Its reply never comes: the server is killed before its batch is synced.
    const unanswered = client.request({ command: { type: 'Deposit', accountId: TRADERS[0]!, asset: 'USD', amount: '1' } }).catch(() => undefined);
    let line: string | undefined;
    await eventually(() => {
      line = server.stdout().split('\n').find((l) => l.startsWith('PIPELINED '));
      expect(line).toBeDefined();
    }, { timeoutMs: 60_000, intervalMs: 5 });
    server.child.kill('SIGKILL');
    await server.exited;
    stopped = true;
    await Promise.all(flows);
    for (const c of clients) c.close();
    client.close();
    await unanswered;

    const point = JSON.parse(line!.slice('PIPELINED '.length)) as CrashPoint;
    const bytes = readFileSync(point.path);
    const heldIndexes = indexesIn(bytes, point.held);
    const pipelinedIndexes = indexesIn(bytes, point.pipelined);
    expect(heldIndexes.length).toBeGreaterThan(0);
    expect(pipelinedIndexes.length).toBeGreaterThan(0);
    // N+1 follows N directly: it was written while N's fdatasync was outstanding.
    expect(pipelinedIndexes[0]).toBe(heldIndexes[heldIndexes.length - 1]! + 1);
    expect(point.held.start).toBeGreaterThanOrEqual(point.syncedEnd);
    const lastDurable = heldIndexes[0]! - 1;

    // No acknowledgement left for a command of batch N or N+1: every acknowledged event comes
    // from a record before N, which a returned fdatasync covered.
    const records: JournalRecord[] = [];
    await scanJournal(join(dataDir, 'journal'), { onRecord: (r) => records.push(r) });
    const core = createCore();
    for (const record of records) if (record.index <= lastDurable) core.apply(record.envelope);
    const durableSeq = core.seq;
    expect(acked.length).toBeGreaterThan(MIN_ACKED);
    for (const { result } of acked) for (const event of result.events) expect(event.seq).toBeLessThanOrEqual(durableSeq);

    if (powerLoss) {
      // A page of batch N never reached the disk; batch N+1's did.
      const page = Math.min(point.held.end, point.held.start + 4096) - point.held.start;
      bytes.fill(0, point.held.start + Math.floor(page / 2), point.held.start + page);
      writeFileSync(point.path, bytes);
    }

    server = await startServer(dataDir, socket, 1_000_000);
    client = await HarnessClient.connect(socket);
    if (powerLoss) expect(server.stderr()).toMatch(/torn tail/);
    const replay = new JournalReplay();
    await replay.update(join(dataDir, 'journal'));
    // Whole batches only: both in flight (process crash), or neither (power loss).
    expect(replay.records.length).toBe(powerLoss ? lastDurable : pipelinedIndexes[pipelinedIndexes.length - 1]!);
    const state = (await client.request({ query: 'state', accounts: ALL_ACCOUNTS, symbols: SYMBOLS })).state as {
      seq: number; books: Record<string, BookSnapshot>; balances: Record<string, BalanceView[] | null>;
    };
    expect(state.seq).toBe(replay.core.seq);
    if (powerLoss) expect(state.seq).toBe(durableSeq);
    for (const symbol of SYMBOLS) expect(state.books[symbol]).toEqual(replay.core.book(symbol));
    for (const account of ALL_ACCOUNTS) expect(state.balances[account]).toEqual(replay.core.balances(account) ?? null);
    // Every acknowledged command's events are there exactly as acknowledged.
    for (const { result } of acked) for (const event of result.events) expect(replay.events[event.seq - 1]).toEqual(event);
    // Nothing created or destroyed: each asset's totals still sum to what the surviving journal
    // deposited. That is the set-up deposits, plus the unanswered one when its batch survived.
    const deposited = new Map<string, bigint>();
    for (const text of replay.records) {
      const { command } = (JSON.parse(text) as { envelope: CommandEnvelope }).envelope;
      if (command.type === 'Deposit') deposited.set(command.asset, (deposited.get(command.asset) ?? 0n) + units(command.amount));
    }
    const setUpUsd = units(DEPOSITS.USD!) * BigInt(TRADERS.length);
    expect(powerLoss ? [setUpUsd] : [setUpUsd, setUpUsd + units('1')]).toContain(deposited.get('USD'));
    for (const asset of Object.keys(DEPOSITS)) {
      const totals = ALL_ACCOUNTS.map((a) => state.balances[a]?.find((b) => b.asset === asset)?.total ?? '0');
      expect(totals.reduce((sum, v) => sum + units(v), 0n)).toBe(deposited.get(asset));
    }
    // And it keeps going: a command after the restart is journaled right after what survived.
    const after = await client.request({ command: { type: 'Deposit', accountId: TRADERS[0]!, asset: 'USD', amount: '1' } });
    expect(after.result).toMatchObject({ ok: true });
  } finally {
    client.close();
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

describe('crash between the write and the fdatasync of a pipelined batch', () => {
  it('process crash: both batches in flight are replayed whole, neither was acknowledged', async () => {
    await crashInPipeline(false);
  }, 300_000);

  it('power loss: a page missing from the batch being synced cuts both batches off, every acknowledged command survives', async () => {
    await crashInPipeline(true);
  }, 300_000);
});
