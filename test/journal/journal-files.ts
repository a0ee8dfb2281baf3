/** Helpers for journal tests: write records through the real writer, and a file layer that can fail on demand. */
import type { CommandEnvelope } from '../../server/src/core/api.js';
import { nodeFileSystem, type AppendFile, type JournalFileSystem } from '../../server/src/journal/file-system.js';
import { JournalWriter, type JournalWriterOptions } from '../../server/src/journal/writer.js';

export function envelope(i: number): CommandEnvelope {
  return { ts: 1_700_000_000_000 + i, command: { type: 'Deposit', accountId: `acct-${i % 7}`, asset: 'USD', amount: `${i}.5` } };
}

/** Where a segment's data ends and its zero fill begins. */
export function dataEnd(bytes: Buffer): number {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}

/** Appends `count` records in batches of `perTurn` (each batch appended in one turn and awaited), and waits until all are durable. */
export async function writeRecords(dir: string, count: number, options: Partial<JournalWriterOptions> = {}, perTurn = 10): Promise<JournalWriter> {
  const writer = await JournalWriter.open({ dir, nextIndex: 1, ...options });
  let last = 0;
  for (let i = 1; i <= count; i++) {
    last = writer.append(envelope(i));
    if (i % perTurn === 0) await writer.whenDurable(last);
  }
  await writer.whenDurable(last);
  return writer;
}

/** Counts syncs, can hold syncs back, fails writes once `failAfterWrites` successful writes have happened, and fails syncs with `syncError`. */
export class FaultyFileSystem implements JournalFileSystem {
  private gate: Promise<void> | undefined;
  writes = 0;
  /** Writes that carried records (not the zero fill written ahead of them). */
  recordWrites = 0;
  syncs = 0;
  truncatedTo: number[] = [];
  failAfterWrites = Number.POSITIVE_INFINITY;
  /** Bytes of a failing write that still reach the file before the error, as a full disk does. */
  partialBytes = 0;
  errorCode = 'ENOSPC';
  /** When set, syncs fail with it (after any hold), as fdatasync does on an I/O error. */
  syncError: Error | undefined;
  /** Writes that began while another write of an overlapping range was still under way. */
  overlaps: { running: [number, number]; started: [number, number] }[] = [];
  private recordWriteGate: Promise<void> | undefined;
  private readonly running = new Set<[number, number]>();

  async open(path: string): Promise<AppendFile> {
    const real = await nodeFileSystem.open(path);
    return {
      write: async (data, position) => {
        if (this.writes >= this.failAfterWrites) {
          if (this.partialBytes > 0) await real.write(data.subarray(0, this.partialBytes), position);
          throw Object.assign(new Error(`${this.errorCode}: injected write failure`), { code: this.errorCode });
        }
        this.writes++;
        const range: [number, number] = [position, position + data.length];
        for (const other of this.running) if (other[0] < range[1] && range[0] < other[1]) this.overlaps.push({ running: other, started: range });
        this.running.add(range);
        try {
          if (data.some((byte) => byte !== 0)) {
            this.recordWrites++;
            await this.recordWriteGate;
          }
          await real.write(data, position);
        } finally {
          this.running.delete(range);
        }
      },
      sync: async () => {
        await this.gate;
        if (this.syncError) throw this.syncError;
        this.syncs++;
        await real.sync();
      },
      truncate: async (size) => {
        this.truncatedTo.push(size);
        await real.truncate(size);
      },
      close: () => real.close(),
    };
  }

  /** Syncs wait until the returned function is called (a slow disk, frozen at will). */
  holdSyncs(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** Writes that carry records wait until the returned function is called (the zero fill does not). */
  holdRecordWrites(): () => void {
    let release!: () => void;
    this.recordWriteGate = new Promise((resolve) => (release = resolve));
    return () => {
      this.recordWriteGate = undefined;
      release();
    };
  }

  syncDirectory(dir: string): Promise<void> {
    return nodeFileSystem.syncDirectory(dir);
  }
}
