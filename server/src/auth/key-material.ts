/**
 * The secret or public material behind a key, and the one place signatures are checked.
 * HMAC digests are compared with crypto.timingSafeEqual so the comparison time does not depend
 * on how many leading bytes match.
 */
import { createHmac, createPublicKey, randomBytes, timingSafeEqual, verify as verifySignatureBytes, type KeyObject } from 'node:crypto';

export type KeyMaterial =
  | { kind: 'hmac'; secret: Buffer }
  | { kind: 'ed25519'; publicKey: KeyObject };

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** 32 random bytes, the HMAC secret handed to the client once (as base64url). */
export function generateHmacSecret(): Buffer {
  return randomBytes(32);
}

/** Accepts a PEM SPKI public key or base64 / base64url of the raw 32 bytes; throws otherwise. */
export function parseEd25519PublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  if (trimmed.startsWith('-----BEGIN')) {
    key = createPublicKey({ key: trimmed, format: 'pem' });
  } else {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new Error('Ed25519 public key is neither PEM nor base64');
    const raw = Buffer.from(trimmed, 'base64');
    if (raw.length !== 32) throw new Error(`raw Ed25519 public key must be 32 bytes, got ${raw.length}`);
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** The raw 32 bytes of an Ed25519 public key, the form the stores keep. */
export function rawEd25519PublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Constant-time equality of two byte strings; unequal lengths are unequal without early exit on content. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // Still spend a comparison so the length mismatch is not a fast path.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Decodes a base64 (or base64url) signature; undefined if it is not valid base64. */
export function decodeSignature(signature: string): Buffer | undefined {
  if (signature.length === 0 || signature.length > 256 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(signature)) return undefined;
  return Buffer.from(signature, 'base64');
}

/** True when `signature` (raw bytes) signs `message` under the key material. */
export function verifyWithMaterial(material: KeyMaterial, message: string, signature: Uint8Array): boolean {
  const data = Buffer.from(message, 'utf8');
  if (material.kind === 'hmac') {
    const expected = createHmac('sha256', material.secret).update(data).digest();
    return constantTimeEqual(expected, signature);
  }
  if (signature.length !== 64) return false;
  return verifySignatureBytes(null, data, material.publicKey, signature);
}
