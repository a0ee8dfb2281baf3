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

const FIX_TIMESTAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/**
 * The one FIX UTCTimestamp parser, used by Logon authentication and by the FIX session layer
 * alike: `YYYYMMDD-HH:MM:SS` with an optional fraction of 1 to 9 digits, to integer ms
 * (sub-millisecond digits truncated; second 60, a leap second, folds into the next second).
 * Undefined when malformed or not a real date.
 */
export function parseFixUtcTimestamp(value: string): number | undefined {
  const m = FIX_TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  // Date.UTC rolls e.g. 20250231 over into March: refuse such dates.
  if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return undefined;
  return Date.UTC(Number(y), month - 1, day, hour, minute, second, frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0);
}
