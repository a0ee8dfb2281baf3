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
 * The one FIX UTCTimestamp parser, used by Logon authentication and by the FIX session layer
 * alike: `YYYYMMDD-HH:MM:SS` with an optional fraction of 1 to 9 digits, to integer ms
 * (sub-millisecond digits truncated; second 60, a leap second, folds into the next second).
 * Undefined when malformed or not a real date. It reads the characters in place (no regular
 * expression, no substrings): every FIX message carries at least one timestamp.
 *
 * The last two valid texts are remembered: the messages of a burst share their SendingTime and
 * often their TransactTime, and each message's SendingTime is read twice (its format checked by
 * the validator, its value by the session).
 */
export function parseFixUtcTimestamp(value: string): number | undefined {
  if (value === lastText) return lastMs;
  if (value === otherText) return otherMs;
  const ms = parseFresh(value);
  if (ms !== undefined) {
    otherText = lastText;
    otherMs = lastMs;
    lastText = value;
    lastMs = ms;
  }
  return ms;
}

/** The last two valid texts parseFixUtcTimestamp was given, and their values. */
let lastText: string | undefined;
let lastMs = 0;
let otherText: string | undefined;
let otherMs = 0;

function parseFresh(value: string): number | undefined {
  const length = value.length;
  if (length !== 17 && (length < 19 || length > 27)) return undefined;
  if (value.charCodeAt(8) !== DASH || value.charCodeAt(11) !== COLON || value.charCodeAt(14) !== COLON) return undefined;
  const year = digitsAt(value, 0, 4), month = digitsAt(value, 4, 2), day = digitsAt(value, 6, 2);
  const hour = digitsAt(value, 9, 2), minute = digitsAt(value, 12, 2), second = digitsAt(value, 15, 2);
  if ((year | month | day | hour | minute | second) < 0) return undefined;
  let ms = 0;
  if (length > 17) {
    if (value.charCodeAt(17) !== DOT) return undefined;
    const fraction = digitsAt(value, 18, length - 18);
    if (fraction < 0) return undefined;
    // Milliseconds are the first three digits, padded on the right.
    ms = length >= 21 ? digitsAt(value, 18, 3) : length === 20 ? fraction * 10 : fraction * 100;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  // Date.UTC would roll e.g. 20250231 over into March: refuse such dates.
  if (day > daysInMonth(year, month)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

const DASH = 0x2d, COLON = 0x3a, DOT = 0x2e, ZERO = 0x30;

/** The decimal number of `count` ASCII digits at `from`, or -1 when one is not a digit. */
function digitsAt(value: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = value.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Days in a month of the Gregorian calendar, for the year as Date.UTC reads it (0 to 99 mean 1900 to 1999). */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  const y = year < 100 ? 1900 + year : year;
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
}
