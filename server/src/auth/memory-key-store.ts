/**
 * An in-process ApiKeyStore for tests and single-process development. It seals secrets the same
 * way the SQLite store does, so nothing about its behaviour differs except durability.
 */
import { randomBytes } from 'node:crypto';
import type { ApiKeyRecord, CreatedApiKey, NewApiKey, RevocationEvent } from './api-key.js';
import type { KeyMaterial } from './key-material.js';
import { CompIdTakenError, RevocationListeners, openMaterial, prepareNewKey, toCreated, type ApiKeyStore, type KeyStoreOptions, type KeyWithMaterial } from './key-store.js';
import { SecretBox } from './secret-box.js';

interface Entry {
  record: ApiKeyRecord;
  storedMaterial: Buffer;
  /** Opened on first verification and kept, as the SQLite store's cache does. */
  material?: KeyMaterial;
}

export class MemoryApiKeyStore implements ApiKeyStore {
  readonly #entries = new Map<string, Entry>();
  readonly #box: SecretBox;
  readonly #now: () => number;
  readonly #listeners: RevocationListeners;

  /** Without a SecretBox a random one is used: the store lives only as long as the process anyway. */
  constructor(options: KeyStoreOptions & { secretBox?: SecretBox } = {}) {
    this.#box = options.secretBox ?? new SecretBox(randomBytes(32));
    this.#now = options.now ?? Date.now;
    this.#listeners = new RevocationListeners(options.onListenerError);
  }

  async create(input: NewApiKey): Promise<CreatedApiKey> {
    const prepared = prepareNewKey(input, this.#box, this.#now());
    const sender = prepared.record.senderCompId;
    if (sender !== undefined) {
      const owner = await this.compIdOwner(sender);
      if (owner !== undefined && owner !== prepared.record.accountId) throw new CompIdTakenError(sender);
    }
    this.#entries.set(prepared.record.keyId, { record: prepared.record, storedMaterial: prepared.storedMaterial });
    return toCreated({ ...prepared, record: copy(prepared.record) });
  }

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const entry = this.#entries.get(keyId);
    return entry ? copy(entry.record) : undefined;
  }

  async getForVerification(keyId: string): Promise<KeyWithMaterial | undefined> {
    const entry = this.#entries.get(keyId);
    if (!entry) return undefined;
    entry.material ??= openMaterial(entry.record, entry.storedMaterial, this.#box);
    return { record: entry.record, material: entry.material };
  }

  async listByAccount(accountId: string): Promise<ApiKeyRecord[]> {
    return [...this.#entries.values()].filter((e) => e.record.accountId === accountId).map((e) => copy(e.record));
  }

  async revoke(keyId: string, revokedAt: number = this.#now()): Promise<ApiKeyRecord | undefined> {
    const entry = this.#entries.get(keyId);
    if (!entry) return undefined;
    if (entry.record.revokedAt !== undefined) return copy(entry.record);
    // Replace rather than mutate so a record already handed to the verifier is not changed under it.
    entry.record = { ...entry.record, revokedAt };
    this.#listeners.emit({ keyId, accountId: entry.record.accountId, revokedAt });
    return copy(entry.record);
  }

  onRevoked(listener: (event: RevocationEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  async compIdOwner(senderCompId: string): Promise<string | undefined> {
    for (const { record } of this.#entries.values()) if (record.senderCompId === senderCompId) return record.accountId;
    return undefined;
  }
}

function copy(record: ApiKeyRecord): ApiKeyRecord {
  return { ...record, scopes: [...record.scopes], ipAllowlist: [...record.ipAllowlist], ...(record.fixSession && { fixSession: { ...record.fixSession } }) };
}
