/**
 * Appends records with group commit: everything appended during one event-loop turn (and
 * everything appended while the previous batch was being synced) goes out as one write and
 * one fdatasync. Batches are written strictly one after another, so the file order is the
 * append order, which is the core's sequence order.
 *
 * Segments are zero-filled ahead of the write position (in the background, a few MiB at a
 * time). A batch then overwrites space the file already has, so its fdatasync need not commit
 * file-system metadata, and on ext4 it is not held up behind other files' dirty data (the
 * history database's, say). Zeros after the last record mark the end of the journal.
 *
 * After a failed write the writer is finished: it tries to undo the failed batch (so its
 * commands do not reappear on replay), reports the failure once and refuses every later
 * append. Recovery is a restart, which replays what is durable.
 */
import { join } from 'node:path';
import type { CommandEnvelope } from '../core/api.js';
import { encodeSegmentHeader, encodeUnsealedRecord, sealRecord, SEGMENT_HEADER_BYTES } from './format.js';
import { nodeFileSystem, type AppendFile, type JournalFileSystem } from './file-system.js';
import { segmentFileName } from './segments.js';

export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Zero-filled space is added in steps of this size (or of the segment size, if smaller). */
const PREALLOCATE_BYTES = 4 * 1024 * 1024;

export interface JournalWriterOptions {
  dir: string;
  /** Index of the next record to append (last durable index + 1). */
  nextIndex: number;
  /** The last segment to keep appending to; `size` is where its records end, `allocated` its file size. */
  continueSegment?: { path: string; size: number; allocated?: number };
  fs?: JournalFileSystem;
  /** A batch that finds the segment at least this large starts a new one. */
  maxSegmentBytes?: number;
  /** Called after each batch is durable, with the index of its last record, the batch's encoded records and how long it took. */
  onDurable?: (lastIndex: number, records: Buffer, timing: BatchTiming) => void;
  /** Called once, when a write or sync fails; no later batch is written. */
  onFailure?: (error: Error) => void;
}

/** One group-commit batch: its size and when its write and sync ran (`performance.now()` ms). */
export interface BatchTiming {
  records: number;
  bytes: number;
  startedAt: number;
  writtenAt: number;
  syncedAt: number;
}

/** Raised by `append` once the writer has failed or been closed. */
export class JournalClosedError extends Error {
  override readonly name = 'JournalClosedError';
}

interface Waiter { index: number; resolve: () => void; reject: (error: Error) => void }

export class JournalWriter {
  private readonly fs: JournalFileSystem;
  private readonly maxSegmentBytes: number;
  private readonly preallocateBytes: number;
  private file: AppendFile | undefined;
  /** Where the next batch goes: the end of the last record. */
  private position = 0;
  /** How far the file is zero-filled (its size). */
  private allocated = 0;
  private allocating: Promise<void> | undefined;
  private rotateRequested = false;
  private batch: Buffer[] = [];
  private appendedIndex: number;
  private durable: number;
  private scheduled = false;
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private waiters: Waiter[] = [];

  private constructor(private readonly options: JournalWriterOptions) {
    this.fs = options.fs ?? nodeFileSystem;
    this.maxSegmentBytes = options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    this.preallocateBytes = Math.min(PREALLOCATE_BYTES, this.maxSegmentBytes);
    this.appendedIndex = options.nextIndex - 1;
    this.durable = options.nextIndex - 1;
  }

  static async open(options: JournalWriterOptions): Promise<JournalWriter> {
    const writer = new JournalWriter(options);
    const last = options.continueSegment;
    if (last) {
      writer.file = await writer.fs.open(last.path);
      writer.position = last.size;
      writer.allocated = Math.max(last.size, last.allocated ?? last.size);
    }
    return writer;
  }

  /** Index of the last record appended (durable or not). */
  get lastIndex(): number {
    return this.appendedIndex;
  }

  /** Index of the last record known to be on disk. */
  get durableIndex(): number {
    return this.durable;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Queues one record for the next batch and returns its index. Throws once the writer has failed or closed. */
  append(envelope: CommandEnvelope): number {
    if (this.failure) throw new JournalClosedError(`journal failed: ${this.failure.message}`);
    if (this.closed) throw new JournalClosedError('journal is closed');
    const index = this.appendedIndex + 1;
    this.batch.push(encodeUnsealedRecord({ index, envelope }));
    this.appendedIndex = index;
    this.schedule();
    return index;
  }

  /** Resolves once the record at `index` is durable; rejects if the journal fails first. */
  whenDurable(index: number): Promise<void> {
    if (index <= this.durable) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }

  /** The next batch starts a new segment (after a snapshot, so older segments can be retired). */
  rotate(): void {
    this.rotateRequested = true;
  }

  /** Writes what is queued, then closes the file. Appends after this throw. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight || (this.batch.length > 0 && !this.failure)) {
      await (this.inFlight ?? this.flush());
    }
    await this.allocating?.catch(() => undefined);
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // setImmediate runs after the current I/O phase, so every command that arrived in this
    // event-loop turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      if (!this.inFlight) void this.flush();
    });
  }

  private flush(): Promise<void> {
    const run = async (): Promise<void> => {
      // Records appended while a batch was being synced form the next batch at once.
      while (this.batch.length > 0 && !this.failure) await this.writeBatch();
    };
    this.inFlight = run().finally(() => {
      this.inFlight = undefined;
      if (this.batch.length > 0 && !this.failure) this.schedule();
    });
    return this.inFlight;
  }

  private async writeBatch(): Promise<void> {
    const records = this.batch;
    this.batch = [];
    const firstIndex = this.durable + 1;
    const batchLast = this.durable + records.length;
    for (const record of records) sealRecord(record, batchLast);
    const body = records.length === 1 ? records[0]! : Buffer.concat(records);
    let newSegment = false;
    const restoreTo = this.position;
    const timing: BatchTiming = { records: records.length, bytes: body.length, startedAt: 0, writtenAt: 0, syncedAt: 0 };
    try {
      if (!this.file || this.rotateRequested || this.position >= this.maxSegmentBytes) {
        await this.startSegment(firstIndex);
        newSegment = true;
      }
      const data = newSegment ? Buffer.concat([encodeSegmentHeader(firstIndex), body]) : body;
      // Wait for zero-filling only when this batch does not fit in what is already allocated.
      if (this.position + data.length > this.allocated) await this.allocating;
      timing.startedAt = performance.now();
      await this.file!.write(data, this.position);
      timing.writtenAt = performance.now();
      await this.file!.sync();
      if (newSegment) await this.fs.syncDirectory(this.options.dir);
      timing.syncedAt = performance.now();
      this.position += data.length;
      if (this.position > this.allocated) this.allocated = this.position;
    } catch (error) {
      await this.fail(error as Error, newSegment ? 0 : restoreTo);
      return;
    }
    this.durable = batchLast;
    this.releaseWaiters();
    this.preallocate();
    this.options.onDurable?.(batchLast, body, timing);
  }

  /** Keeps at least half a step of zero-filled space ahead of the writer, filling in the background. */
  private preallocate(): void {
    if (this.allocating || this.allocated - this.position >= this.preallocateBytes / 2 || this.allocated >= this.maxSegmentBytes) return;
    const file = this.file!;
    const from = this.allocated;
    const bytes = Math.min(this.preallocateBytes, this.maxSegmentBytes - from);
    this.allocating = (async () => {
      await file.write(Buffer.alloc(bytes), from);
      await file.sync();
      if (this.file === file) this.allocated = Math.max(this.allocated, from + bytes);
    })()
      .catch(() => {
        // Not fatal: the batch writes extend the file themselves; a real disk problem shows up there.
      })
      .finally(() => {
        this.allocating = undefined;
      });
  }

  private async startSegment(firstIndex: number): Promise<void> {
    const previous = this.file;
    await this.allocating;
    this.file = undefined;
    this.rotateRequested = false;
    // The previous segment was synced with its last batch; closing it only releases the descriptor.
    await previous?.close();
    this.file = await this.fs.open(join(this.options.dir, segmentFileName(firstIndex)));
    this.position = 0;
    this.allocated = 0;
  }

  private async fail(error: Error, restoreTo: number): Promise<void> {
    this.failure = error;
    this.batch = [];
    try {
      // Undo whatever part of the failed batch reached the file, so a restart does not replay
      // commands whose submitters were told they failed. Cutting the file needs no free space.
      await this.allocating;
      await this.file?.truncate(restoreTo);
      await this.file?.sync();
    } catch {
      // The original error is the one worth reporting; recovery still cuts a torn tail.
    }
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters = [];
    this.options.onFailure?.(error);
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const remaining: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.index <= this.durable) waiter.resolve();
      else remaining.push(waiter);
    }
    this.waiters = remaining;
  }
}
