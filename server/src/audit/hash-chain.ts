/**
 * The audit log's hash chain. Each stored entry carries the hash of the one before it and its
 * own hash over both, so changing, removing or reordering any entry breaks every later link.
 * The hash covers a canonical JSON (keys sorted), so it does not depend on how the line was written.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from './audit-sink.js';

/** The `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedAuditEntry extends AuditEntry {
  /** Position in the log, from 1. */
  seq: number;
  prevHash: string;
  hash: string;
}

export function chainEntry(entry: AuditEntry, seq: number, prevHash: string): ChainedAuditEntry {
  const unsealed = { ...entry, seq, prevHash };
  return { ...unsealed, hash: hashOf(unsealed) };
}

function hashOf(unsealed: AuditEntry & { seq: number; prevHash: string }): string {
  return createHash('sha256').update(canonicalJson(unsealed)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type ChainVerdict =
  | { ok: true; entries: number; lastHash: string }
  | { ok: false; entries: number; line: number; reason: string };

/** Checks every link: sequence, previous hash, own hash. `line` is 1-based. */
export function verifyChain(lines: readonly string[]): ChainVerdict {
  let prevHash = GENESIS_HASH;
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text === '') continue;
    const fail = (reason: string): ChainVerdict => ({ ok: false, entries: count, line: i + 1, reason });
    let entry: ChainedAuditEntry;
    try {
      entry = JSON.parse(text) as ChainedAuditEntry;
    } catch {
      return fail('not valid JSON');
    }
    if (entry.seq !== count + 1) return fail(`sequence ${String(entry.seq)} where ${count + 1} was expected (an entry is missing or out of order)`);
    if (entry.prevHash !== prevHash) return fail('prevHash does not match the previous entry (an earlier entry was changed or removed)');
    const { hash, ...unsealed } = entry;
    if (hashOf(unsealed) !== hash) return fail('the entry does not match its hash (it was changed)');
    prevHash = hash;
    count++;
  }
  return { ok: true, entries: count, lastHash: prevHash };
}
