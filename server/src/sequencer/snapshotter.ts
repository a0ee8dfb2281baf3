/**
 * Decides when to snapshot: every N commands or every T milliseconds (while commands arrive),
 * whichever comes first. The replica writes the snapshot from its own copy of the core; once
 * it is on disk the journal rotates to a new segment and segments no retained snapshot needs
 * are deleted. Failures are logged, not fatal: the journal alone still recovers everything.
 */
import type { Logger } from 'pino';
import { retireSegments, type JournalWriter } from '../journal/index.js';
import type { Replica, SnapshotWritten } from './replica.js';

export interface SnapshotterOptions {
  replica: Replica;
  writer: JournalWriter;
  journalDir: string;
  logger: Logger;
  everyCommands: number;
  intervalMs: number;
  /** Journal index covered by the snapshot recovery started from. */
  coveredIndex: number;
}

export class Snapshotter {
  private covered: number;
  private requestedAt: number;
  private inFlight: Promise<SnapshotWritten | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SnapshotterOptions) {
    this.covered = options.coveredIndex;
    this.requestedAt = options.coveredIndex;
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

  /** Called after each durable batch; asks for a snapshot once enough commands have accumulated. */
  noteDurable(index: number): void {
    if (!this.inFlight && index - this.requestedAt >= this.options.everyCommands) void this.take();
  }

  /** Takes a snapshot of everything durable so far (or joins the one in progress); undefined if nothing is new or it failed. */
  take(): Promise<SnapshotWritten | undefined> {
    this.inFlight ??= this.write().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight;
  }

  private async write(): Promise<SnapshotWritten | undefined> {
    const { replica, writer, logger } = this.options;
    if (writer.durableIndex <= this.covered) return undefined;
    this.requestedAt = writer.durableIndex;
    try {
      const written = await replica.snapshot();
      this.covered = written.index;
      writer.rotate();
      const retired = await retireSegments(this.options.journalDir, written.oldestKept + 1);
      logger.info({ ...written, retiredSegments: retired.length }, 'snapshot: written');
      return written;
    } catch (error) {
      logger.error({ err: error }, 'snapshot: failed; the journal still holds every command, will retry');
      return undefined;
    }
  }
}
