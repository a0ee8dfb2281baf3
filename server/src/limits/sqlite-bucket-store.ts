/**
 * Token buckets in a SQLite database, so gateway processes on one host share their budgets: one
 * immediate transaction per take or give-back (see SqliteLimitStore), a bucket a row of the
 * table `token_buckets`. Rows of buckets that have refilled are deleted now and then.
 */
import type { SqliteDatabase } from '../storage/sqlite.js';
import { StoredTokenBuckets, TOKEN_BUCKETS } from './bucket-store.js';
import { SqliteLimitStore, type SqliteLayout, type SqliteLimitStoreOptions } from './sqlite-limit-store.js';
import type { BucketState } from './token-bucket.js';

export type SqliteBucketStoreOptions = SqliteLimitStoreOptions;

type BucketRow = { grains: number; at: number };

const BUCKET_ROWS: SqliteLayout<BucketState, BucketRow> = {
  table: 'token_buckets',
  columns: { grains: 'INTEGER', at: 'INTEGER' },
  idleAtColumn: 'full_at',
  encode: ({ grains, at }) => ({ grains, at }),
  decode: ({ grains, at }) => ({ grains, at }),
};

export class SqliteTokenBucketStore extends StoredTokenBuckets {
  constructor(db: SqliteDatabase, options: SqliteBucketStoreOptions = {}) {
    super(TOKEN_BUCKETS, new SqliteLimitStore(db, TOKEN_BUCKETS, BUCKET_ROWS, options));
  }
}
