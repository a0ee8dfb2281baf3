/**
 * A journal file layer for the pipelined-commit crash test. Once armed, it holds the next
 * batch's fdatasync (the call is made, the disk is never asked) and prints HELD, lets the
 * pipeline write the batch after it, and as soon as that write is in the file, before its own fdatasync, prints
 *   PIPELINED {"path", "syncedEnd", "held": {start, end}, "pipelined": {start, end}}
 * on stdout and stops there, so the test can SIGKILL the process at exactly that point. (Not a
 * segment's first batch: the writer syncs that one alone.) Byte offsets are in the segment
 * file `path`; `syncedEnd` is where the data a returned fdatasync
 * covered ends (everything after it was written but never synced).
 */
import { nodeFileSystem, type AppendFile, type JournalFileSystem } from '../../../server/src/journal/file-system.js';

interface Span { start: number; end: number }

export class PipelineCrashPoint implements JournalFileSystem {
  private armed = false;

  /** From now on, the next batch sync is held and the batch written after it is the crash point. */
  arm(): void {
    this.armed = true;
  }

  async open(path: string): Promise<AppendFile> {
    const real = await nodeFileSystem.open(path);
    let syncedEnd = 0;
    let writtenEnd = 0;
    /** The batch whose write completed last, if no sync has been called since (the writer syncs a batch right after writing it). */
    let unsyncedBatch: Span | undefined;
    let held: Span | undefined;
    return {
      write: async (data, position) => {
        // Records end with their JSON payload's closing brace; the zero fill is all zeros.
        const records = data.length > 0 && data[data.length - 1] !== 0;
        await real.write(data, position);
        if (!records) {
          unsyncedBatch = undefined;
          return;
        }
        const span = { start: position, end: position + data.length };
        writtenEnd = Math.max(writtenEnd, span.end);
        unsyncedBatch = span;
        if (held && span.start >= held.end) {
          process.stdout.write(`PIPELINED ${JSON.stringify({ path, syncedEnd, held, pipelined: span })}\n`);
          await new Promise(() => undefined); // the batch's fdatasync is never reached
        }
      },
      sync: async () => {
        const covers = writtenEnd;
        const batch = unsyncedBatch;
        unsyncedBatch = undefined;
        if (this.armed && !held && batch && batch.start > 0 && batch.start >= syncedEnd) {
          held = batch;
          process.stdout.write('HELD\n');
          await new Promise(() => undefined); // a disk that never answers this fdatasync
        }
        await real.sync();
        syncedEnd = Math.max(syncedEnd, covers);
      },
      truncate: (size) => real.truncate(size),
      close: () => real.close(),
    };
  }

  syncDirectory(dir: string): Promise<void> {
    return nodeFileSystem.syncDirectory(dir);
  }
}
