import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../server/src/snapshot/format.js';
import { SnapshotStore } from '../../server/src/snapshot/store.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-store-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const snapshotAt = (index: number, seq = index * 2) => encodeSnapshot({ index, seq, takenAt: 0 }, { version: 1, seq, state: { index } });

describe('SnapshotStore', () => {
  it('keeps the newest few and answers the oldest kept, whose journal records must stay', async () => {
    const store = new SnapshotStore(tempDir(), silent, 2);
    await store.init();
    expect(await store.write(10, snapshotAt(10))).toBe(10);
    expect(await store.write(20, snapshotAt(20))).toBe(10);
    expect(await store.write(30, snapshotAt(30))).toBe(20);
    expect((await store.list()).map((f) => f.index)).toEqual([30, 20]);
  });

  it('loads the newest valid snapshot, skipping a damaged one for an older one', async () => {
    const dir = tempDir();
    const store = new SnapshotStore(dir, silent);
    await store.init();
    await store.write(10, snapshotAt(10));
    await store.write(20, snapshotAt(20));
    const newest = (await store.list())[0]!.path;
    const bytes = readFileSync(newest);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
    writeFileSync(newest, bytes);
    const loaded = await store.loadLatest();
    expect(loaded?.snapshot.index).toBe(10);
  });

  it('prefers a snapshot at or below a given sequence, else the newest', async () => {
    const store = new SnapshotStore(tempDir(), silent);
    await store.init();
    await store.write(10, snapshotAt(10, 100));
    await store.write(20, snapshotAt(20, 200));
    expect((await store.loadLatest(150))?.snapshot.seq).toBe(100);
    expect((await store.loadLatest(50))?.snapshot.seq).toBe(200);
    expect((await store.loadLatest())?.snapshot.seq).toBe(200);
  });

  it('refuses a file whose name and contents disagree on the record it covers', async () => {
    const dir = tempDir();
    const store = new SnapshotStore(dir, silent);
    await store.init();
    writeFileSync(join(dir, `${String(7).padStart(20, '0')}.snapshot`), snapshotAt(8));
    const [file] = await store.list();
    expect(await store.read(file!)).toEqual({ ok: false, reason: 'file name says record 7, contents say 8' });
    expect(await store.loadLatest()).toBeUndefined();
  });

  it('removes the temporary files a crash left behind, and never lists them', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, `${String(5).padStart(20, '0')}.snapshot.tmp`), 'half written');
    const store = new SnapshotStore(dir, silent);
    expect(await store.list()).toEqual([]);
    await store.init();
    expect(readdirSync(dir)).toEqual([]);
  });
});
