/**
 * The embedded audit log: one JSON line per entry in `<dataDir>/audit.log`, hash-chained
 * (hash-chain.ts), appended and fdatasync'ed before `record` resolves. It opens only an intact
 * chain: a log that fails verification stops start-up rather than grow on top of a break.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { AuditEntry, AuditSink } from './audit-sink.js';
import { chainEntry, GENESIS_HASH, verifyChain, type ChainedAuditEntry } from './hash-chain.js';

/** An audit log that can be read back: the operator API lists it. */
export interface AuditLog extends AuditSink {
  /** Entries with `seq` greater than `after`, oldest first, at most `limit`. */
  list(after: number, limit: number): Promise<ChainedAuditEntry[]>;
  close(): void;
}

export class AuditChainError extends Error {
  override readonly name = 'AuditChainError';
}

export class FileAuditLog implements AuditLog {
  readonly #fd: number;
  readonly #entries: ChainedAuditEntry[];
  #lastHash: string;

  private constructor(readonly file: string, fd: number, entries: ChainedAuditEntry[]) {
    this.#fd = fd;
    this.#entries = entries;
    this.#lastHash = entries.at(-1)?.hash ?? GENESIS_HASH;
  }

  static open(file: string): FileAuditLog {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
    const verdict = verifyChain(lines);
    if (!verdict.ok) throw new AuditChainError(`audit log ${file} is damaged at line ${verdict.line}: ${verdict.reason}`);
    const entries = lines.filter((l) => l !== '').map((l) => JSON.parse(l) as ChainedAuditEntry);
    return new FileAuditLog(file, openSync(file, 'a'), entries);
  }

  async record(entry: AuditEntry): Promise<void> {
    const chained = chainEntry(entry, this.#entries.length + 1, this.#lastHash);
    writeSync(this.#fd, `${JSON.stringify(chained)}\n`);
    fdatasyncSync(this.#fd);
    this.#entries.push(chained);
    this.#lastHash = chained.hash;
  }

  async list(after: number, limit: number): Promise<ChainedAuditEntry[]> {
    return this.#entries.slice(after, after + limit);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Verifies the audit log file (`npm run audit -- verify`). */
export function verifyAuditFile(file: string) {
  return verifyChain(readFileSync(file, 'utf8').split('\n'));
}
