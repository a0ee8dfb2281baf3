/**
 * openapi-fetch middleware that signs each request just before it is sent: the body bytes are
 * hashed exactly as they will go on the wire, and the path is taken from the final URL.
 */
import type { Middleware } from 'openapi-fetch';
import type { RequestSigner } from '../signing.js';

/** Adds X-API-Key, X-API-Timestamp and X-API-Signature (and X-API-Window when given) to `request`. */
export async function signRequest(signer: RequestSigner, request: Request, windowMs?: number): Promise<Request> {
  const url = new URL(request.url);
  const body = request.body === null ? new Uint8Array() : new Uint8Array(await request.clone().arrayBuffer());
  const headers = await signer.headers(request.method, url.pathname + url.search, body, windowMs);
  for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
  return request;
}

export function signingMiddleware(signer: RequestSigner, options: { windowMs?: number } = {}): Middleware {
  return {
    async onRequest({ request }) {
      return signRequest(signer, request, options.windowMs);
    },
  };
}
