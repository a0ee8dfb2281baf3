/**
 * The WebSocket the client runs on: the standard browser API's subset it needs, so the `ws`
 * package (Node) and a global WebSocket (browsers, Deno, Node 22+) both fit.
 */

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The `OPEN` readyState of the standard API. */
export const OPEN = 1;

/** In Node the `ws` package; elsewhere the global WebSocket. */
export async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (isNode) {
    const mod = (await import('ws')) as unknown as { default: WebSocketConstructor };
    return mod.default;
  }
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  throw new Error('No WebSocket implementation found: pass one as the `WebSocket` option.');
}

/** Text of a message event's data (`ws` gives a string for text frames; some runtimes give bytes). */
export function messageText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data as Uint8Array);
  return String(data);
}

/** The WebSocket URL of a REST base URL: same host, ws(s) scheme, path /v1/ws. */
export function wsUrlFor(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/ws`;
  url.search = '';
  return url.toString();
}
