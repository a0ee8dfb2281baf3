/**
 * Applies a journaled command to the replica's core and collects the events the history keeps.
 * The core's compact events are turned into public ones (decimal strings) only for those types:
 * book levels, trades and positions, about half of a command's events, are never formatted here,
 * nor are the balance changes the ledger leaves out.
 */
import type { CommandEnvelope, CoreEvent, TradingCore } from '../core/api.js';
import { isLedgerMovement, PROJECTED_EVENT_TYPES } from '../history/index.js';
import { decodeRecords } from '../journal/index.js';

/**
 * Decodes a durable batch of journal records, applies each in order to `core` and appends the
 * history's events to `out`. Returns the last record's index (`lastIndex` for an empty batch).
 */
export function applyRecordsForHistory(core: TradingCore, bytes: Buffer, out: CoreEvent[], lastIndex: number): number {
  for (const record of decodeRecords(bytes)) {
    try {
      applyForHistory(core, record.envelope, out);
    } catch {
      // The sequencer's core threw on this record too (deterministic); it was journaled all the same.
    }
    lastIndex = record.index;
  }
  return lastIndex;
}

/** Applies `envelope` to `core` and appends to `out` its events of the types the history projects. */
export function applyForHistory(core: TradingCore, envelope: CommandEnvelope, out: CoreEvent[]): void {
  if (core.execute === undefined) {
    for (const event of core.apply(envelope).events) if (PROJECTED_EVENT_TYPES.has(event.type)) out.push(event);
    return;
  }
  const events = core.execute(envelope).events;
  for (let i = 0; i < events.length; i++) {
    const type = events.type(i);
    if (!PROJECTED_EVENT_TYPES.has(type)) continue;
    // Holds and releases (about half a command's balance changes) are not in the ledger: never formatted.
    if (type === 'BalanceChanged' && !isLedgerMovement(events.balanceReason(i))) continue;
    out.push(events.view(i));
  }
}
