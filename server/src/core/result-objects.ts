/**
 * The result `apply` hands back for each command, made by constructors rather than object
 * literals: same fields, in the same order, with the same values.
 *
 * Why (as for the views, see view-objects.ts): a burst that keeps results alive through a
 * scavenge can get a literal's allocation site pretenured, and from then on every result is old
 * garbage from birth that keeps its young events and their views through the next scavenges
 * (seen in bench:fix after its throughput phase: every later result and its events array old).
 * Objects made by `new` are never pretenured.
 */
import type { CommandResult, CoreEvent, RejectCode, RejectDetails } from './api.js';

type Accepted = Extract<CommandResult, { ok: true }>;
type Rejected = Extract<CommandResult, { ok: false }>;

/* Each class takes its fields from the type it merges with; the constructor sets them in the literal's order. */

export interface AcceptedResult extends Accepted {}
export class AcceptedResult {
  constructor(events: CoreEvent[]) {
    this.ok = true;
    this.events = events;
  }
}

export interface RejectedResult extends Rejected {}
export class RejectedResult {
  constructor(code: RejectCode, message: string, details: RejectDetails | undefined, events: CoreEvent[]) {
    this.ok = false;
    this.code = code;
    this.message = message;
    // Absent, not undefined, when there are none.
    if (details) this.details = details;
    this.events = events;
  }
}
