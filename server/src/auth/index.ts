/** The authentication library's public surface, shared by the REST, WebSocket and FIX gateways. */
export * from './api-key.js';
export * from './canonical.js';
export * from './errors.js';
export { parseCidr, compileAllowlist } from './ip-allowlist.js';
export { parseEd25519PublicKey } from './key-material.js';
export { ApiKeyInputError, CompIdTakenError, type ApiKeyStore, type KeyStoreOptions, type KeyWithMaterial } from './key-store.js';
export { MemoryApiKeyStore } from './memory-key-store.js';
export { SqliteApiKeyStore } from './sqlite-key-store.js';
export { SecretBox } from './secret-box.js';
export * from './replay-cache.js';
export * from './lockout.js';
export * from './verifier.js';
export * from './open.js';
