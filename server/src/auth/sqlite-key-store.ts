/**
 * The durable ApiKeyStore on SQLite. HMAC secrets are stored sealed (AES-256-GCM); Ed25519 keys
 * store only the client's public key.
 *
 * Lookups are cached in process, but a revoked key is never served from the cache: a revoke
 * through this store drops the entry, and `PRAGMA data_version` (which changes whenever another
 * connection, e.g. an admin tool, commits) clears the whole cache before the next lookup.
 */
import type { SqliteDatabase } from '../storage/sqlite.js';
import type { ApiKeyRecord, CreatedApiKey, FixSessionSettings, KeyKind, NewApiKey, RevocationEvent, Scope } from './api-key.js';
import { CompIdTakenError, RevocationListeners, openMaterial, prepareNewKey, toCreated, type ApiKeyStore, type KeyStoreOptions, type KeyWithMaterial } from './key-store.js';
import type { SecretBox } from './secret-box.js';

interface Row {
  key_id: string;
  account_id: string;
  kind: KeyKind;
  label: string;
  scopes: string;
  ip_allowlist: string;
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
  sender_comp_id: string | null;
  fix_session: string | null;
  material: Buffer;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  key_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('hmac', 'ed25519')),
  label TEXT NOT NULL,
  scopes TEXT NOT NULL,
  ip_allowlist TEXT NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  created_at INTEGER NOT NULL,
  sender_comp_id TEXT,
  material BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_by_account ON api_keys (account_id);
CREATE INDEX IF NOT EXISTS api_keys_by_sender_comp_id ON api_keys (sender_comp_id);
`;

/** Cached lookups beyond this count clear the cache (misses are never cached). */
const CACHE_LIMIT = 10_000;

export class SqliteApiKeyStore implements ApiKeyStore {
  readonly #db: SqliteDatabase;
  readonly #box: SecretBox;
  readonly #now: () => number;
  readonly #listeners: RevocationListeners;
  readonly #cache = new Map<string, KeyWithMaterial>();
  #dataVersion: number;
  readonly #stmts;

  constructor(db: SqliteDatabase, secretBox: SecretBox, options: KeyStoreOptions = {}) {
    this.#db = db;
    this.#box = secretBox;
    this.#now = options.now ?? Date.now;
    this.#listeners = new RevocationListeners(options.onListenerError);
    db.exec(SCHEMA);
    // Added after the first release: FIX session settings as JSON.
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(api_keys)').all().map((c) => c.name);
    if (!columns.includes('fix_session')) db.exec('ALTER TABLE api_keys ADD COLUMN fix_session TEXT');
    this.#stmts = {
      insert: db.prepare(`INSERT INTO api_keys (key_id, account_id, kind, label, scopes, ip_allowlist, expires_at, revoked_at, created_at, sender_comp_id, fix_session, material)
        VALUES (@key_id, @account_id, @kind, @label, @scopes, @ip_allowlist, @expires_at, @revoked_at, @created_at, @sender_comp_id, @fix_session, @material)`),
      compIdOwner: db.prepare<[string], { account_id: string }>('SELECT account_id FROM api_keys WHERE sender_comp_id = ? ORDER BY created_at LIMIT 1'),
      byId: db.prepare<[string], Row>('SELECT * FROM api_keys WHERE key_id = ?'),
      byAccount: db.prepare<[string], Row>('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, key_id'),
      revoke: db.prepare<[number, string]>('UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL'),
      dataVersion: db.prepare<[], { data_version: number }>('PRAGMA data_version'),
    };
    this.#dataVersion = this.#readDataVersion();
  }

  async create(input: NewApiKey): Promise<CreatedApiKey> {
    const prepared = prepareNewKey(input, this.#box, this.#now());
    const r = prepared.record;
    // The ownership check and the insert in one immediate transaction: two accounts binding the
    // same CompID at once (from any process) cannot both win.
    this.#db.transaction(() => {
      if (r.senderCompId !== undefined) {
        const owner = this.#stmts.compIdOwner.get(r.senderCompId)?.account_id;
        if (owner !== undefined && owner !== r.accountId) throw new CompIdTakenError(r.senderCompId);
      }
      this.#insert(prepared.storedMaterial, r);
    }).immediate();
    return toCreated(prepared);
  }

  #insert(material: Buffer, r: ApiKeyRecord): void {
    this.#stmts.insert.run({
      key_id: r.keyId,
      account_id: r.accountId,
      kind: r.kind,
      label: r.label,
      scopes: JSON.stringify(r.scopes),
      ip_allowlist: JSON.stringify(r.ipAllowlist),
      expires_at: r.expiresAt ?? null,
      revoked_at: null,
      created_at: r.createdAt,
      sender_comp_id: r.senderCompId ?? null,
      fix_session: r.fixSession !== undefined ? JSON.stringify(r.fixSession) : null,
      material,
    });
  }

  async compIdOwner(senderCompId: string): Promise<string | undefined> {
    return this.#stmts.compIdOwner.get(senderCompId)?.account_id;
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#stmts.byId.get(keyId);
    return row ? recordOf(row) : undefined;
  }

  async getForVerification(keyId: string): Promise<KeyWithMaterial | undefined> {
    this.#dropCacheIfOthersWrote();
    const cached = this.#cache.get(keyId);
    if (cached) return cached;
    const row = this.#stmts.byId.get(keyId);
    if (!row) return undefined;
    const record = recordOf(row);
    const entry = { record, material: openMaterial(record, row.material, this.#box) };
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(keyId, entry);
    return entry;
  }

  async listByAccount(accountId: string): Promise<ApiKeyRecord[]> {
    return this.#stmts.byAccount.all(accountId).map(recordOf);
  }

  async revoke(keyId: string, revokedAt: number = this.#now()): Promise<ApiKeyRecord | undefined> {
    const changed = this.#stmts.revoke.run(revokedAt, keyId).changes === 1;
    this.#cache.delete(keyId);
    const row = this.#stmts.byId.get(keyId);
    if (!row) return undefined;
    const record = recordOf(row);
    if (changed) this.#listeners.emit({ keyId, accountId: record.accountId, revokedAt });
    return record;
  }

  onRevoked(listener: (event: RevocationEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  #readDataVersion(): number {
    return this.#stmts.dataVersion.get()?.data_version ?? 0;
  }

  #dropCacheIfOthersWrote(): void {
    const version = this.#readDataVersion();
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.#cache.clear();
    }
  }
}

function recordOf(row: Row): ApiKeyRecord {
  return {
    keyId: row.key_id,
    accountId: row.account_id,
    kind: row.kind,
    label: row.label,
    scopes: JSON.parse(row.scopes) as Scope[],
    ipAllowlist: JSON.parse(row.ip_allowlist) as string[],
    createdAt: row.created_at,
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
    ...(row.sender_comp_id !== null ? { senderCompId: row.sender_comp_id } : {}),
    ...(row.fix_session != null ? { fixSession: JSON.parse(row.fix_session) as FixSessionSettings } : {}),
  };
}
