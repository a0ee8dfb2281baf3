/**
 * What both history readers (the embedded SQLite one and the PostgreSQL copy) build their list
 * queries from: the page-size bound and the optional conditions of a WHERE clause.
 */

export const MAX_PAGE_LIMIT = 1000;

export type Param = string | number;

/**
 * Builds "a AND b ..." from optional conditions written with `?` placeholders. With `numbered`
 * (PostgreSQL), each `?` becomes the next `$n` as the conditions are added.
 */
export class Where {
  readonly clauses: string[] = [];
  readonly params: Param[] = [];

  constructor(private readonly numbered = false) {}

  add(clause: string, ...params: Param[]): void {
    let n = this.params.length;
    this.clauses.push(this.numbered ? clause.replace(/\?/g, () => `$${++n}`) : clause);
    this.params.push(...params);
  }

  toString(): string {
    return this.clauses.join(' AND ');
  }
}

/** A page size as asked, capped at MAX_PAGE_LIMIT; anything but a positive integer is a caller's bug. */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_PAGE_LIMIT);
}
