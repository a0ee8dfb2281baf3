/**
 * The codec of distributed mode's wire formats, in one place:
 *
 * - the log envelope, one JetStream message per command: `{ seq, time, term, command }`, where
 *   `seq` is the message's stream sequence (the first command is 1), `time` the leader's stamp
 *   and `term` the leader's term (the revision of its lease; see log-applier.ts for its use);
 * - a gateway's command request (the `Command` JSON) and the leader's reply: `{ seq }` once the
 *   envelope is in the stream (PubAck), or `{ error: { code, message } }`.
 *
 * Commands are JSON-safe by the core's contract (amounts are decimal strings), so the encoding is
 * the journal's: plain UTF-8 JSON. Decoding checks the shape and throws `EnvelopeFormatError`:
 * a malformed message in the log is damage, never something to apply.
 */
import type { Command, CommandEnvelope, Millis } from '../core/api.js';

/** One sequenced command as the log holds it. */
export interface SequencedEnvelope {
  seq: number;
  time: Millis;
  /** The appending leader's term: an envelope of a lower term than one before it is void (log-applier.ts). */
  term: number;
  command: Command;
}

export class EnvelopeFormatError extends Error {
  override readonly name = 'EnvelopeFormatError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeEnvelope(envelope: SequencedEnvelope): Uint8Array {
  return encoder.encode(JSON.stringify({ seq: envelope.seq, time: envelope.time, term: envelope.term, command: envelope.command }));
}

/**
 * Decodes a log message. `streamSeq`, when given, is the message's JetStream sequence, which
 * the envelope must carry: a mismatch means the log was not written by a fenced leader.
 */
export function decodeEnvelope(bytes: Uint8Array, streamSeq?: number): SequencedEnvelope {
  const value = parseJson(bytes, 'log envelope');
  const { seq, time, term, command } = value as { seq?: unknown; time?: unknown; term?: unknown; command?: unknown };
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) throw new EnvelopeFormatError('log envelope has no valid seq');
  if (!Number.isSafeInteger(time) || (time as number) < 0) throw new EnvelopeFormatError(`log envelope ${String(seq)} has no valid time`);
  if (!Number.isSafeInteger(term) || (term as number) < 1) throw new EnvelopeFormatError(`log envelope ${String(seq)} has no valid term`);
  if (streamSeq !== undefined && seq !== streamSeq) throw new EnvelopeFormatError(`log envelope says seq ${String(seq)} at stream sequence ${streamSeq}`);
  return { seq: seq as number, time: time as number, term: term as number, command: checkCommand(command, `log envelope ${String(seq)}`) };
}

/** What the core applies: the command at the leader's time. */
export function toCoreEnvelope(envelope: SequencedEnvelope): CommandEnvelope {
  return { ts: envelope.time, command: envelope.command };
}

export function encodeCommandRequest(command: Command): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeCommandRequest(bytes: Uint8Array): Command {
  return checkCommand(parseJson(bytes, 'command request'), 'command request');
}

/**
 * Error codes of a command reply. All are retryable with the same client order id:
 * `NOT_LEADER` (the node no longer leads; the request reached it during a hand-over),
 * `CORE_UNAVAILABLE` (the log refused or did not confirm the append; the node steps down).
 * `INVALID_COMMAND` is not: the request was not a command.
 */
export type CommandReplyErrorCode = 'NOT_LEADER' | 'CORE_UNAVAILABLE' | 'INVALID_COMMAND';

export type CommandReply = { seq: number } | { error: { code: CommandReplyErrorCode; message: string } };

export function encodeCommandReply(reply: CommandReply): Uint8Array {
  return encoder.encode(JSON.stringify(reply));
}

export function decodeCommandReply(bytes: Uint8Array): CommandReply {
  const value = parseJson(bytes, 'command reply') as { seq?: unknown; error?: { code?: unknown; message?: unknown } };
  if (Number.isSafeInteger(value.seq) && (value.seq as number) >= 1) return { seq: value.seq as number };
  const error = value.error;
  if (typeof error === 'object' && error !== null && typeof error.code === 'string' && typeof error.message === 'string') {
    return { error: { code: error.code as CommandReplyErrorCode, message: error.message } };
  }
  throw new EnvelopeFormatError('command reply is neither { seq } nor { error }');
}

function parseJson(bytes: Uint8Array, what: string): object {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new EnvelopeFormatError(`${what} is not UTF-8 JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EnvelopeFormatError(`${what} is not a JSON object`);
  return value;
}

function checkCommand(value: unknown, what: string): Command {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
    throw new EnvelopeFormatError(`${what} carries no command`);
  }
  return value as Command;
}
