/**
 * Start-up recovery: the newest usable snapshot, then every journal record after it, applied
 * to the core in order. Events the replay regenerates past the history store's last projected
 * sequence are projected, so the history resumes exactly where it stopped.
 */
import type { Logger } from 'pino';
import type { CoreEvent, Millis, TradingCore } from '../core/api.js';
import type { HistoryStore } from '../history/index.js';
import { listSegments, openJournal, type JournalFileSystem, type JournalWriter, type JournalWriterOptions } from '../journal/index.js';
import type { LoadedSnapshot, SnapshotStore } from '../snapshot/index.js';
import { DataDirectoryError } from './data-directory.js';
import { replayEventsAfter, type CoreEngine } from './engine.js';

export interface RecoveryInput {
  journalDir: string;
  snapshots: SnapshotStore;
  history: HistoryStore;
  engine: CoreEngine;
  logger: Logger;
  fs?: JournalFileSystem;
  writer: Pick<JournalWriterOptions, 'maxSegmentBytes' | 'onDurable' | 'onFailure'>;
}

export interface Recovered {
  core: TradingCore;
  writer: JournalWriter;
  /** Journal index the loaded snapshot covers (0 without one). */
  snapshotIndex: number;
  /** The snapshot file recovery started from, if any (the replica loads the same one). */
  snapshotPath?: string;
  /** Timestamp of the last replayed command, so new stamps never go backwards. */
  lastTs: Millis;
}

/** Events are projected in chunks during replay, so a long tail never sits in memory whole. */
const PROJECTION_CHUNK = 10_000;

/**
 * The newest valid snapshot, unless the history store lags behind it: then an older snapshot
 * at or below the history's seq, or no snapshot at all when the journal still starts at
 * record 1, so that replay regenerates the events the history is missing.
 */
async function chooseSnapshot(input: RecoveryInput, projectedSeq: number): Promise<LoadedSnapshot | undefined> {
  const loaded = await input.snapshots.loadLatest(projectedSeq);
  if (!loaded || loaded.snapshot.seq <= projectedSeq) return loaded;
  const journalStart = (await listSegments(input.journalDir))[0]?.firstIndex ?? 1;
  if (journalStart !== 1) return loaded;
  input.logger.warn({ projectedSeq, snapshotSeq: loaded.snapshot.seq }, 'recovery: history lags the snapshots; replaying the whole journal to fill it');
  return undefined;
}

export async function recover(input: RecoveryInput): Promise<Recovered> {
  const { logger, history } = input;
  const started = Date.now();
  const projectedSeq = history.projectedSeq;
  const loaded = await chooseSnapshot(input, projectedSeq);
  const core = loaded ? input.engine.restoreCore(loaded.snapshot.core) : input.engine.createCore();
  if (loaded && core.seq !== loaded.snapshot.seq) {
    throw new DataDirectoryError(`snapshot ${loaded.path} restores to seq ${core.seq}, but says ${loaded.snapshot.seq}`);
  }
  if (loaded && loaded.snapshot.seq > projectedSeq) {
    logger.error({ projectedSeq, snapshotSeq: loaded.snapshot.seq },
      'history: events between the projected seq and the snapshot are no longer in the journal; history has a gap');
  }

  let lastTs = 0;
  let replayed = 0;
  let pendingEvents: CoreEvent[] = [];
  const { writer, scan } = await openJournal({
    dir: input.journalDir,
    logger,
    fromIndex: (loaded?.snapshot.index ?? 0) + 1,
    ...(input.fs ? { fs: input.fs } : {}),
    ...input.writer,
    onRecord: (record) => {
      replayed++;
      lastTs = Math.max(lastTs, record.envelope.ts);
      try {
        const events = replayEventsAfter(core, record.envelope, projectedSeq);
        if (events !== undefined) {
          pendingEvents.push(...events);
          if (pendingEvents.length >= PROJECTION_CHUNK) {
            history.project(pendingEvents);
            pendingEvents = [];
          }
        }
      } catch (error) {
        // The core is deterministic, so this record threw the first time too; replaying it the same way keeps the state identical.
        logger.error({ err: error, index: record.index }, 'recovery: the core threw on a journaled command, as it did when it was first applied');
      }
    },
  });
  history.project(pendingEvents);
  if (history.projectedSeq > core.seq) {
    await writer.close();
    throw new DataDirectoryError(`history.db has events up to seq ${history.projectedSeq} but the journal only reaches seq ${core.seq}: `
      + 'the data directory was restored from inconsistent backups');
  }
  logger.info({
    snapshot: loaded?.path ?? null, snapshotIndex: loaded?.snapshot.index ?? 0, replayedRecords: replayed,
    journalFirstIndex: scan.firstIndex, journalLastIndex: writer.lastIndex, seq: core.seq, historySeq: history.projectedSeq,
    tornTail: scan.tornTail ?? null, ms: Date.now() - started,
  }, 'recovery: state restored');
  return { core, writer, snapshotIndex: loaded?.snapshot.index ?? 0, ...(loaded && { snapshotPath: loaded.path }), lastTs };
}
