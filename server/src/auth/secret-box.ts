/**
 * Encrypts key secrets at rest with AES-256-GCM. Each secret gets a fresh 96-bit nonce and is
 * bound to its key id as associated data, so a ciphertext copied onto another row fails to open.
 * Layout of a sealed value: nonce (12 bytes) | auth tag (16 bytes) | ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly #key: Buffer;

  /** `key` is the 32-byte data-encryption key from configuration. */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error(`secret box key must be 32 bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
  }

  /** Parses the configured key: 64 hex digits or base64/base64url of 32 bytes. */
  static fromConfig(value: string): SecretBox {
    const trimmed = value.trim();
    const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
    return new SecretBox(bytes);
  }

  seal(plaintext: Uint8Array, associatedData: string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), body]);
  }

  /** Throws if the value was tampered with, sealed under another key, or for another id. */
  open(sealed: Uint8Array, associatedData: string): Buffer {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error('sealed secret is truncated');
    const buf = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(buf.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(buf.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
