/**
 * Upgrade of the FIX session store: sessions stored under their SenderCompID alone move to
 * (account, SenderCompID) at start-up when the owner is unambiguous, and keep their sequence
 * numbers, messages for resend and owned orders; anything ambiguous stays where it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../server/src/gateway/fix/codec.js';
import { migrateLegacySessionKeys } from '../../../server/src/gateway/fix/session-key-migration.js';
import type { FixStoreBatch } from '../../../server/src/gateway/fix/session-backend.js';
import { SqliteFixSessionBackend } from '../../../server/src/gateway/fix/sqlite-session-backend.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { EXCH, FixClient, startVenue, type TestVenue } from './harness.js';

const legacy = (sender: string): string => `FIX.4.4:${EXCH}->${sender}`;

/** An ExecutionReport as the gateway stored it for resend. */
function storedReport(sender: string, seq: number, account: string): string {
  return encodeMessage('FIX.4.4', [
    [35, '8'], [49, EXCH], [56, sender], [34, String(seq)], [52, formatUtcTimestamp(Date.now())],
    [37, `O${seq}`], [11, `C${seq}`], [17, `E${seq}`], [150, '0'], [39, '0'], [1, account], [55, 'BTC-USD'], [54, '1'],
    [38, '1'], [44, '100'], [151, '1'], [14, '0'], [6, '0'],
  ]);
}

/** One commit to the SQLite session store, as the acceptor's group commit writes it. */
function save(store: SqliteFixSessionBackend, batch: Partial<FixStoreBatch>): void {
  store.write({ resets: [], messages: [], seqs: [], owners: [], ...batch });
}

/** Writes a session under its pre-upgrade key: sequence numbers, two stored reports, one owned order. */
function seedLegacy(store: SqliteFixSessionBackend, sender: string, accounts: [string, string], seqs = { nextSender: 3, nextTarget: 5 }): void {
  save(store, {
    seqs: [[legacy(sender), seqs]],
    messages: [[legacy(sender), 1, storedReport(sender, 1, accounts[0])], [legacy(sender), 2, storedReport(sender, 2, accounts[1])]],
    owners: [[`order-of-${sender}`, legacy(sender)]],
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempStore(): { store: SqliteFixSessionBackend; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fix-migration-'));
  dirs.push(dir);
  return { store: new SqliteFixSessionBackend(join(dir, 'fix-sessions.sqlite')), dir };
}

describe('migrateLegacySessionKeys', () => {
  const owners: Record<string, string> = { LEG: 'acc-a', TAKEN: 'acc-a', DONE: 'acc-a' };
  const ownerOf = async (sender: string): Promise<string | undefined> => {
    if (sender === 'FAIL') throw new Error('key store unreachable');
    return owners[sender];
  };

  it('moves a session to the account that owns its SenderCompID, with its sequence numbers, messages and orders', async () => {
    const { store } = tempStore();
    seedLegacy(store, 'LEG', ['acc-a', 'acc-a'], { nextSender: 7, nextTarget: 11 });
    const before = store.messages(legacy('LEG'), 1, 2);

    const result = await migrateLegacySessionKeys(store, EXCH, ownerOf);

    const to = `${legacy('LEG')}|acc-a`;
    expect(result).toEqual({ migrated: [{ from: legacy('LEG'), to }], kept: [] });
    expect(store.load(to)).toEqual({ nextSender: 7, nextTarget: 11 });
    expect(store.messages(to, 1, 2)).toEqual(before);
    expect(store.orderOwner('order-of-LEG')).toBe(to);
    expect(store.sessionKeys()).toEqual([to]);
    // Run again (the next start): nothing left to move.
    expect(await migrateLegacySessionKeys(store, EXCH, ownerOf)).toEqual({ migrated: [], kept: [] });
    store.close();
  });

  it('leaves a session whose owner is unknown, whose messages name another account, or that was already moved', async () => {
    const { store } = tempStore();
    seedLegacy(store, 'NOBODY', ['acc-a', 'acc-a']);
    seedLegacy(store, 'TAKEN', ['acc-a', 'acc-b']); // served two accounts: handing it to either would leak the other's reports
    seedLegacy(store, 'DONE', ['acc-a', 'acc-a']);
    save(store, { seqs: [[`${legacy('DONE')}|acc-a`, { nextSender: 2, nextTarget: 2 }]] });
    seedLegacy(store, 'FAIL', ['acc-a', 'acc-a']);
    save(store, { seqs: [[`FIX.4.4:ELSEWHERE->LEG`, { nextSender: 9, nextTarget: 9 }]] }); // another CompID of ours: not this acceptor's
    const keysBefore = store.sessionKeys();

    const result = await migrateLegacySessionKeys(store, EXCH, ownerOf);

    expect(result.migrated).toEqual([]);
    expect(result.kept.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: legacy('DONE'), reason: 'already-migrated' },
      { key: legacy('FAIL'), reason: 'owner-lookup-failed' },
      { key: legacy('NOBODY'), reason: 'no-owner' },
      { key: legacy('TAKEN'), reason: 'other-accounts' },
    ]);
    expect(store.sessionKeys()).toEqual(keysBefore);
    expect(store.load(`${legacy('DONE')}|acc-a`)).toEqual({ nextSender: 2, nextTarget: 2 });
    expect(store.load(legacy('TAKEN'))).toEqual({ nextSender: 3, nextTarget: 5 });
    store.close();
  });
});

describe('an upgraded gateway', () => {
  let venue: TestVenue | undefined;
  afterEach(async () => {
    await venue?.close();
    venue = undefined;
  });

  it('continues a pre-upgrade session over TCP: its sequence numbers and its resend survive', async () => {
    const { store, dir } = tempStore();
    seedLegacy(store, 'LEG', ['acc-1', 'acc-1'], { nextSender: 3, nextTarget: 5 });
    store.close();

    venue = await startVenue({ clients: { LEG: 'acc-1' }, dataDir: dir });
    const client = await FixClient.connect(venue.acceptor.port, 'LEG');
    client.logon(venue.keys.LEG!, { seq: 5 });
    client.seq = 6;
    const logon = await client.next();
    expect([logon.msgType, logon.get(34)]).toEqual(['A', '3']);

    client.send('2', [[7, '1'], [16, '2']]);
    const resent = [await client.next(), await client.next()];
    expect(resent.map((m) => [m.msgType, m.get(34), m.get(43), m.get(1), m.get(11)])).toEqual([
      ['8', '1', 'Y', 'acc-1', 'C1'],
      ['8', '2', 'Y', 'acc-1', 'C2'],
    ]);
    client.close();
  });
});
