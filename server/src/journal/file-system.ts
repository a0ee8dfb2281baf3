/**
 * The few file operations the journal needs, behind an interface so that tests can inject
 * write failures (a full disk, an I/O error) where a real one cannot be produced.
 */
import * as fs from 'node:fs';
import { promisify } from 'node:util';

/** A file the journal appends to. Writes are positional and never reordered by the caller. */
export interface AppendFile {
  /** Writes all of `data` at `position`. */
  write(data: Buffer, position: number): Promise<void>;
  /** Makes everything written so far durable (fdatasync). */
  sync(): Promise<void>;
  /** Cuts the file to `size` bytes (used to undo a batch whose write failed). */
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

export interface JournalFileSystem {
  /** Opens `path` for writing, creating it if missing; existing contents are kept. */
  open(path: string): Promise<AppendFile>;
  /** Makes a directory's entries (new, renamed or removed files) durable. */
  syncDirectory(dir: string): Promise<void>;
}

const write = promisify(fs.write);
const fdatasync = promisify(fs.fdatasync);
const ftruncate = promisify(fs.ftruncate);
const close = promisify(fs.close);
const open = promisify(fs.open);
const fsync = promisify(fs.fsync);

/** Writes up to this size are made on the calling thread (see `write` below). */
const MAX_SYNCHRONOUS_WRITE = 256 * 1024;

/** The real file system. Callback-style fs calls avoid FileHandle's per-call promise overhead. */
export const nodeFileSystem: JournalFileSystem = {
  async open(path) {
    const fd = await open(path, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
    return {
      // A batch's write (kilobytes) is made synchronously: it lands in the page cache in
      // microseconds (segments are zero-filled ahead, so it allocates nothing), less than a trip
      // through the thread pool and back, which on two busy cores cost the sequencer's thread
      // more than the copy (bench:durable). Only the fdatasync waits for the disk, off the
      // thread. Large writes (the zero-filling, megabytes) stay in the thread pool.
      async write(data, position) {
        let done = 0;
        while (done < data.length) {
          done += data.length <= MAX_SYNCHRONOUS_WRITE
            ? fs.writeSync(fd, data, done, data.length - done, position + done)
            : (await write(fd, data, done, data.length - done, position + done)).bytesWritten;
        }
      },
      sync: () => fdatasync(fd),
      truncate: (size) => ftruncate(fd, size),
      close: () => close(fd),
    };
  },
  syncDirectory: (dir) => syncDirectory(dir),
};

export async function syncDirectory(dir: string): Promise<void> {
  const fd = await open(dir, fs.constants.O_RDONLY);
  try {
    await fsync(fd);
  } finally {
    await close(fd);
  }
}
