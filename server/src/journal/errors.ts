/** Failures the journal reports. Each names the file and what is wrong with it. */

/** Damage that cannot be explained as a torn final write, so cutting it off would lose acknowledged commands. */
export class JournalCorruptError extends Error {
  override readonly name = 'JournalCorruptError';
  constructor(message: string, readonly file: string, readonly offset: number) {
    super(`${message} (${file} at byte ${offset})`);
  }
}
