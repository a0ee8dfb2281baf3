/**
 * A test client that signs requests the way docs/authentication.md describes, written from the
 * document rather than from the server's code, so the tests check the documented scheme.
 */
import { createHash, createHmac, sign as edSign, type KeyObject } from 'node:crypto';

export interface HmacCredentials { keyId: string; secret: string }
export interface Ed25519Credentials { keyId: string; privateKey: KeyObject }
export type Credentials = HmacCredentials | Ed25519Credentials;

export function canonicalString(timestamp: number, method: string, pathWithQuery: string, body: string): string {
  return `${timestamp}\n${method.toUpperCase()}\n${pathWithQuery}\n${createHash('sha256').update(body).digest('hex')}`;
}

export function signatureFor(creds: Credentials, message: string): string {
  if ('secret' in creds) return createHmac('sha256', Buffer.from(creds.secret, 'base64url')).update(message).digest('base64');
  return edSign(null, Buffer.from(message), creds.privateKey).toString('base64');
}

export interface SignedRequestOptions { timestamp?: number; window?: number; body?: unknown; headers?: Record<string, string> }

export function signedHeaders(creds: Credentials, method: string, pathWithQuery: string, bodyText: string, opts: SignedRequestOptions = {}): Record<string, string> {
  const timestamp = opts.timestamp ?? Date.now();
  return {
    'X-API-Key': creds.keyId,
    'X-API-Timestamp': String(timestamp),
    'X-API-Signature': signatureFor(creds, canonicalString(timestamp, method, pathWithQuery, bodyText)),
    ...(opts.window !== undefined && { 'X-API-Window': String(opts.window) }),
    ...(bodyText && { 'Content-Type': 'application/json' }),
    ...opts.headers,
  };
}

/** Sends a signed request with fetch and returns status, headers and the parsed body. */
export async function signedFetch(baseUrl: string, creds: Credentials, method: string, pathWithQuery: string, opts: SignedRequestOptions = {}) {
  const bodyText = opts.body === undefined ? '' : JSON.stringify(opts.body);
  const res = await fetch(baseUrl + pathWithQuery, {
    method,
    headers: signedHeaders(creds, method, pathWithQuery, bodyText, opts),
    ...(bodyText && { body: bodyText }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
}
