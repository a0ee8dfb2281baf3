/**
 * Snapshot files in one directory. A snapshot is written to a temporary file, synced, renamed
 * into place and the directory synced, so a crash leaves either the old set or the new one,
 * never a half-written snapshot under a real name. The newest few are kept, so a damaged
 * newest snapshot can be skipped for an older one.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { syncDirectory } from '../journal/file-system.js';
import { decodeSnapshot, type StoredSnapshot } from './format.js';

const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;
const TEMP_SUFFIX = '.tmp';
export const DEFAULT_SNAPSHOTS_KEPT = 3;

export interface SnapshotFile {
  path: string;
  /** The last journal record the snapshot covers, from its name. */
  index: number;
}

export interface LoadedSnapshot {
  snapshot: StoredSnapshot;
  path: string;
}

export class SnapshotStore {
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly keep = DEFAULT_SNAPSHOTS_KEPT,
  ) {}

  /** Creates the directory and removes temporary files a crash left behind. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      if (name.endsWith(TEMP_SUFFIX)) await unlink(join(this.dir, name));
    }
  }

  /** Snapshot files, newest first. */
  async list(): Promise<SnapshotFile[]> {
    const files: SnapshotFile[] = [];
    for (const name of await readdir(this.dir)) {
      const match = SNAPSHOT_NAME.exec(name);
      if (match) files.push({ path: join(this.dir, name), index: Number(match[1]) });
    }
    return files.sort((a, b) => b.index - a.index);
  }

  /**
   * Writes an encoded snapshot covering journal records up to `index`, then deletes all but the
   * newest `keep`. Returns the index of the oldest snapshot kept (journal before it can retire).
   */
  async write(index: number, encoded: Buffer): Promise<number> {
    const finalPath = join(this.dir, `${String(index).padStart(20, '0')}.snapshot`);
    const tempPath = finalPath + TEMP_SUFFIX;
    const file = await open(tempPath, 'w', 0o644);
    try {
      await file.write(encoded, 0, encoded.length, 0);
      await file.sync();
    } catch (error) {
      await file.close();
      await unlink(tempPath).catch(() => undefined);
      throw error;
    }
    await file.close();
    await rename(tempPath, finalPath);
    await syncDirectory(this.dir);

    const files = await this.list();
    for (const old of files.slice(this.keep)) await unlink(old.path);
    if (files.length > this.keep) await syncDirectory(this.dir);
    return files[Math.min(files.length, this.keep) - 1]!.index;
  }

  /** Reads one snapshot file, or says why it cannot be used. */
  async read(file: SnapshotFile): Promise<{ ok: true; snapshot: StoredSnapshot } | { ok: false; reason: string }> {
    const decoded = decodeSnapshot(await readFile(file.path));
    if (decoded.ok && decoded.snapshot.index !== file.index) {
      return { ok: false, reason: `file name says record ${file.index}, contents say ${decoded.snapshot.index}` };
    }
    return decoded;
  }

  /**
   * The newest valid snapshot, preferring one at or below `preferAtMostSeq` (so a history
   * projection that lags behind can catch up from the journal). Damaged snapshots are skipped
   * and logged. Undefined if no snapshot is usable.
   */
  async loadLatest(preferAtMostSeq = Number.POSITIVE_INFINITY): Promise<LoadedSnapshot | undefined> {
    let fallback: LoadedSnapshot | undefined;
    for (const file of await this.list()) {
      const result = await this.read(file);
      if (!result.ok) {
        this.logger.error({ file: file.path, reason: result.reason }, 'snapshot: skipping a damaged snapshot, trying an older one');
        continue;
      }
      const loaded = { snapshot: result.snapshot, path: file.path };
      if (result.snapshot.seq <= preferAtMostSeq) return loaded;
      fallback ??= loaded;
    }
    return fallback;
  }
}
