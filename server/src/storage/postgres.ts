/**
 * The PostgreSQL connection of the external stores (node-postgres), and its migrations
 * (node-pg-migrate, SQL files in server/migrations/, applied in order at start-up under an
 * advisory lock, so several processes starting together apply each one once).
 *
 * BIGINT columns hold times in ms and sequence numbers, all safe integers: they are read back
 * as numbers (node-postgres's default is a string).
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';

export type PostgresPool = pg.Pool;

/** PostgreSQL cannot be used: a bad URL, or no server answering it at start-up. */
export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Where a PostgreSQL URL points, without its password, for messages. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}

export interface PostgresConnectOptions {
  /** The schema holding the tables (default: the server's search_path, normally `public`); created if absent. */
  schema?: string;
  /** Connections in the pool (default 10). */
  max?: number;
  /** Told about errors of idle connections (the pool replaces them). */
  onError?: (error: Error) => void;
}

/** The pool's settings for `url`; throws PostgresUnavailableError naming DATABASE_URL when it is not a postgres:// URL. */
export function postgresConfig(url: string, options: PostgresConnectOptions = {}): pg.PoolConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PostgresUnavailableError('DATABASE_URL is not a URL (expected postgres://user@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new PostgresUnavailableError(`DATABASE_URL must start with postgres:// or postgresql:// (got ${parsed.protocol}//)`);
  }
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new PostgresUnavailableError(`schema ${JSON.stringify(options.schema)} must be a lower-case SQL identifier`);
  }
  return {
    connectionString: url,
    types,
    ...(options.schema !== undefined && { options: `-c search_path=${options.schema}` }),
    max: options.max ?? 10,
    // A query waiting for a connection, or on a server that stopped answering, fails instead of hanging.
    connectionTimeoutMillis: 2000,
    query_timeout: 5000,
  };
}

/**
 * Connects to `url`, checks the server answers and applies the pending migrations. Throws
 * PostgresUnavailableError naming DATABASE_URL and the address when it cannot.
 */
export async function connectPostgres(url: string, options: PostgresConnectOptions = {}): Promise<PostgresPool> {
  const pool = new pg.Pool(postgresConfig(url, options));
  pool.on('error', (error) => options.onError?.(error));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new PostgresUnavailableError(`DATABASE_URL: cannot reach PostgreSQL at ${describePostgresUrl(url)}: ${reason}`);
  }
  try {
    await migrate(pool, options.schema);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return pool;
}

/** Applies the migrations not yet applied (into `schema`, created if absent), all in one transaction. */
export async function migrate(pool: PostgresPool, schema?: string): Promise<void> {
  const client = await pool.connect();
  try {
    await runner({
      dbClient: client,
      ...(schema !== undefined && { schema, createSchema: true }),
      dir: MIGRATIONS_DIR,
      migrationsTable: 'schema_migrations',
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      log: () => {},
    });
  } finally {
    client.release();
  }
}

/** Runs `work` in one transaction on one connection of the pool. */
export async function inTransaction<T>(pool: PostgresPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection lost mid-transaction also emits 'error'; the failed query already reports it.
  const ignore = (): void => {};
  client.on('error', ignore);
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.off('error', ignore);
    // A connection that cannot even roll back is dropped rather than handed out again.
    client.release(broken);
  }
}
