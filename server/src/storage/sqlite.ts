/**
 * One way to open the embedded SQLite databases that live in the data directory, so every
 * store (history, API keys, gateway state) gets the same durability settings.
 */
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) a database file with WAL journaling. `synchronous = FULL` makes a
 * committed transaction survive power loss, which gateway state (keys, FIX sequence numbers)
 * needs; stores that can be rebuilt from the journal may lower it to NORMAL.
 */
export function openDatabase(file: string, options: { synchronous?: 'FULL' | 'NORMAL' } = {}): SqliteDatabase {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
