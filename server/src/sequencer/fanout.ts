/** Delivers event batches to every listener; one failing listener neither stops the others nor the sequencer. */
import type { Logger } from 'pino';
import type { CoreEvent } from '../core/api.js';

export type EventListener = (events: readonly CoreEvent[]) => void;

export class EventFanout {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly logger: Logger) {}

  add(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(events: readonly CoreEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        this.logger.error({ err: error, fromSeq: events[0]!.seq }, 'sequencer: an event listener threw');
      }
    }
  }
}
