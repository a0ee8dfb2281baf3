/** Rate limits shared by the REST, WebSocket and FIX gateways. */
export * from './counter-store.js';
export * from './headers.js';
export * from './limit-store.js';
export * from './memory-limit-store.js';
export * from './meters.js';
export * from './order-rate-limiter.js';
export * from './policies.js';
export * from './quota-limiter.js';
export * from './request-limiter.js';
export * from './sqlite-limit-store.js';
export { MemoryRollingWindowStore, type MemoryWindowStoreOptions } from './window-rings.js';
export type { BucketShape, BucketState, BucketTake } from './token-bucket.js';
export type { SpentBucket, WindowConsume, WindowShape, WindowState } from './rolling-window.js';
export * from './rfq-limits.js';
