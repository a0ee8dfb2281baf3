/**
 * Takes snapshots in the background: every N commands or every T milliseconds, whichever comes
 * first. The state is serialised synchronously (so it matches one journal index exactly), but
 * the file is only written once the journal is durable up to that index: a snapshot never
 * holds a command the journal could still lose. After a snapshot the journal rotates to a new
 * segment and segments no retained snapshot needs are deleted.
 */
import type { Logger } from 'pino';
import type { TradingCore } from '../core/api.js';
import { retireSegments, type JournalWriter } from '../journal/index.js';
import { encodeSnapshot, type SnapshotStore } from '../snapshot/index.js';
import type { Clock } from './clock.js';

export interface SnapshotterOptions {
  core: TradingCore;
  writer: JournalWriter;
  store: SnapshotStore;
  journalDir: string;
  logger: Logger;
  clock: Clock;
  everyCommands: number;
  intervalMs: number;
  /** Journal index covered by the snapshot recovery started from. */
  coveredIndex: number;
}

export interface SnapshotTaken {
  index: number;
  seq: number;
}

export class Snapshotter {
  private covered: number;
  private inFlight: Promise<SnapshotTaken | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SnapshotterOptions) {
    this.covered = options.coveredIndex;
  }

  /** The journal index the newest snapshot covers. */
  get coveredIndex(): number {
    return this.covered;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.options.writer.durableIndex > this.covered) void this.take();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Called after each durable batch; starts a snapshot once enough commands have accumulated. */
  noteDurable(index: number): void {
    if (!this.inFlight && index - this.covered >= this.options.everyCommands) void this.take();
  }

  /** Takes a snapshot now (or joins the one in progress). Failures are logged, not thrown: the journal alone still recovers everything. */
  take(): Promise<SnapshotTaken | undefined> {
    this.inFlight ??= this.write().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Stops the timer and waits for a snapshot in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight;
  }

  private async write(): Promise<SnapshotTaken | undefined> {
    const { core, writer, store, logger } = this.options;
    const index = writer.lastIndex;
    if (index <= this.covered) return undefined;
    const seq = core.seq;
    const started = Date.now();
    try {
      const encoded = encodeSnapshot({ index, seq, takenAt: this.options.clock.now() }, core.snapshot());
      const serialisedMs = Date.now() - started;
      await writer.whenDurable(index);
      const oldestKept = await store.write(index, encoded);
      this.covered = index;
      writer.rotate();
      const retired = await retireSegments(this.options.journalDir, oldestKept + 1);
      logger.info({ index, seq, bytes: encoded.length, serialisedMs, ms: Date.now() - started, retiredSegments: retired.length }, 'snapshot: written');
      return { index, seq };
    } catch (error) {
      logger.error({ err: error, index }, 'snapshot: failed; the journal still holds every command, will retry');
      return undefined;
    }
  }
}
