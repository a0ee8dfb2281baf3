/**
 * Rebuilds the core from the journal files alone, independently of the server's own recovery.
 * Kept across restarts: each update checks that the records seen before are still there,
 * byte for byte, and applies only the new ones.
 */
import { createCore } from '../../../server/src/core/index.js';
import type { CoreEvent, TradingCore } from '../../../server/src/core/api.js';
import { scanJournal } from '../../../server/src/journal/index.js';

export class JournalReplay {
  readonly core: TradingCore = createCore();
  /** Every event, at index seq - 1. */
  readonly events: CoreEvent[] = [];
  /** Every record seen, as JSON. */
  readonly records: string[] = [];

  /** Reads the journal again; throws if a record seen before has changed or gone. */
  async update(journalDir: string): Promise<void> {
    const all: string[] = [];
    const scan = await scanJournal(journalDir, { onRecord: (record) => all.push(JSON.stringify(record)) });
    if (scan.firstIndex !== 1) throw new Error(`journal starts at ${scan.firstIndex}; a full replay needs record 1`);
    for (let i = 0; i < this.records.length; i++) {
      if (all[i] !== this.records[i]) throw new Error(`journal record ${i + 1} changed or vanished: ${this.records[i]} -> ${all[i]}`);
    }
    for (const text of all.slice(this.records.length)) {
      const record = JSON.parse(text) as { envelope: Parameters<TradingCore['apply']>[0] };
      for (const event of this.core.apply(record.envelope).events) this.events.push(event);
      this.records.push(text);
    }
  }
}
