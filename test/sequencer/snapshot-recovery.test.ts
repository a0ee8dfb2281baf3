/**
 * Snapshot-only recovery: once the journal before a snapshot is retired, a restart rebuilds the
 * state from the snapshot file alone, and the replica thread loads that same file (no state is
 * handed to it in a message) and carries on: its next snapshot, taken from the state it loaded,
 * restores the same state again.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDurableSequencer, type DurableSequencer, type DurableSequencerOptions } from '../../server/src/sequencer/durable.js';
import { captureLogs } from '../durability/support/log-capture.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { deposit, LEDGER_ENGINE_MODULE, place } from './ledger-core.js';

const newDir = tempDirs('snapshot-recovery');

async function open(dataDir: string, options: Partial<DurableSequencerOptions> = {}) {
  const logs = captureLogs();
  const bus = await openDurableSequencer({ dataDir, logger: logs.logger, engineModule: LEDGER_ENGINE_MODULE, snapshotsKept: 1, snapshotOnClose: false, ...options });
  return { bus, logs };
}

const balance = (bus: DurableSequencer, account: string) => bus.core.balances(account)?.[0]?.total;
const segmentsOf = (dir: string) => readdirSync(join(dir, 'journal')).filter((n) => n.endsWith('.journal')).map((n) => Number(n.slice(0, 20)));

describe('snapshot-only recovery', () => {
  it('restores from the snapshot with nothing to replay, and the replica continues from the same file', async () => {
    const dir = newDir();
    const first = await open(dir);
    for (let i = 0; i < 40; i++) await first.bus.submit(i % 4 === 0 ? place('a', `o${i}`) : deposit('a', 1));
    expect((await first.bus.snapshotNow())?.index).toBe(40);
    // The next snapshot retires the segment that held records 1..40 (the writer rotated at the first).
    await first.bus.submit(deposit('a', 1));
    expect((await first.bus.snapshotNow())?.index).toBe(41);
    await first.bus.close();
    expect(Math.min(...segmentsOf(dir))).toBeGreaterThan(40);

    const second = await open(dir);
    const restored = second.logs.matching('state restored')[0]!;
    expect(restored.snapshotIndex).toBe(41);
    expect(restored.replayedRecords).toBe(0);
    expect(balance(second.bus, 'a')).toBe('31');
    expect(second.bus.core.seq).toBe(41);

    // The replica loaded the snapshot file itself: it applies new records on top and projects them.
    await second.bus.submit(deposit('a', 5));
    await second.bus.historySynced();
    expect(second.bus.status().historySeq).toBe(42);
    // Its snapshot comes from the state it loaded; restoring it gives the sequencer's state.
    expect((await second.bus.snapshotNow())?.index).toBe(42);
    await second.bus.submit(deposit('a', 1));
    expect((await second.bus.snapshotNow())?.index).toBe(43);
    await second.bus.close();
    expect(Math.min(...segmentsOf(dir))).toBeGreaterThan(42);

    const third = await open(dir);
    expect(third.logs.matching('state restored')[0]!.replayedRecords).toBe(0);
    expect(balance(third.bus, 'a')).toBe('37');
    expect(third.bus.core.seq).toBe(43);
    await third.bus.close();
  });

  it('the replica replays the same journal tail after the snapshot as recovery did', async () => {
    const dir = newDir();
    const first = await open(dir);
    for (let i = 0; i < 10; i++) await first.bus.submit(deposit('a', 1));
    await first.bus.snapshotNow();
    for (let i = 0; i < 15; i++) await first.bus.submit(deposit('a', 2));
    await first.bus.close(); // no snapshot on close: records 11..25 are only in the journal

    const second = await open(dir);
    expect(second.logs.matching('state restored')[0]!).toMatchObject({ snapshotIndex: 10, replayedRecords: 15 });
    await second.bus.submit(deposit('a', 100));
    expect((await second.bus.snapshotNow())?.index).toBe(26);
    await second.bus.close();

    const third = await open(dir);
    expect(third.logs.matching('state restored')[0]!).toMatchObject({ snapshotIndex: 26, replayedRecords: 0 });
    expect(balance(third.bus, 'a')).toBe('140');
    await third.bus.close();
  });
});
