/** Rebuilds the core from the journal files alone, independently of the server's own recovery. */
import { createCore } from '../../../server/src/core/index.js';
import type { CoreEvent, TradingCore } from '../../../server/src/core/api.js';
import { scanJournal, type JournalRecord } from '../../../server/src/journal/index.js';

export interface Replay {
  core: TradingCore;
  records: JournalRecord[];
  /** Every event, at index seq - 1. */
  events: CoreEvent[];
}

export async function replayJournal(journalDir: string): Promise<Replay> {
  const records: JournalRecord[] = [];
  const scan = await scanJournal(journalDir, { onRecord: (record) => records.push(record) });
  if (scan.firstIndex !== 1) throw new Error(`journal starts at ${scan.firstIndex}; a full replay needs record 1`);
  const core = createCore();
  const events: CoreEvent[] = [];
  for (const record of records) events.push(...core.apply(record.envelope).events);
  return { core, records, events };
}
