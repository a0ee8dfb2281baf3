/** The logged-in connections by API key: per-key connection limits and closing a revoked key's sessions. */
import type { WsConnection } from './connection.js';

export class SessionRegistry {
  readonly #byKey = new Map<string, Set<WsConnection>>();

  count(keyId: string): number {
    return this.#byKey.get(keyId)?.size ?? 0;
  }

  add(connection: WsConnection): void {
    const keyId = connection.session!.principal.keyId;
    let set = this.#byKey.get(keyId);
    if (!set) this.#byKey.set(keyId, (set = new Set()));
    set.add(connection);
  }

  remove(connection: WsConnection): void {
    const keyId = connection.session?.principal.keyId;
    if (keyId === undefined) return;
    const set = this.#byKey.get(keyId);
    set?.delete(connection);
    if (set?.size === 0) this.#byKey.delete(keyId);
  }

  ofKey(keyId: string): WsConnection[] {
    return [...(this.#byKey.get(keyId) ?? [])];
  }
}
