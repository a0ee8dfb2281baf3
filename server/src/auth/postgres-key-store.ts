/**
 * The ApiKeyStore on PostgreSQL, shared by every gateway. HMAC secrets are stored sealed, as in
 * the SQLite store. Lookups for verification are cached in each process; a revocation reaches
 * every process at once through LISTEN/NOTIFY (a trigger announces each one, also those made by
 * hand), which drops the cached key and tells the process's revocation listeners (WebSocket and
 * FIX close the key's sessions). Notifications are lost while the listening connection is down,
 * so each process also polls for revocations it has not heard of, and polls again as soon as that
 * connection is back. While PostgreSQL cannot be reached, cached keys keep verifying (trading
 * goes on); a revocation committed meanwhile by a process that could still reach it takes effect
 * here when this process reconnects.
 */
import pg from 'pg';
import type { PostgresPool } from '../storage/postgres.js';
import type { ApiKeyRecord, CreatedApiKey, FixSessionSettings, KeyKind, NewApiKey, RevocationEvent, Scope } from './api-key.js';
import { CompIdTakenError, RevocationListeners, openMaterial, prepareNewKey, toCreated, type ApiKeyStore, type KeyStoreOptions, type KeyWithMaterial } from './key-store.js';
import type { SecretBox } from './secret-box.js';

interface Row {
  key_id: string;
  account_id: string;
  kind: KeyKind;
  label: string;
  scopes: Scope[];
  ip_allowlist: string[];
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
  sender_comp_id: string | null;
  fix_session: FixSessionSettings | null;
  material: Buffer;
}

interface Announcement {
  schema?: string;
  keyId: string;
  accountId: string;
  revokedAt: number;
  revocation: number;
}

const CHANNEL = 'api_key_revoked';
const CACHE_LIMIT = 10_000;
/**
 * Revocation numbers are taken before their transactions commit, so a smaller number may commit
 * after a larger one: each poll looks this far below the largest number seen.
 */
const POLL_LOOKBACK = 1000;

export interface PostgresKeyStoreOptions extends KeyStoreOptions {
  /** How often to poll for revocations a lost notification would have announced (default 5 s). */
  pollMs?: number;
  /** Told when listening or polling fails (both retry by themselves). */
  onError?: (error: unknown) => void;
}

export class PostgresApiKeyStore implements ApiKeyStore {
  /**
   * Opens the store on `pool` and starts listening; resolves once revocations are being heard,
   * so a revocation committed after this resolves reaches this process.
   */
  static async open(pool: PostgresPool, clientConfig: pg.ClientConfig, box: SecretBox, options: PostgresKeyStoreOptions = {}): Promise<PostgresApiKeyStore> {
    const store = new PostgresApiKeyStore(pool, clientConfig, box, options);
    await store.#start();
    return store;
  }

  readonly #pool: PostgresPool;
  readonly #clientConfig: pg.ClientConfig;
  #schema = '';
  readonly #box: SecretBox;
  readonly #now: () => number;
  readonly #pollMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #listeners: RevocationListeners;
  readonly #cache = new Map<string, KeyWithMaterial>();
  /** Keys whose revocation this process has told its listeners (a key is revoked once). */
  readonly #told = new Set<string>();
  #lastRevocation = 0;
  #listener: pg.Client | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(pool: PostgresPool, clientConfig: pg.ClientConfig, box: SecretBox, options: PostgresKeyStoreOptions) {
    this.#pool = pool;
    this.#clientConfig = clientConfig;
    this.#box = box;
    this.#now = options.now ?? Date.now;
    this.#pollMs = options.pollMs ?? 5000;
    this.#onError = options.onError ?? (() => {});
    this.#listeners = new RevocationListeners(options.onListenerError);
  }

  async create(input: NewApiKey): Promise<CreatedApiKey> {
    const prepared = prepareNewKey(input, this.#box, this.#now());
    const r = prepared.record;
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      if (r.senderCompId !== undefined) {
        // Claim the CompID, or find who owns it: one statement, so two accounts cannot both win.
        await client.query('INSERT INTO fix_comp_ids (sender_comp_id, account_id) VALUES ($1, $2) ON CONFLICT (sender_comp_id) DO NOTHING', [r.senderCompId, r.accountId]);
        const { rows } = await client.query<{ account_id: string }>('SELECT account_id FROM fix_comp_ids WHERE sender_comp_id = $1', [r.senderCompId]);
        if (rows[0]?.account_id !== r.accountId) throw new CompIdTakenError(r.senderCompId);
      }
      await client.query(
        `INSERT INTO api_keys (key_id, account_id, kind, label, scopes, ip_allowlist, expires_at, created_at, sender_comp_id, fix_session, material)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [r.keyId, r.accountId, r.kind, r.label, JSON.stringify(r.scopes), JSON.stringify(r.ipAllowlist), r.expiresAt ?? null, r.createdAt, r.senderCompId ?? null,
          r.fixSession !== undefined ? JSON.stringify(r.fixSession) : null, prepared.storedMaterial],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return toCreated(prepared);
  }

  async compIdOwner(senderCompId: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ account_id: string }>('SELECT account_id FROM fix_comp_ids WHERE sender_comp_id = $1', [senderCompId]);
    return rows[0]?.account_id;
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.#row(keyId);
    return row ? recordOf(row) : undefined;
  }

  async getForVerification(keyId: string): Promise<KeyWithMaterial | undefined> {
    const cached = this.#cache.get(keyId);
    if (cached) return cached;
    const row = await this.#row(keyId);
    if (!row) return undefined;
    const record = recordOf(row);
    const entry = { record, material: openMaterial(record, row.material, this.#box) };
    // A revocation heard while the row was on its way must win over the row.
    if (record.revokedAt === undefined && this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    if (record.revokedAt === undefined) this.#cache.set(keyId, entry);
    return entry;
  }

  async listByAccount(accountId: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.#pool.query<Row>('SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at, key_id', [accountId]);
    return rows.map(recordOf);
  }

  async revoke(keyId: string, revokedAt: number = this.#now()): Promise<ApiKeyRecord | undefined> {
    const { rows: changed } = await this.#pool.query<Row>(
      `UPDATE api_keys SET revoked_at = $1, revocation = nextval('api_key_revocations') WHERE key_id = $2 AND revoked_at IS NULL RETURNING *`,
      [revokedAt, keyId],
    );
    this.#cache.delete(keyId);
    const row = changed[0] ?? (await this.#row(keyId));
    if (!row) return undefined;
    const record = recordOf(row);
    if (changed[0] && !this.#told.has(keyId)) {
      this.#told.add(keyId);
      this.#listeners.emit({ keyId, accountId: record.accountId, revokedAt });
    }
    return record;
  }

  onRevoked(listener: (event: RevocationEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  /** Stops listening and polling (the pool is the caller's). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#reconnectTimer);
    await this.#listener?.end().catch(() => undefined);
  }

  async #row(keyId: string): Promise<Row | undefined> {
    const { rows } = await this.#pool.query<Row>('SELECT * FROM api_keys WHERE key_id = $1', [keyId]);
    return rows[0];
  }

  async #start(): Promise<void> {
    this.#schema = (await this.#pool.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
    const { rows } = await this.#pool.query<{ last: number | null }>('SELECT max(revocation) AS last FROM api_keys');
    this.#lastRevocation = rows[0]?.last ?? 0;
    // Revoked before this process started: nothing to tell (the first poll's look-back would find them).
    const before = await this.#pool.query<{ key_id: string }>('SELECT key_id FROM api_keys WHERE revocation > $1', [this.#lastRevocation - POLL_LOOKBACK]);
    for (const r of before.rows) this.#told.add(r.key_id);
    await this.#listen();
    this.#pollTimer = setInterval(() => void this.#poll().catch((error: unknown) => this.#onError(error)), this.#pollMs);
    this.#pollTimer.unref();
  }

  async #listen(): Promise<void> {
    const client = new pg.Client(this.#clientConfig);
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      const announcement = JSON.parse(message.payload) as Announcement;
      if (announcement.schema === this.#schema) this.#heard(announcement);
    });
    client.on('error', (error) => {
      this.#onError(error);
      this.#relisten(client);
    });
    client.on('end', () => this.#relisten(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#listener = client;
  }

  /** The listening connection is gone: listen again, then poll for what was announced meanwhile. */
  #relisten(client: pg.Client): void {
    if (this.#closed || this.#listener !== client) return;
    this.#listener = undefined;
    client.end().catch(() => undefined);
    const retry = (): void => {
      this.#reconnectTimer = setTimeout(() => {
        if (this.#closed) return;
        this.#listen()
          .then(() => this.#poll())
          .catch((error: unknown) => {
            this.#onError(error);
            this.#listener = undefined;
            retry();
          });
      }, 1000);
      this.#reconnectTimer.unref();
    };
    retry();
  }

  async #poll(): Promise<void> {
    const { rows } = await this.#pool.query<{ key_id: string; account_id: string; revoked_at: number; revocation: number }>(
      'SELECT key_id, account_id, revoked_at, revocation FROM api_keys WHERE revocation > $1 ORDER BY revocation',
      [this.#lastRevocation - POLL_LOOKBACK],
    );
    for (const r of rows) this.#heard({ keyId: r.key_id, accountId: r.account_id, revokedAt: r.revoked_at, revocation: r.revocation });
  }

  #heard(announcement: Announcement): void {
    this.#lastRevocation = Math.max(this.#lastRevocation, announcement.revocation);
    this.#cache.delete(announcement.keyId);
    if (this.#told.has(announcement.keyId)) return;
    this.#told.add(announcement.keyId);
    this.#listeners.emit({ keyId: announcement.keyId, accountId: announcement.accountId, revokedAt: announcement.revokedAt });
  }
}

function recordOf(row: Row): ApiKeyRecord {
  return {
    keyId: row.key_id,
    accountId: row.account_id,
    kind: row.kind,
    label: row.label,
    scopes: row.scopes,
    ipAllowlist: row.ip_allowlist,
    createdAt: row.created_at,
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
    ...(row.sender_comp_id !== null ? { senderCompId: row.sender_comp_id } : {}),
    ...(row.fix_session != null ? { fixSession: row.fix_session } : {}),
  };
}
