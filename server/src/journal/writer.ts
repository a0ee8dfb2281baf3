/**
 * Appends records with a pipelined group commit. Everything appended during one event-loop turn
 * forms a batch, written with one positional write and made durable with one fdatasync. The
 * pipeline keeps up to two batches in flight: while batch N's fdatasync runs, batch N+1 (the
 * records the core applied meanwhile) is already written and its own fdatasync started, so
 * the core never waits for the disk and a batch's wait is about one sync, not two.
 *
 * Order is kept by two rules. Writes are strictly one after another, in append order, so the
 * file order is the core's sequence order. A batch counts as durable once an fdatasync started
 * after its write has returned (an fdatasync covers every write that completed before it began,
 * so N+1's sync also covers N); batches are reported durable strictly in order, whichever sync
 * returns first.
 *
 * Segments are zero-filled ahead of the write position (in the background, a few MiB at a
 * time). A batch then overwrites space the file already has, so its fdatasync need not commit
 * file-system metadata, and on ext4 it is not held up behind other files' dirty data (the
 * history database's, say). Zeros after the last record mark the end of the journal. A new
 * segment is started only once every batch in flight is durable, so at most one file ever
 * holds data that is not.
 *
 * After a failed write or sync the writer is finished: it cuts the file back to the end of the
 * last durable batch (so the commands of the batches in flight do not reappear on replay),
 * reports the failure once and refuses every later append. Recovery is a restart, which replays
 * what is durable.
 */
import { join } from 'node:path';
import type { CommandEnvelope } from '../core/api.js';
import { encodeSegmentHeader } from './format.js';
import { nodeFileSystem, type AppendFile, type JournalFileSystem } from './file-system.js';
import { RecordBatch } from './record-batch.js';
import { segmentFileName } from './segments.js';

export const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Zero-filled space is added in steps of this size (or of the segment size, if smaller). */
const PREALLOCATE_BYTES = 4 * 1024 * 1024;
/**
 * Batches written but not yet known durable, at most. Two lets one batch be written while the
 * previous one syncs; recovery relies on this bound (a crash can tear at most the last two
 * batches, see reader.ts).
 */
export const MAX_BATCHES_IN_FLIGHT = 2;

export interface JournalWriterOptions {
  dir: string;
  /** Index of the next record to append (last durable index + 1). */
  nextIndex: number;
  /** The last segment to keep appending to; `size` is where its records end, `allocated` its file size. */
  continueSegment?: { path: string; size: number; allocated?: number };
  fs?: JournalFileSystem;
  /** A batch that finds the segment at least this large starts a new one. */
  maxSegmentBytes?: number;
  /** Called after each batch is durable, in order, with the index of its last record, the batch's encoded records and how long it took. */
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
  /** When the batch was known durable (its own sync, or a later batch's, returned). */
  syncedAt: number;
}

/** Raised by `append` once the writer has failed or been closed. */
export class JournalClosedError extends Error {
  override readonly name = 'JournalClosedError';
}

interface Waiter { index: number; resolve: () => void; reject: (error: Error) => void }

/** A batch that has been (or is being) written and is not yet known durable. */
interface InFlightBatch {
  lastIndex: number;
  body: Buffer;
  timing: BatchTiming;
  /** Where the batch ends in the current segment. */
  end: number;
  /** The batch starts a segment: it is durable only once the directory entry is too. */
  newSegment: boolean;
}

export class JournalWriter {
  private readonly fs: JournalFileSystem;
  private readonly maxSegmentBytes: number;
  private readonly preallocateBytes: number;
  private file: AppendFile | undefined;
  /** Where the next batch goes: the end of the last record written. */
  private position = 0;
  /** Where the last durable batch ends in the current segment (0 if none of it is durable yet). */
  private durablePosition = 0;
  /** How far the file is zero-filled (its size). */
  private allocated = 0;
  private allocating: Promise<void> | undefined;
  private rotateRequested = false;
  /** The records appended since the last batch was written, already encoded. */
  private batch = new RecordBatch();
  private appendedIndex: number;
  private durable: number;
  /** Batches written or being written, oldest first, not yet reported durable. */
  private inFlight: InFlightBatch[] = [];
  /** A fill was due while a batch was being written; it starts when that write ends. */
  private preallocateAfterWrite = false;
  /** The write (or segment start) under way; writes never overlap. */
  private writing: Promise<void> | undefined;
  /** The highest index covered by a sync that has returned. */
  private synced: number;
  private scheduled = false;
  private failure: Error | undefined;
  private closed = false;
  private waiters: Waiter[] = [];
  /** Woken whenever a write or sync finishes (close() waits on it). */
  private progress: (() => void)[] = [];

  private constructor(private readonly options: JournalWriterOptions) {
    this.fs = options.fs ?? nodeFileSystem;
    this.maxSegmentBytes = options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    this.preallocateBytes = Math.min(PREALLOCATE_BYTES, this.maxSegmentBytes);
    this.appendedIndex = options.nextIndex - 1;
    this.durable = options.nextIndex - 1;
    this.synced = this.durable;
  }

  static async open(options: JournalWriterOptions): Promise<JournalWriter> {
    const writer = new JournalWriter(options);
    const last = options.continueSegment;
    if (last) {
      writer.file = await writer.fs.open(last.path);
      writer.position = last.size;
      writer.durablePosition = last.size;
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
    this.batch.append({ index, envelope });
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

  /** Writes what is queued and waits until it is durable, then closes the file. Appends after this throw. */
  async close(): Promise<void> {
    this.closed = true;
    this.pump();
    while (!this.failure && (this.batch.count > 0 || this.inFlight.length > 0 || this.writing)) {
      await new Promise<void>((resolve) => this.progress.push(resolve));
      this.pump();
    }
    await this.writing;
    await this.allocating?.catch(() => undefined);
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the current I/O phase, so every command that arrived in this
    // event-loop turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts the next write if there is a batch, no write is under way and the pipeline has room. */
  private pump(): void {
    if (this.failure || this.writing || this.batch.count === 0 || this.inFlight.length >= MAX_BATCHES_IN_FLIGHT) return;
    const needsSegment = !this.file || this.rotateRequested || this.position >= this.maxSegmentBytes;
    // A new segment waits until the old one holds nothing in flight (only one file at a time
    // holds data that is not durable), and the batch after it waits until the new file's
    // directory entry is durable (its own sync must not be the one that reports both).
    if ((needsSegment && this.inFlight.length > 0) || this.inFlight.some((batch) => batch.newSegment)) return;
    this.writing = this.writeBatch(needsSegment).finally(() => {
      this.writing = undefined;
      if (this.preallocateAfterWrite && !this.failure) this.preallocate();
      this.wake();
      this.pump();
    });
  }

  private async writeBatch(newSegment: boolean): Promise<void> {
    const records = this.batch;
    this.batch = new RecordBatch(records.byteLength);
    const previous = this.inFlight[this.inFlight.length - 1];
    const firstIndex = (previous?.lastIndex ?? this.durable) + 1;
    const batchLast = firstIndex + records.count - 1;
    const body = records.seal(batchLast);
    const timing: BatchTiming = { records: records.count, bytes: body.length, startedAt: 0, writtenAt: 0, syncedAt: 0 };
    const entry: InFlightBatch = { lastIndex: batchLast, body, timing, end: 0, newSegment };
    this.inFlight.push(entry);
    try {
      if (newSegment) await this.startSegment(firstIndex);
      const data = newSegment ? Buffer.concat([encodeSegmentHeader(firstIndex), body]) : body;
      // Wait for zero-filling only when this batch does not fit in what is already allocated.
      if (this.position + data.length > this.allocated) await this.allocating;
      timing.startedAt = performance.now();
      await this.file!.write(data, this.position);
      timing.writtenAt = performance.now();
      this.position += data.length;
      if (this.position > this.allocated) this.allocated = this.position;
      entry.end = this.position;
    } catch (error) {
      await this.fail(error as Error, false);
      return;
    }
    // A sync of an earlier batch failed while this one was written: fail() cuts it off.
    if (!this.failure) void this.sync(entry);
  }

  /** Syncs everything written so far; on return, every batch up to `entry` is durable. */
  private async sync(entry: InFlightBatch): Promise<void> {
    try {
      await this.file!.sync();
      if (entry.newSegment) await this.fs.syncDirectory(this.options.dir);
    } catch (error) {
      await this.fail(error as Error, true);
      return;
    }
    if (entry.lastIndex > this.synced) this.synced = entry.lastIndex;
    this.release();
    this.wake();
    this.pump();
  }

  /** Reports, oldest first, every batch a returned sync covers. */
  private release(): void {
    // After a failure nothing more is reported: a sync that returns later may not have seen the failed pages.
    while (!this.failure && this.inFlight.length > 0 && this.inFlight[0]!.lastIndex <= this.synced) {
      const batch = this.inFlight.shift()!;
      batch.timing.syncedAt = performance.now();
      this.durable = batch.lastIndex;
      this.durablePosition = batch.end;
      this.releaseWaiters();
      this.preallocate();
      this.options.onDurable?.(batch.lastIndex, batch.body, batch.timing);
    }
  }

  private wake(): void {
    const waiting = this.progress;
    this.progress = [];
    for (const resolve of waiting) resolve();
  }

  /**
   * Keeps at least half a step of zero-filled space ahead of the writer, filling in the background.
   * Never while a batch is being written: that batch may reach past `allocated` (the batches extend
   * the file themselves when the fill lags), and a fill from the old `allocated` landing after it
   * would zero records already written. The fill then starts when that write ends.
   */
  private preallocate(): void {
    if (this.writing) {
      this.preallocateAfterWrite = true;
      return;
    }
    this.preallocateAfterWrite = false;
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
    this.durablePosition = 0;
    this.allocated = 0;
  }

  /** `writeUnderWay`: called from a failed sync, while the next batch may still be being written. */
  private async fail(error: Error, writeUnderWay: boolean): Promise<void> {
    if (this.failure) return;
    this.failure = error;
    this.batch = new RecordBatch();
    this.inFlight = [];
    try {
      // Undo every batch that is not durable, so a restart does not replay commands whose
      // submitters were told they failed. Cutting the file needs no free space. A write still
      // under way (the batch after a failed sync) finishes first, so it cannot land after the cut.
      if (writeUnderWay) await this.writing?.catch(() => undefined);
      await this.allocating;
      await this.file?.truncate(this.durablePosition);
      await this.file?.sync();
    } catch {
      // The original error is the one worth reporting; recovery still cuts a torn tail.
    }
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters = [];
    this.options.onFailure?.(error);
    this.wake();
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
