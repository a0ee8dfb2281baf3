/** Point-in-time copies of the core's state, each tied to the journal record it covers. */
export { decodeSnapshot, encodeSnapshot, type SnapshotMeta, type StoredSnapshot } from './format.js';
export { DEFAULT_SNAPSHOTS_KEPT, SnapshotStore, type LoadedSnapshot, type SnapshotFile } from './store.js';
