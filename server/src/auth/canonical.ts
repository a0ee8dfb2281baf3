/**
 * The exact strings that clients sign, one function per transport, all in one module so the
 * REST, WebSocket and FIX gateways cannot drift apart. docs/authentication.md documents them
 * byte for byte.
 */
import { createHash } from 'node:crypto';

/** The request path used by the WebSocket login canonical string. */
export const WS_LOGIN_PATH = '/v1/ws';
/** The method used by the WebSocket login canonical string. */
export const WS_LOGIN_METHOD = 'GET';

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * REST: `timestamp + "\n" + METHOD + "\n" + pathWithQuery + "\n" + hex(sha256(body))`.
 * `timestamp` is the decimal X-API-Timestamp exactly as sent, `method` is upper-cased,
 * `pathWithQuery` is the request target exactly as sent on the request line (path plus `?query`,
 * percent-encoding untouched), and `body` is the raw body bytes (empty for none).
 */
export function restCanonicalString(timestamp: string | number, method: string, pathWithQuery: string, body: Uint8Array | string = ''): string {
  return `${timestamp}\n${method.toUpperCase()}\n${pathWithQuery}\n${sha256Hex(body)}`;
}

/** WebSocket login: the REST canonical string for `GET /v1/ws` with an empty body. */
export function wsLoginCanonicalString(timestamp: string | number): string {
  return restCanonicalString(timestamp, WS_LOGIN_METHOD, WS_LOGIN_PATH, '');
}

export interface FixLogonFields {
  /** SendingTime(52) exactly as on the wire, e.g. `20250102-03:04:05.678`. */
  sendingTime: string;
  /** MsgType(35), `A` for Logon. */
  msgType: string;
  /** MsgSeqNum(34) as on the wire. */
  msgSeqNum: string | number;
  senderCompId: string;
  targetCompId: string;
}

/** FIX Logon prehash: SendingTime, MsgType, MsgSeqNum, SenderCompID, TargetCompID joined by SOH (\x01). */
export function fixLogonPrehash(fields: FixLogonFields): string {
  return [fields.sendingTime, fields.msgType, String(fields.msgSeqNum), fields.senderCompId, fields.targetCompId].join('\x01');
}

/**
 * Parses a FIX UTCTimestamp (`YYYYMMDD-HH:MM:SS` with optional `.sss`, `.ssssss` or `.sssssssss`)
 * to integer ms; undefined if malformed. Sub-millisecond digits are truncated.
 */
export function parseFixUtcTimestamp(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}|\d{6}|\d{9}))?$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), frac ? Number(frac.slice(0, 3)) : 0);
  const check = new Date(ms);
  // Reject dates Date.UTC silently rolled over (e.g. 20250231).
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return undefined;
  return ms;
}
