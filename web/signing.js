// @ts-check
/**
 * Request signing as docs/authentication.md describes, with the browser's WebCrypto:
 *   canonical = timestamp + "\n" + METHOD + "\n" + pathWithQuery + "\n" + hex(sha256(body))
 * signed with HMAC-SHA256 (the key's base64url secret) or Ed25519 (a PKCS#8 PEM private key,
 * as `openssl genpkey -algorithm ed25519` writes it). The secret never leaves this tab.
 */

const encoder = new TextEncoder();

/** @param {string} text */
function base64urlToBytes(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
}

/** @param {ArrayBuffer} buffer */
function bytesToBase64(buffer) {
  return btoa(Array.from(new Uint8Array(buffer), (b) => String.fromCharCode(b)).join(''));
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes. @param {string} text */
export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** @param {number} timestamp @param {string} method @param {string} pathWithQuery @param {string} body */
export async function canonicalString(timestamp, method, pathWithQuery, body) {
  return `${timestamp}\n${method.toUpperCase()}\n${pathWithQuery}\n${await sha256Hex(body)}`;
}

/** @typedef {{ keyId: string, kind: 'hmac' | 'ed25519', sign(message: string): Promise<string> }} Signer */

const PEM = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/;

/**
 * A signer for the key: a PEM private key is an Ed25519 key, anything else an HMAC secret.
 * Throws when the secret cannot be a key of either kind.
 * @param {string} keyId @param {string} secret @returns {Promise<Signer>}
 */
export async function createSigner(keyId, secret) {
  const pem = PEM.exec(secret);
  if (pem) {
    const der = Uint8Array.from(atob(/** @type {string} */ (pem[1]).replace(/\s+/g, '')), (c) => c.charCodeAt(0));
    const key = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']);
    return { keyId, kind: 'ed25519', sign: async (message) => bytesToBase64(await crypto.subtle.sign({ name: 'Ed25519' }, key, encoder.encode(message))) };
  }
  const trimmed = secret.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(trimmed)) throw new Error('The secret is neither an HMAC secret (43 base64url characters) nor an Ed25519 private key (PEM).');
  const key = await crypto.subtle.importKey('raw', base64urlToBytes(trimmed), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return { keyId, kind: 'hmac', sign: async (message) => bytesToBase64(await crypto.subtle.sign('HMAC', key, encoder.encode(message))) };
}

/**
 * The three authentication headers of a REST request.
 * @param {Signer} signer @param {number} timestamp @param {string} method @param {string} pathWithQuery @param {string} body
 * @returns {Promise<Record<string, string>>}
 */
export async function signedHeaders(signer, timestamp, method, pathWithQuery, body) {
  return {
    'X-API-Key': signer.keyId,
    'X-API-Timestamp': String(timestamp),
    'X-API-Signature': await signer.sign(await canonicalString(timestamp, method, pathWithQuery, body)),
  };
}

/**
 * The `login` frame's arguments: the REST canonical string of `GET /v1/ws` with an empty body.
 * @param {Signer} signer @param {number} timestamp @param {boolean} cancelOnDisconnect
 */
export async function loginArgs(signer, timestamp, cancelOnDisconnect = false) {
  return { keyId: signer.keyId, timestamp, signature: await signer.sign(await canonicalString(timestamp, 'GET', '/v1/ws', '')), cancelOnDisconnect };
}
