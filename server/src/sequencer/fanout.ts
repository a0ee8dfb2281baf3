/**
 * Delivers event batches to every listener, in sequence order, on a later turn of the event
 * loop than the one that released them: the sequencer resolves its submitters first, so an
 * acknowledgement never waits for what listeners do with the events (market data, streams).
 * One failing listener neither stops the others nor the sequencer.
 */
import type { Logger } from 'pino';
import type { CoreEvent } from '../core/api.js';

export type EventListener = (events: readonly CoreEvent[]) => void;

export class EventFanout {
  private readonly listeners = new Set<EventListener>();
  /** Batches released but not yet delivered, oldest first. */
  private queue: (readonly CoreEvent[])[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly logger: Logger) {}

  add(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queues the batch for delivery once the current turn (and the submitters it resolved) is done. */
  emit(events: readonly CoreEvent[]): void {
    if (events.length === 0) return;
    this.queue.push(events);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Delivers every queued batch now, in order (also used on close, so nothing durable goes unheard). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    // A listener may submit while handling events; its batch joins the queue behind this one.
    while (this.queue.length > 0) {
      const batch = this.queue.shift()!;
      for (const listener of this.listeners) {
        try {
          listener(batch);
        } catch (error) {
          this.logger.error({ err: error, fromSeq: batch[0]!.seq }, 'sequencer: an event listener threw');
        }
      }
    }
  }
}
