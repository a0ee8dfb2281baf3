/**
 * Production wiring of the auth library: the key store and the replay cache on SQLite files in
 * the data directory, and the verifier over them. The gateways share the returned instances.
 */
import { join } from 'node:path';
import { openDatabase } from '../storage/sqlite.js';
import { AuthLockout } from './lockout.js';
import { SecretBox } from './secret-box.js';
import { SqliteApiKeyStore } from './sqlite-key-store.js';
import { SqliteReplayCache } from './replay-cache.js';
import { RequestVerifier } from './verifier.js';

export interface OpenAuthOptions {
  dataDir: string;
  /** The 32-byte key that encrypts HMAC secrets at rest: bytes, 64 hex digits, or base64. */
  secretKey: Uint8Array | string;
  now?: () => number;
  lockout?: AuthLockout;
  onError?: (error: unknown) => void;
}

export interface AuthRuntime {
  store: SqliteApiKeyStore;
  verifier: RequestVerifier;
  close(): void;
}

export const API_KEYS_FILE = 'api-keys.sqlite';
export const REPLAY_FILE = 'auth-replay.sqlite';

export function openAuth(options: OpenAuthOptions): AuthRuntime {
  const box = typeof options.secretKey === 'string' ? SecretBox.fromConfig(options.secretKey) : new SecretBox(options.secretKey);
  const keysDb = openDatabase(join(options.dataDir, API_KEYS_FILE));
  const replayCache = SqliteReplayCache.openFile(join(options.dataDir, REPLAY_FILE));
  const store = new SqliteApiKeyStore(keysDb, box, options.now ? { now: options.now } : {});
  const verifier = new RequestVerifier({
    store,
    replayCache,
    ...(options.now ? { now: options.now } : {}),
    ...(options.lockout ? { lockout: options.lockout } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return {
    store,
    verifier,
    close() {
      keysDb.close();
      replayCache.close();
    },
  };
}
