/**
 * Applies a shard's log to a core, the one rule every reader shares (standby cores, a leader
 * rebuilding, gateway replicas): envelopes in sequence order, each at the leader's time, except
 * a **void** envelope, whose term is lower than the highest term before it in the log.
 *
 * Why void envelopes exist: the expected-last-sequence check fences one append, but a deposed
 * leader that had several appends in flight (pipelined, or held in its buffers while the process
 * was paused) may see its first refused and its second accepted, if the new leader had written
 * exactly one message in between. That second envelope was computed on a state the log never
 * had. Each leader stamps its term (its lease's revision, which only grows), so every reader can
 * tell such an envelope from the new leader's and skips it: it takes a sequence number and has
 * no effect. The deposed leader never acknowledges it (its earlier append failed first).
 */
import type { CommandResult, TradingCore } from '../core/api.js';
import { toCoreEnvelope, type SequencedEnvelope } from './envelope.js';

export type AppliedEnvelope =
  /** `result` is undefined when the core threw on the command (deterministically: every replica throws). */
  | { seq: number; void: false; result: CommandResult | undefined; error?: unknown }
  | { seq: number; void: true };

export class LogApplier {
  #seq: number;
  #term: number;

  /** `from`: the log position the core's state already includes (0 and 0 for a new core). */
  constructor(private readonly core: TradingCore, from: { seq: number; term: number } = { seq: 0, term: 0 }) {
    this.#seq = from.seq;
    this.#term = from.term;
  }

  /** The last sequence applied (or voided). */
  get seq(): number {
    return this.#seq;
  }

  /** The highest term in the log so far: a new leader's term must be above it. */
  get term(): number {
    return this.#term;
  }

  /** Applies the next envelope; throws if it is not the next sequence (a gap would diverge). */
  apply(envelope: SequencedEnvelope): AppliedEnvelope {
    if (envelope.seq !== this.#seq + 1) throw new RangeError(`log envelope ${envelope.seq} is not the next after ${this.#seq}`);
    this.#seq = envelope.seq;
    if (envelope.term < this.#term) return { seq: envelope.seq, void: true };
    this.#term = envelope.term;
    try {
      return { seq: envelope.seq, void: false, result: this.core.apply(toCoreEnvelope(envelope)) };
    } catch (error) {
      // As in the journaled sequencer: the core is deterministic, so every replica throws at the same command and ends in the same state.
      return { seq: envelope.seq, void: false, result: undefined, error };
    }
  }
}
