/**
 * FIX session state in an append-only file (`fix-sessions.log` in the data directory): the
 * default for the embedded mode. Each group commit is one record, written with one positional
 * write and, unless `synchronous` is NORMAL, made durable by one fdatasync before the commit
 * completes. The write is made on the caller's thread (a record is kilobytes, copied into the page
 * cache over space the file already has), as the journal's batch write is: one trip through the
 * thread pool per commit instead of two. The fdatasync runs off the event loop, so the sessions
 * keep working while the disk syncs.
 *
 * Commits are pipelined as the journal's are (journal/writer.ts): the store may hand over the
 * next batch while one is in flight (`writesInFlight`), and its record is written while the
 * previous record's fdatasync runs, then synced itself. Writes never overlap and follow the call
 * order, so the file order is the commit order. A batch is durable once an fdatasync started
 * after its write has returned (that covers every earlier write too), and writes resolve strictly
 * in call order, whichever sync returns first. When a write or sync fails, the file is cut back
 * to the end of the last durable record and every write not yet resolved fails with it (the
 * store writes them again, in order).
 *
 * With fdatasync on, the file is zero-filled ahead of the next record (in the background, 1 MiB
 * at a time), as the journal's segments are: a record then overwrites space the file already has,
 * so its fdatasync commits data only, not the file's new size (on ext4 the size change is a
 * journal commit, and the commit's tail under load). Zeros where a record's length should be end
 * the log; at open the file is cut back to its last whole record and filled again.
 *
 * The index (every session's sequence numbers, where each sent message lies in the file, each
 * order's owner) is rebuilt from the records when the file is opened. A record is
 * `u32 payload length | u32 CRC-32 of the payload | payload`; a torn or corrupt record at the
 * end (a crash during a write) ends the log, and the file is cut back to the last whole record,
 * which is exactly what was committed. The payload holds the batch in the order it applies:
 *
 *   'R' key                              a reset: the session's messages are dropped, numbers 1/1
 *   'M' key u32 seq u32 length raw       a sent message (raw bytes as latin1)
 *   'S' key u32 nextSender u32 nextTarget
 *   'O' orderId key                      an order's owning session
 *
 * where a key or order id is `u16 length` and UTF-8 bytes. Messages are read back from the file
 * for a resend; they are not held in memory. Nothing is ever rewritten in place: a reset leaves
 * the session's old messages in the file, unreferenced (`deadBytes` counts them), and at open a
 * file that is more dead than live is compacted into a new one, renamed over the old.
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from '../../checksum/crc32.js';
import type { FixSessionBackend, FixStoreBatch, SequenceNumbers, StoredMessage } from './session-backend.js';

/** The first bytes of the file: its format and version. */
const MAGIC = Buffer.from('FIXSLOG1', 'latin1');
const RECORD_HEADER = 8;
/** Larger than any batch could reasonably be; a length beyond it is corruption. */
const MAX_RECORD = 1 << 30;
const READ_CHUNK = 4 << 20;
const PREALLOCATE_BYTES = 1 << 20;

const RESET = 0x52; // R
const MESSAGE = 0x4d; // M
const SEQS = 0x53; // S
const OWNER = 0x4f; // O

const writeInPool = promisify(fs.write);
const fdatasyncInPool = promisify(fs.fdatasync);

interface Located {
  /** Where the message's raw bytes start in the file, and how many there are. */
  offset: number;
  length: number;
}

export interface FileSessionBackendOptions {
  /** FULL (default): each commit survives power loss (fdatasync). NORMAL: it survives a crash of the process only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** At open, compact when the unreferenced bytes are more than this and more than the live ones (default 64 MiB). */
  compactAboveBytes?: number;
  /** The commits' write and fdatasync (tests count, hold or fail them here); node:fs by default. */
  io?: SessionFileIo;
  /** Zero-filled space kept ahead of the records (default 1 MiB with fdatasync on, none with NORMAL). */
  preallocateBytes?: number;
}

/** The two calls a commit makes on the file descriptor, as node:fs has them: the write synchronous, the sync with a callback. */
export interface SessionFileIo {
  writeSync(fd: number, data: Buffer, offset: number, length: number, position: number): number;
  fdatasync(fd: number, done: (error: Error | null) => void): void;
}

const nodeIo: SessionFileIo = {
  writeSync: (fd, data, offset, length, position) => fs.writeSync(fd, data, offset, length, position),
  fdatasync: (fd, done) => fs.fdatasync(fd, done),
};

/** A batch handed to `write` and not yet resolved or rejected. */
interface Commit {
  batch: FixStoreBatch;
  record: Buffer;
  /** Where each message's raw bytes start in the record. */
  messageOffsets: number[];
  /** Where the record starts and ends in the file, once it is written. */
  at: number;
  end: number;
  written: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class FileFixSessionBackend implements FixSessionBackend {
  /** A second batch may be written while the first one syncs (see the top of the file). */
  readonly writesInFlight = 2;
  readonly #path: string;
  readonly #sync: boolean;
  readonly #io: SessionFileIo;
  #fd: number;
  /** The file's length up to the end of its last durable record. */
  #size: number;
  /** Where the next record goes: the end of the last one written (durable or not). */
  #position: number;
  /** How far a returned fdatasync covers the file. */
  #syncedTo: number;
  /** Commits in call order; the written ones come first. */
  #commits: Commit[] = [];
  /** Bumped by each failure: what a write or sync of an earlier epoch reports afterwards is stale. */
  #epoch = 0;
  /** The cut-back after a failure; no write starts until it is done. */
  #failing: Promise<void> | undefined;
  readonly #preallocateBytes: number;
  /** The file's size: records, then zeros up to here. */
  #allocated: number;
  /** A zero fill under way (from the old `#allocated`); a record that does not fit below it waits for it. */
  #allocating: Promise<void> | undefined;
  readonly #seqs = new Map<string, SequenceNumbers>();
  readonly #messages = new Map<string, Map<number, Located>>();
  readonly #owners = new Map<string, string>();
  #liveBytes = 0;
  #deadBytes = 0;
  #closed = false;

  constructor(path: string, options: FileSessionBackendOptions = {}) {
    this.#path = path;
    this.#sync = (options.synchronous ?? 'FULL') === 'FULL';
    this.#io = options.io ?? nodeIo;
    this.#preallocateBytes = options.preallocateBytes ?? (this.#sync ? PREALLOCATE_BYTES : 0);
    const created = !fs.existsSync(path);
    this.#fd = fs.openSync(path, created ? 'w+' : 'r+', 0o644);
    if (created) {
      fs.writeSync(this.#fd, MAGIC, 0, MAGIC.length, 0);
      fs.fsyncSync(this.#fd);
      syncDirectory(dirname(path));
    }
    this.#size = this.#rebuild();
    const limit = options.compactAboveBytes ?? 64 << 20;
    if (this.#deadBytes > limit && this.#deadBytes > this.#liveBytes) this.#compact();
    this.#position = this.#size;
    this.#syncedTo = this.#size;
    this.#allocated = this.#size;
    this.#preallocate();
  }

  /** Bytes of sent messages no longer reachable (their session was reset since). */
  get deadBytes(): number {
    return this.#deadBytes;
  }

  /** The file's length: the end of its last whole record. */
  get size(): number {
    return this.#size;
  }

  loadAll(): Map<string, SequenceNumbers> {
    return new Map([...this.#seqs].map(([key, s]) => [key, { ...s }]));
  }

  load(key: string): SequenceNumbers | undefined {
    const s = this.#seqs.get(key);
    return s && { ...s };
  }

  messages(key: string, begin: number, end: number): StoredMessage[] {
    const located = this.#messages.get(key);
    if (!located || located.size === 0) return [];
    const wanted: Array<[number, Located]> = [];
    // Walk whichever is smaller: the range or the session's messages.
    if (end - begin < located.size) {
      for (let seq = begin; seq <= end; seq++) {
        const at = located.get(seq);
        if (at) wanted.push([seq, at]);
      }
    } else {
      for (const [seq, at] of located) if (seq >= begin && seq <= end) wanted.push([seq, at]);
      wanted.sort((a, b) => a[0] - b[0]);
    }
    return wanted.map(([seq, at]) => ({ seq, raw: this.#read(at).toString('latin1') }));
  }

  orderOwner(orderId: string): string | undefined {
    return this.#owners.get(orderId);
  }

  /**
   * One record, one write, one fdatasync; the index takes the batch once it is durable. May be
   * called again before the last call has resolved: the records follow in call order.
   */
  write(batch: FixStoreBatch): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('FIX session file is closed'));
    const messageOffsets: number[] = [];
    const record = encodeRecord(batch, messageOffsets);
    return new Promise<void>((resolve, reject) => {
      this.#commits.push({ batch, record, messageOffsets, at: 0, end: 0, written: false, resolve, reject });
      this.#pump();
    });
  }

  /**
   * Writes the commits not yet written, in call order, each followed by its own fdatasync, unless a
   * cut-back is under way.
   */
  #pump(): void {
    for (;;) {
      if (this.#failing || this.#closed) return;
      const commit = this.#commits.find((c) => !c.written);
      if (!commit) return;
      // A fill under way starts at the old end of the file: a record reaching past it waits, or the zeros could land on it.
      if (this.#allocating && this.#position + commit.record.length > this.#allocated) return;
      const epoch = this.#epoch;
      commit.at = this.#position;
      commit.end = commit.at + commit.record.length;
      try {
        writeAll(this.#io, this.#fd, commit.record, commit.at);
      } catch (error) {
        this.#fail(error, epoch);
        return;
      }
      this.#position = commit.end;
      if (this.#position > this.#allocated) this.#allocated = this.#position;
      commit.written = true;
      if (this.#sync) this.#syncWritten(commit.end, epoch);
      else this.#durableTo(commit.end);
    }
  }

  /** Syncs what is written so far; when the sync returns, the file is durable up to `end`. */
  #syncWritten(end: number, epoch: number): void {
    this.#io.fdatasync(this.#fd, (error) => {
      if (epoch !== this.#epoch) return;
      if (error) this.#fail(error, epoch);
      else this.#durableTo(end);
    });
  }

  /** Resolves, oldest first, every written commit that a returned sync covers. */
  #durableTo(end: number): void {
    if (end > this.#syncedTo) this.#syncedTo = end;
    while (this.#commits.length > 0 && this.#commits[0]!.written && this.#commits[0]!.end <= this.#syncedTo) {
      const commit = this.#commits.shift()!;
      this.#size = commit.end;
      this.#index(commit.batch, commit.messageOffsets, commit.at);
      commit.resolve();
    }
    this.#preallocate();
  }

  /**
   * Keeps at least half a step of zeros ahead of the records, filled and synced in the background
   * from `#allocated` on; a record that would reach past that point waits for the fill (#pump).
   */
  #preallocate(): void {
    if (this.#preallocateBytes === 0 || this.#allocating || this.#failing || this.#closed) return;
    if (this.#allocated - this.#position >= this.#preallocateBytes / 2) return;
    const fd = this.#fd;
    const from = this.#allocated;
    const bytes = this.#preallocateBytes;
    this.#allocating = (async () => {
      await fillZeros(fd, from, bytes);
      await fdatasyncInPool(fd);
      if (fd === this.#fd && !this.#closed) this.#allocated = Math.max(this.#allocated, from + bytes);
    })()
      .catch(() => {
        // Not fatal: records extend the file themselves; a real disk problem shows in their writes.
      })
      .finally(() => {
        this.#allocating = undefined;
        this.#pump();
      });
  }

  /**
   * Nothing of a failed commit, nor of any written after it, may stay behind for a later record to
   * follow: once the write under way has ended, the file is cut back to its last durable record and
   * every unresolved commit fails. The store writes them all again, in order.
   */
  #fail(error: unknown, epoch: number): void {
    if (epoch !== this.#epoch) return;
    this.#epoch++;
    const failed = this.#commits;
    this.#commits = [];
    this.#failing = (async () => {
      await this.#allocating;
      this.#position = this.#size;
      this.#syncedTo = this.#size;
      this.#allocated = this.#size;
      try {
        if (!this.#closed) fs.ftruncateSync(this.#fd, this.#size);
      } catch {
        // The next write goes to the same offset anyway and the reader stops at the first bad record.
      }
      for (const commit of failed) commit.reject(error);
    })().finally(() => {
      this.#failing = undefined;
      this.#pump();
    });
  }

  /**
   * Takes a batch just written at file offset `at` into the index: what #apply would read back
   * from its record, in the same order, taken from the batch itself (nothing just encoded is decoded again).
   */
  #index(batch: FixStoreBatch, messageOffsets: readonly number[], at: number): void {
    for (const key of batch.resets) this.#reset(key);
    for (let i = 0; i < batch.messages.length; i++) {
      const [key, seq, raw] = batch.messages[i]!;
      this.#located(key, seq, { offset: at + messageOffsets[i]!, length: raw.length });
    }
    for (const [key, s] of batch.seqs) this.#seqs.set(key, { nextSender: s.nextSender, nextTarget: s.nextTarget });
    for (const [orderId, key] of batch.owners) this.#owners.set(orderId, key);
  }

  /**
   * Commits not yet resolved fail (the store closes the file only once none is left). A zero fill
   * under way ends first: its descriptor must not be closed (and perhaps reused) under it.
   */
  close(): void | Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#epoch++;
    const left = this.#commits;
    this.#commits = [];
    for (const commit of left) commit.reject(new Error('FIX session file is closed'));
    const fd = this.#fd;
    if (!this.#allocating) return fs.closeSync(fd);
    return this.#allocating.then(() => fs.closeSync(fd));
  }

  /** Reads every whole record into the index; cuts off a torn or corrupt tail. Returns the good length. */
  #rebuild(): number {
    const fileSize = fs.fstatSync(this.#fd).size;
    const magic = Buffer.alloc(MAGIC.length);
    if (fs.readSync(this.#fd, magic, 0, MAGIC.length, 0) !== MAGIC.length || !magic.equals(MAGIC)) {
      throw new Error(`${this.#path} is not a FIX session log (bad header)`);
    }
    let good = MAGIC.length; // file offset of the next record
    let buffer = Buffer.alloc(0);
    let bufferAt = good; // file offset of buffer[0]
    for (;;) {
      const i = good - bufferAt;
      const available = buffer.length - i;
      let need = RECORD_HEADER;
      if (available >= RECORD_HEADER) {
        const length = buffer.readUInt32LE(i);
        if (length === 0 || length > MAX_RECORD) break;
        need += length;
      }
      if (available < need) {
        const readAt = bufferAt + buffer.length;
        if (readAt >= fileSize) break; // the file ends inside this record: torn
        const rest = buffer.subarray(i);
        const chunk = readFully(this.#fd, Math.min(Math.max(READ_CHUNK, need - rest.length), fileSize - readAt), readAt);
        buffer = Buffer.concat([rest, chunk]);
        bufferAt = good;
        continue;
      }
      const start = i + RECORD_HEADER;
      const end = i + need;
      if (crc32(buffer.subarray(start, end)) !== buffer.readUInt32LE(i + 4)) break;
      try {
        this.#apply(buffer, start, end, bufferAt);
      } catch {
        break; // a record that passed its CRC but does not parse ends the log, as a torn one does
      }
      good += need;
    }
    if (good < fileSize) {
      // A crash during a write leaves a partial record: it was never committed, so it goes.
      fs.ftruncateSync(this.#fd, good);
      fs.fsyncSync(this.#fd);
    }
    return good;
  }

  /** Applies the entries of one record; `base` is the file offset of `buf[0]`. */
  #apply(buf: Buffer, from: number, to: number, base: number): void {
    let p = from;
    const text = (): string => {
      const n = buf.readUInt16LE(p);
      const s = buf.toString('utf8', p + 2, p + 2 + n);
      p += 2 + n;
      return s;
    };
    // Parse first, apply after: a record that does not parse to its end changes nothing.
    const entries: Array<() => void> = [];
    while (p < to) {
      const kind = buf[p++];
      if (kind === RESET) {
        const key = text();
        entries.push(() => this.#reset(key));
      } else if (kind === MESSAGE) {
        const key = text();
        const seq = buf.readUInt32LE(p);
        const length = buf.readUInt32LE(p + 4);
        const offset = base + p + 8;
        p += 8 + length;
        entries.push(() => this.#located(key, seq, { offset, length }));
      } else if (kind === SEQS) {
        const key = text();
        const seqs = { nextSender: buf.readUInt32LE(p), nextTarget: buf.readUInt32LE(p + 4) };
        p += 8;
        entries.push(() => void this.#seqs.set(key, seqs));
      } else if (kind === OWNER) {
        const orderId = text();
        const key = text();
        entries.push(() => void this.#owners.set(orderId, key));
      } else {
        throw new Error(`unknown entry ${kind}`);
      }
    }
    if (p !== to) throw new Error('record overruns its length');
    for (const entry of entries) entry();
  }

  #reset(key: string): void {
    const located = this.#messages.get(key);
    if (located) {
      for (const at of located.values()) this.#forget(at);
      this.#messages.delete(key);
    }
    this.#seqs.set(key, { nextSender: 1, nextTarget: 1 });
  }

  #located(key: string, seq: number, at: Located): void {
    let located = this.#messages.get(key);
    if (!located) this.#messages.set(key, (located = new Map()));
    const replaced = located.get(seq);
    if (replaced) this.#forget(replaced);
    located.set(seq, at);
    this.#liveBytes += at.length;
  }

  #forget(at: Located): void {
    this.#liveBytes -= at.length;
    this.#deadBytes += at.length;
  }

  #read(at: Located): Buffer {
    const out = readFully(this.#fd, at.length, at.offset);
    if (out.length < at.length) throw new Error(`${this.#path}: message at ${at.offset} cut short`);
    return out;
  }

  /**
   * Writes the live state (numbers, reachable messages, owners) to a new file as one record,
   * makes it durable, and renames it over the old one: a crash leaves either file whole.
   */
  #compact(): void {
    const batch: FixStoreBatch = { resets: [], messages: [], seqs: [...this.#seqs], owners: [...this.#owners] };
    for (const [key, located] of this.#messages) {
      for (const [seq, at] of [...located].sort((a, b) => a[0] - b[0])) batch.messages.push([key, seq, this.#read(at).toString('latin1')]);
    }
    const temp = join(dirname(this.#path), `.${basename(this.#path)}.compacting`);
    const fd = fs.openSync(temp, 'w', 0o644);
    try {
      const record = encodeRecord(batch);
      fs.writeSync(fd, MAGIC, 0, MAGIC.length, 0);
      fs.writeSync(fd, record, 0, record.length, MAGIC.length);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, this.#path);
    syncDirectory(dirname(this.#path));
    fs.closeSync(this.#fd);
    this.#fd = fs.openSync(this.#path, 'r+');
    this.#seqs.clear();
    this.#messages.clear();
    this.#owners.clear();
    this.#liveBytes = 0;
    this.#deadBytes = 0;
    this.#size = this.#rebuild();
  }
}

/**
 * One batch as one record: header, then its entries in the order they apply; one buffer, sized
 * first. `messageOffsets`, when given, receives where each message's raw bytes start in the record.
 */
export function encodeRecord(batch: FixStoreBatch, messageOffsets?: number[]): Buffer {
  // A batch's messages mostly belong to one session: its key is measured once.
  let lastText = '';
  let lastBytes = 2;
  const textBytes = (t: string): number => {
    if (t === lastText) return lastBytes;
    const n = Buffer.byteLength(t, 'utf8');
    if (n > 0xffff) throw new RangeError('FIX session key or order id longer than 65535 bytes');
    lastText = t;
    lastBytes = 2 + n;
    return lastBytes;
  };
  let size = RECORD_HEADER;
  for (const key of batch.resets) size += 1 + textBytes(key);
  for (const [key, , raw] of batch.messages) size += 1 + textBytes(key) + 8 + raw.length;
  for (const [key] of batch.seqs) size += 1 + textBytes(key) + 8;
  for (const [orderId, key] of batch.owners) size += 1 + textBytes(orderId) + textBytes(key);
  const out = Buffer.allocUnsafe(size);
  let p = RECORD_HEADER;
  const text = (t: string): void => {
    const n = out.write(t, p + 2, 'utf8');
    out.writeUInt16LE(n, p);
    p += 2 + n;
  };
  for (const key of batch.resets) {
    out[p++] = RESET;
    text(key);
  }
  for (const [key, seq, raw] of batch.messages) {
    out[p++] = MESSAGE;
    text(key);
    out.writeUInt32LE(seq, p);
    out.writeUInt32LE(raw.length, p + 4);
    messageOffsets?.push(p + 8);
    // latin1: one byte per character, as the message went on the wire.
    out.write(raw, p + 8, raw.length, 'latin1');
    p += 8 + raw.length;
  }
  for (const [key, s] of batch.seqs) {
    out[p++] = SEQS;
    text(key);
    out.writeUInt32LE(s.nextSender, p);
    out.writeUInt32LE(s.nextTarget, p + 4);
    p += 8;
  }
  for (const [orderId, key] of batch.owners) {
    out[p++] = OWNER;
    text(orderId);
    text(key);
  }
  out.writeUInt32LE(size - RECORD_HEADER, 0);
  out.writeUInt32LE(crc32(out.subarray(RECORD_HEADER)), 4);
  return out;
}

function readFully(fd: number, length: number, position: number): Buffer {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, position + done);
    if (n <= 0) return out.subarray(0, done);
    done += n;
  }
  return out;
}

/** Writes all of `data` at `position` (a positional write may take less than it was given). */
function writeAll(io: SessionFileIo, fd: number, data: Buffer, position: number): void {
  for (let done = 0; done < data.length;) done += io.writeSync(fd, data, done, data.length - done, position + done);
}

/** Writes `bytes` zeros at `from` through the thread pool: megabytes, kept off the event loop. */
async function fillZeros(fd: number, from: number, bytes: number): Promise<void> {
  const zeros = Buffer.alloc(bytes);
  for (let done = 0; done < bytes;) done += (await writeInPool(fd, zeros, done, bytes - done, from + done)).bytesWritten;
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
