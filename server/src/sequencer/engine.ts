/**
 * Which core the sequencer runs, named by module so that the replica worker thread can load
 * the same one: a module exporting `createCore()` and `restoreCore(snapshot)`.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BinaryCoreSnapshot, CommandEnvelope, CoreEvent, CoreSnapshot, TradingCore } from '../core/api.js';

export interface CoreEngine {
  createCore(): TradingCore;
  /** Takes the binary form only from a core that writes it (`snapshotBinary`). */
  restoreCore(snapshot: CoreSnapshot | BinaryCoreSnapshot): TradingCore;
}

/** A module next to this one, with this module's own extension (.ts when run from source, .js when built). */
export function siblingModule(relativeWithoutExtension: string): string {
  return new URL(relativeWithoutExtension + extname(fileURLToPath(import.meta.url)), import.meta.url).href;
}

/** The trading core (server/src/core). */
export const TRADING_CORE_MODULE = siblingModule('../core/index');

export async function loadEngine(moduleUrl: string): Promise<CoreEngine> {
  const module = (await import(moduleUrl)) as Partial<CoreEngine>;
  const { createCore, restoreCore } = module;
  if (typeof createCore !== 'function' || typeof restoreCore !== 'function') {
    throw new TypeError(`${moduleUrl} does not export createCore() and restoreCore()`);
  }
  // Called without arguments: the trading core's createCore takes optional settings, and the replica must match.
  return { createCore: () => createCore(), restoreCore: (snapshot) => restoreCore(snapshot) };
}

/**
 * Replays a journaled command and returns its events only if its last event is after `seq`
 * (not yet projected); otherwise returns undefined, and a core with `execute` formats none of
 * them, which is most of a replay's work saved.
 */
export function replayEventsAfter(core: TradingCore, envelope: CommandEnvelope, seq: number): CoreEvent[] | undefined {
  if (core.execute === undefined) {
    const events = core.apply(envelope).events;
    return events.length > 0 && events[events.length - 1]!.seq > seq ? events : undefined;
  }
  const events = core.execute(envelope).events;
  return events.length > 0 && events.seq(events.length - 1) > seq ? events.views() : undefined;
}
