/**
 * The data directory: created on first start, checked for writability and free space before
 * anything is recovered, and locked so that two processes never append to one journal.
 */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { nodeFileSystem, type JournalFileSystem } from '../journal/file-system.js';

/** The data directory cannot be used: the message says which path and why, for the operator. */
export class DataDirectoryError extends Error {
  override readonly name = 'DataDirectoryError';
}

export interface DataDirectoryLayout {
  root: string;
  journal: string;
  snapshots: string;
  history: string;
  lock: string;
}

export function dataDirectoryLayout(root: string): DataDirectoryLayout {
  return {
    root,
    journal: join(root, 'journal'),
    snapshots: join(root, 'snapshots'),
    history: join(root, 'history.db'),
    lock: join(root, 'LOCK'),
  };
}

/** Bytes written and synced at start-up to prove the disk takes writes (a full disk fails here). */
const PROBE_BYTES = 256 * 1024;

const EXPLANATIONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a path component is not a directory',
  EIO: 'an I/O error occurred',
};

function explain(path: string, action: string, error: unknown): DataDirectoryError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
  const why = EXPLANATIONS[code] ?? (error as Error).message;
  return new DataDirectoryError(`data directory ${path}: cannot ${action}: ${why} (${code})`, { cause: error });
}

/**
 * Creates the layout and checks that it takes durable writes, through the same file layer the
 * journal uses. Throws DataDirectoryError.
 */
export async function prepareDataDirectory(root: string, fs: JournalFileSystem = nodeFileSystem): Promise<DataDirectoryLayout> {
  const layout = dataDirectoryLayout(root);
  for (const dir of [layout.root, layout.journal, layout.snapshots]) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw explain(dir, 'create directory', error);
    }
  }
  const probe = join(root, '.write-probe');
  try {
    const file = await fs.open(probe);
    try {
      await file.write(Buffer.alloc(PROBE_BYTES), 0);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    await unlink(probe).catch(() => undefined);
    throw explain(root, 'write', error);
  }
  await unlink(probe);
  return layout;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds. A lock file naming our own pid is otherwise stale: in a container the restarted server often gets the pid the crashed one had. */
const heldLocks = new Set<string>();

/**
 * Takes the directory's lock file (it holds the owner's pid). A lock left by a process that
 * no longer runs (after a crash) is taken over. Returns the release function.
 */
export async function lockDataDirectory(layout: DataDirectoryLayout): Promise<() => Promise<void>> {
  const lockPath = resolve(layout.lock);
  if (heldLocks.has(lockPath)) throw new DataDirectoryError(`data directory ${layout.root} is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(layout.lock, `${process.pid}\n`, { flag: 'wx' });
      heldLocks.add(lockPath);
      return async () => {
        heldLocks.delete(lockPath);
        await unlink(layout.lock).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw explain(layout.lock, 'create lock file', error);
    }
    const owner = Number((await readFile(layout.lock, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && processIsAlive(owner)) {
      throw new DataDirectoryError(`data directory ${layout.root} is in use by process ${owner} (lock file ${layout.lock})`);
    }
    await unlink(layout.lock).catch(() => undefined);
  }
  throw new DataDirectoryError(`data directory ${layout.root}: could not take the lock file ${layout.lock}`);
}
