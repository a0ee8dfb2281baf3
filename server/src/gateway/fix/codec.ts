/**
 * FIX tag=value codec: framing from a byte stream, checksum and BodyLength, parsing into an
 * ordered field list, and encoding. Works on latin1 strings so one character is one byte, which
 * is what BodyLength and CheckSum count; UTF-8 text is carried as its bytes.
 */
import { SOH } from './tags.js';

/** Data fields whose value may contain SOH: data tag -> the length tag that must precede it. */
export const DATA_LENGTH_TAGS: ReadonlyMap<number, number> = new Map([
  [89, 93], [91, 90], [96, 95], [213, 212], [349, 348], [351, 350], [353, 352], [355, 354],
  [357, 356], [359, 358], [361, 360], [363, 362], [365, 364], [446, 445], [619, 618], [622, 621],
]);

export type Field = readonly [tag: number, value: string];

/**
 * A parsed message: fields in wire order (tags may repeat inside repeating groups). Parsed in
 * place: each value is kept as its offsets into the received frame and cut out only when asked
 * for, so fields nobody reads (BodyLength, CheckSum, those the validator checks in place) cost
 * no string.
 */
export class FixMessage {
  #values: string[] | undefined;

  constructor(
    readonly tags: readonly number[],
    /**
     * Where each value lies in `raw` (its end is its SOH). A frame shorter than PACKED_FRAME (nearly
     * every one) keeps one number a value, start * 2^16 + length; a longer one keeps two, the start
     * at 2i and the end at 2i + 1.
     */
    private readonly bounds: readonly number[],
    /** The frame exactly as received (latin1). */
    readonly raw: string,
    readonly msgType: string,
  ) {}

  /** Every value, in wire order (cut out on first use; the hot paths use `get` and `valueAt`). */
  get values(): readonly string[] {
    if (this.#values === undefined) {
      const values: string[] = [];
      for (let i = 0; i < this.tags.length; i++) values.push(this.valueAt(i));
      this.#values = values;
    }
    return this.#values;
  }

  /** The value of the field at index i. */
  valueAt(i: number): string {
    return this.#values?.[i] ?? this.raw.slice(this.valueStart(i), this.valueEnd(i));
  }

  /** Where the value of the field at index i starts in `raw`. */
  valueStart(i: number): number {
    return this.raw.length < PACKED_FRAME ? this.bounds[i]! >>> 16 : this.bounds[2 * i]!;
  }

  /** Where the value of the field at index i ends in `raw` (exclusive: its SOH). */
  valueEnd(i: number): number {
    if (this.raw.length >= PACKED_FRAME) return this.bounds[2 * i + 1]!;
    const packed = this.bounds[i]!;
    return (packed >>> 16) + (packed & 0xffff);
  }

  get(tag: number): string | undefined {
    const i = this.tags.indexOf(tag);
    return i < 0 ? undefined : this.valueAt(i);
  }

  /** Whether the field at index i holds exactly `text`, compared in place (no string cut out). */
  valueAtIs(i: number, text: string): boolean {
    const start = this.valueStart(i);
    return this.valueEnd(i) - start === text.length && this.raw.startsWith(text, start);
  }

  /** Whether field `tag` is present and holds exactly `text` (as `get(tag) === text`, without cutting the value out). */
  is(tag: number, text: string): boolean {
    const i = this.tags.indexOf(tag);
    return i >= 0 && this.valueAtIs(i, text);
  }

  /**
   * The number field `tag` holds when it is 1 to 9 ASCII digits (as `Number(get(tag))` after
   * `/^\d{1,9}$/` passes), read in place; -1 when it is absent or anything else.
   */
  smallUintOf(tag: number): number {
    const i = this.tags.indexOf(tag);
    if (i < 0) return -1;
    const start = this.valueStart(i);
    const end = this.valueEnd(i);
    if (end <= start || end - start > 9) return -1;
    let n = 0;
    for (let p = start; p < end; p++) {
      const d = this.raw.charCodeAt(p) - 48;
      if (d < 0 || d > 9) return -1;
      n = n * 10 + d;
    }
    return n;
  }

  /** The index of the first field with `tag`, or -1. */
  indexOf(tag: number): number {
    return this.tags.indexOf(tag);
  }

  has(tag: number): boolean {
    return this.tags.indexOf(tag) >= 0;
  }

  get fieldCount(): number {
    return this.tags.length;
  }
}

export class GarbledMessageError extends Error {
  override readonly name = 'GarbledMessageError';
}

/** Sum of the bytes modulo 256, as three digits. */
export function checksum(text: string, end: number = text.length): string {
  let sum = 0;
  for (let i = 0; i < end; i++) sum += text.charCodeAt(i);
  const c = sum & 255;
  return c < 10 ? '00' + c : c < 100 ? '0' + c : String(c);
}

/**
 * Which tags below 1024 are data or length fields (every one of DATA_LENGTH_TAGS is): most
 * fields are neither, and one array read per field tells the parser so without a Map lookup.
 */
const DATA_FIELD = 1;
const LENGTH_FIELD = 2;
const SPECIAL_TAGS = new Uint8Array(1024);
for (const [data, length] of DATA_LENGTH_TAGS) {
  SPECIAL_TAGS[data] = DATA_FIELD;
  SPECIAL_TAGS[length] = LENGTH_FIELD;
}

/**
 * Parses one complete frame (as produced by FrameDecoder) into fields. Throws
 * GarbledMessageError when a field is not "tag=value" with a numeric tag, or when the first
 * three fields are not BeginString, BodyLength, MsgType.
 */
export function parseFrame(frame: string): FixMessage {
  // Fields go to the reused scratch arrays first, then each message gets copies of exactly its
  // size: no array grown (and reallocated) field by field for every message.
  const tags = scratchTags;
  const bounds = scratchBounds;
  // A short frame's value bounds fit one small integer each (see FixMessage): half the copy.
  const packed = frame.length < PACKED_FRAME;
  let count = 0;
  let msgTypeStart = 0;
  let msgTypeEnd = 0;
  let pos = 0;
  let lastLength = -1;
  let lastTag = 0;
  while (pos < frame.length) {
    const eq = frame.indexOf('=', pos);
    if (eq < 0) throw new GarbledMessageError('field without "="');
    // The tag is read in place: an optional minus sign, then at least one digit.
    const tag = tagAt(frame, pos, eq);
    if (tag === undefined) throw new GarbledMessageError(`invalid tag "${frame.slice(pos, eq)}"`);
    let end: number;
    const special = tag >= 0 && tag < 1024 ? SPECIAL_TAGS[tag]! : 0;
    if (special === DATA_FIELD && lastTag === DATA_LENGTH_TAGS.get(tag) && lastLength >= 0) {
      end = eq + 1 + lastLength;
      if (frame.charCodeAt(end) !== 1) throw new GarbledMessageError(`data field ${tag} does not match its length`);
    } else {
      end = frame.indexOf(SOH, eq + 1);
      if (end < 0) throw new GarbledMessageError('field not terminated by SOH');
    }
    if (packed) {
      bounds[count] = (eq + 1) * 65536 + (end - eq - 1);
    } else {
      bounds[2 * count] = eq + 1;
      bounds[2 * count + 1] = end;
    }
    if (count === 2) {
      msgTypeStart = eq + 1;
      msgTypeEnd = end;
    }
    tags[count++] = tag;
    lastTag = tag;
    // Only a length field can announce the next field's length.
    lastLength = special === LENGTH_FIELD ? lengthAt(frame, eq + 1, end) : -1;
    pos = end + 1;
  }
  if (count < 3 || tags[0] !== 8 || tags[1] !== 9 || tags[2] !== 35) {
    throw new GarbledMessageError('BeginString, BodyLength and MsgType must be the first three fields');
  }
  if (tags[count - 1] !== 10) throw new GarbledMessageError('CheckSum must be the last field');
  return new FixMessage(tags.slice(0, count), bounds.slice(0, packed ? count : 2 * count), frame, frame.slice(msgTypeStart, msgTypeEnd));
}

/** Frames shorter than this keep each value's start and length in one number: start * 2^16 + length, below 2^31. */
const PACKED_FRAME = 1 << 15;

/** parseFrame's working arrays: only the first `count` (tags) and `2 * count` (bounds) entries are the current frame's. */
const scratchTags: number[] = [];
const scratchBounds: number[] = [];

/** The number written in frame[from, end) if it is 1 to 8 digits, else -1 (not a usable length). */
function lengthAt(frame: string, from: number, end: number): number {
  if (end <= from || end - from >= 9) return -1;
  let n = 0;
  for (let i = from; i < end; i++) {
    const d = frame.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The tag number written between `from` and `eq` ("-?digits"), or undefined when it is not one. */
function tagAt(frame: string, from: number, eq: number): number | undefined {
  let i = from;
  const negative = frame.charCodeAt(i) === 45; /* - */
  if (negative) i++;
  if (i >= eq) return undefined;
  let tag = 0;
  for (; i < eq; i++) {
    const d = frame.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    tag = tag * 10 + d;
  }
  return negative ? -tag : tag;
}

/**
 * A value kept beyond its message (an order's ClOrdID, its price text) as a string of its own.
 * V8 cuts a value of 13 characters or more out of the frame as a slice, which would keep the
 * frame, and the received chunk the frame is a slice of, alive for as long as the order lives.
 */
export function ownCopy(value: string): string {
  return value.length < 13 ? value : Buffer.from(value, 'latin1').toString('latin1');
}

/** Encodes a value for the wire: UTF-8 bytes as latin1 characters. */
export function toWire(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/** Decodes a wire value (latin1 characters holding UTF-8 bytes) back to text. */
export function fromWire(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}

/**
 * Fields already in wire form ("tag=value<SOH>" each, latin1): built once without a tuple per
 * field, and copied as they are into every message that carries them (a report to its session
 * and to the account's drop copies).
 */
export class EncodedFields {
  constructor(readonly wire: string) {}
}

/** A message body: fields, or fields already encoded. */
export type Body = readonly Field[] | EncodedFields;

/** Builds EncodedFields in a reused buffer: the only allocation is the finished string. */
export class FieldsBuilder {
  #buffer = Buffer.allocUnsafe(1024);
  #p = 0;

  add(tag: number, value: string): this {
    this.#room(FIELD_ROOM + 3 * value.length);
    this.#p = writeField(this.#buffer, this.#p, tag, value);
    return this;
  }

  /** The fields added since the last take. */
  take(): EncodedFields {
    const wire = this.#buffer.toString('latin1', 0, this.#p);
    this.#p = 0;
    return new EncodedFields(wire);
  }

  #room(bytes: number): void {
    if (this.#p + bytes <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#p + bytes));
    this.#buffer.copy(grown, 0, 0, this.#p);
    this.#buffer = grown;
  }
}

const NO_FIELDS: readonly Field[] = [];
/** Room kept before the body for "8=<BeginString>SOH9=<BodyLength>SOH", written once the length is known. */
const HEAD_ROOM = 64;
/** Where messages are built: reused, and grown when one needs more, so encoding allocates only the message's string. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/** Makes room for `bytes` more at `p`, keeping what is written. */
function ensure(p: number, bytes: number): void {
  if (p + bytes <= scratch.length) return;
  const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, p + bytes));
  scratch.copy(grown, 0, 0, p);
  scratch = grown;
}

/** Bytes a field needs beside its value's: the tag, "=" and SOH (a value takes at most 3 bytes a character as UTF-8). */
const FIELD_ROOM = 22;

/**
 * Writes "tag=value<SOH>" into buf at p (the caller has made room: FIELD_ROOM + 3 bytes a
 * character); returns the position after it.
 */
function writeField(buf: Buffer, from: number, tag: number, value: string): number {
  let p = from;
  if (tag > 0 && tag < 100_000) {
    // Most significant digit first, without a string per tag.
    let div = tag >= 10_000 ? 10_000 : tag >= 1000 ? 1000 : tag >= 100 ? 100 : tag >= 10 ? 10 : 1;
    for (; div >= 1; div /= 10) buf[p++] = 48 + (Math.floor(tag / div) % 10);
  } else {
    p += buf.write(String(tag), p, 'latin1');
  }
  buf[p++] = 61; // =
  let i = 0;
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) break;
    buf[p++] = c;
  }
  // UTF-8 text is carried as its bytes (see toWire).
  if (i < value.length) p += buf.write(value.slice(i), p, 'utf8');
  buf[p++] = 1;
  return p;
}

function writeFields(fields: Body, from: number): number {
  let p = from;
  if (fields instanceof EncodedFields) {
    ensure(p, fields.wire.length);
    return p + scratch.write(fields.wire, p, 'latin1');
  }
  for (let f = 0; f < fields.length; f++) {
    const [tag, value] = fields[f]!;
    ensure(p, FIELD_ROOM + 3 * value.length);
    p = writeField(scratch, p, tag, value);
  }
  return p;
}

/**
 * Encodes a message. `fields` (then `more`) start with MsgType (35) and hold every header, body
 * and trailer field except BeginString, BodyLength and CheckSum, which are computed here. The
 * message is built in place in a reused buffer, BodyLength and CheckSum over its bytes.
 */
export function encodeMessage(beginString: string, fields: readonly Field[], more: Body = NO_FIELDS): string {
  let p = writeFields(more, writeFields(fields, HEAD_ROOM));
  // "8=<BeginString>SOH9=<BodyLength>SOH" written in place before the body: no head string per message.
  const bodyLength = p - HEAD_ROOM;
  const lengthDigits = decimalDigits(bodyLength);
  const headLength = 2 + beginString.length + 3 + lengthDigits + 1;
  let start = HEAD_ROOM - headLength;
  if (start < 0) {
    // A BeginString longer than the room: move the body up.
    ensure(p, -start);
    scratch.copyWithin(HEAD_ROOM - start, HEAD_ROOM, p);
    p -= start;
    start = 0;
  }
  writeHead(scratch, start, beginString, bodyLength, lengthDigits);
  let sum = 0;
  for (let i = start; i < p; i++) sum += scratch[i]!;
  const c = sum & 255;
  ensure(p, 7);
  scratch[p++] = 49; // 1
  scratch[p++] = 48; // 0
  scratch[p++] = 61; // =
  scratch[p++] = 48 + Math.floor(c / 100);
  scratch[p++] = 48 + (Math.floor(c / 10) % 10);
  scratch[p++] = 48 + (c % 10);
  scratch[p++] = 1;
  return scratch.toString('latin1', start, p);
}

/** How many decimal digits a non-negative integer is written with. */
function decimalDigits(n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}

/** Writes "8=<beginString>SOH9=<bodyLength>SOH" at `from` (latin1, as `Buffer.write` would). */
function writeHead(buf: Buffer, from: number, beginString: string, bodyLength: number, lengthDigits: number): void {
  let p = from;
  buf[p++] = 56; // 8
  buf[p++] = 61; // =
  // Latin1 keeps each character's low byte.
  for (let i = 0; i < beginString.length; i++) buf[p++] = beginString.charCodeAt(i) & 255;
  buf[p++] = 1;
  buf[p++] = 57; // 9
  buf[p++] = 61; // =
  let rest = bodyLength;
  for (let d = p + lengthDigits - 1; d >= p; d--) {
    buf[d] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  p += lengthDigits;
  buf[p] = 1;
}

/**
 * The bytes of messages written one after another (each latin1, one byte a character): what
 * `Buffer.from(joined, 'latin1')` gives, without the joined string on the heap.
 */
export function latin1Bytes(messages: readonly { readonly raw: string }[]): Buffer {
  let total = 0;
  for (let i = 0; i < messages.length; i++) total += messages[i]!.raw.length;
  const bytes = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < messages.length; i++) at += bytes.write(messages[i]!.raw, at, 'latin1');
  return bytes;
}

export interface FrameDecoderOptions {
  /** Largest BodyLength accepted; anything larger is treated as garbage. */
  maxBodyLength?: number;
}

export type FrameListener = (frame: string) => void;
export type GarbageListener = (reason: string, bytes: string) => void;

/** The start of a FIX 4.4 message: found anywhere, it resynchronises the stream after garbage. */
const BEGIN_44 = '8=FIX.4.4\x019=';

/**
 * Cuts a TCP byte stream into FIX frames. A frame whose BodyLength does not point at a
 * well-formed CheckSum field, whose CheckSum is wrong, or that another BeginString cuts short is
 * reported as garbage and skipped, and the decoder resynchronises on the next `8=FIX` that starts
 * a field (FIX: garbled messages are ignored). A valid message after garbage is never swallowed.
 */
export class FrameDecoder {
  private buffer = '';
  private readonly maxBodyLength: number;

  constructor(
    private readonly onFrame: FrameListener,
    private readonly onGarbage: GarbageListener = () => {},
    options: FrameDecoderOptions = {},
  ) {
    this.maxBodyLength = options.maxBodyLength ?? 1 << 20;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const buf = this.buffer;
    let pos = 0;
    for (;;) {
      const start = findFrameStart(buf, pos);
      if (start < 0) {
        // Keep a trailing partial field that may be the start of the next frame's "8=FIX".
        const keepFrom = partialBeginAt(buf, pos);
        if (keepFrom > pos) this.onGarbage('bytes before BeginString', buf.slice(pos, keepFrom));
        pos = keepFrom;
        break;
      }
      if (start > pos) this.onGarbage('bytes before BeginString', buf.slice(pos, start));
      pos = start;
      const sohAfterBegin = buf.indexOf(SOH, start);
      if (sohAfterBegin < 0 || buf.length < sohAfterBegin + 3) break; // need more bytes
      if (buf.charCodeAt(sohAfterBegin + 1) !== 57 /* 9 */ || buf.charCodeAt(sohAfterBegin + 2) !== 61 /* = */) {
        pos = this.skip(buf, start, 'BodyLength is not the second field', sohAfterBegin + 1);
        continue;
      }
      const lengthStart = sohAfterBegin + 3;
      const sohAfterLength = buf.indexOf(SOH, lengthStart);
      if (sohAfterLength < 0) {
        if (buf.length - lengthStart > 10) {
          pos = this.skip(buf, start, 'BodyLength not terminated', lengthStart);
          continue;
        }
        break;
      }
      const bodyLength = bodyLengthAt(buf, lengthStart, sohAfterLength);
      if (bodyLength < 0 || bodyLength > this.maxBodyLength) {
        pos = this.skip(buf, start, 'invalid BodyLength', sohAfterLength + 1);
        continue;
      }
      const bodyStart = sohAfterLength + 1;
      const trailerAt = bodyStart + bodyLength;
      const end = trailerAt + 7;
      // Another message begins before this one would end: this one is garbled (a BodyLength too
      // large, a CheckSum cut short). Resume at the other one rather than wait or swallow it.
      const next = buf.indexOf(BEGIN_44, start + 1);
      if (next >= 0 && next < end) {
        this.onGarbage('another BeginString inside the message', buf.slice(start, next));
        pos = next;
        continue;
      }
      if (buf.length < end) break; // need more bytes
      if (
        buf.charCodeAt(trailerAt) === 49 /* 1 */ && buf.charCodeAt(trailerAt + 1) === 48 /* 0 */ &&
        buf.charCodeAt(trailerAt + 2) === 61 && isDigit(buf.charCodeAt(trailerAt + 3)) && isDigit(buf.charCodeAt(trailerAt + 4)) &&
        isDigit(buf.charCodeAt(trailerAt + 5)) && buf.charCodeAt(trailerAt + 6) === 1 && buf.charCodeAt(trailerAt - 1) === 1
      ) {
        const frame = buf.slice(start, end);
        pos = end;
        // The sum is compared as a number: no strings for a frame whose CheckSum is right.
        let sum = 0;
        for (let i = start; i < trailerAt; i++) sum += buf.charCodeAt(i);
        const stated = (buf.charCodeAt(trailerAt + 3) - 48) * 100 + (buf.charCodeAt(trailerAt + 4) - 48) * 10 + (buf.charCodeAt(trailerAt + 5) - 48);
        if (stated === (sum & 255)) this.onFrame(frame);
        else this.onGarbage(`CheckSum ${frame.slice(-4, -1)} should be ${checksum(frame, trailerAt - start)}`, frame);
        continue;
      }
      // No well-formed CheckSum where BodyLength points: skip to the next BeginString, or drop
      // what is here (keeping a trailing partial field) until one arrives.
      if (next >= 0) {
        this.onGarbage('no CheckSum where BodyLength points', buf.slice(start, next));
        pos = next;
        continue;
      }
      const keepFrom = partialBeginAt(buf, start + 1);
      this.onGarbage('no CheckSum where BodyLength points', buf.slice(start, keepFrom));
      pos = keepFrom;
    }
    this.buffer = pos >= buf.length ? '' : buf.slice(pos);
  }

  /**
   * Reports the garbage from `start` and returns where to resume: at `to`, but never past the
   * next "8=FIX.4.4", nor past the start of one still arriving at the end of the buffer.
   */
  private skip(buf: string, start: number, reason: string, to: number): number {
    const resync = buf.indexOf(BEGIN_44, start + 1);
    const at = Math.min(resync >= 0 ? resync : to, to, partialBeginAt(buf, start + 1));
    this.onGarbage(reason, buf.slice(start, at));
    return at;
  }
}

/**
 * Where the bytes worth keeping begin when no frame starts after `from`: at a tail that could
 * still grow into a BeginString (a prefix of "8=FIX.4.4", or a short field starting "8=" after
 * an SOH); else nothing is kept.
 */
function partialBeginAt(buf: string, from: number): number {
  for (let p = Math.max(from, buf.length - BEGIN_44.length); p < buf.length; p++) {
    if (buf.charCodeAt(p) === 56 /* 8 */ && BEGIN_44.startsWith(buf.slice(p))) return p;
  }
  const field = Math.max(from, buf.lastIndexOf(SOH) + 1);
  return buf.length - field <= 16 && buf.startsWith('8', field) && (field === from || buf.charCodeAt(field - 1) === 1) ? field : buf.length;
}

/** The BodyLength written in buf[from, end) if it is 1 to 9 digits, else -1. */
function bodyLengthAt(buf: string, from: number, end: number): number {
  if (end <= from || end - from > 9) return -1;
  let n = 0;
  for (let i = from; i < end; i++) {
    const d = buf.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The next frame start: "8=" opening a field (at `from` or after an SOH), or "8=FIX.4.4" anywhere. */
function findFrameStart(buf: string, from: number): number {
  let i = buf.indexOf('8=', from);
  while (i > from && buf.charCodeAt(i - 1) !== 1) i = buf.indexOf('8=', i + 1);
  const anywhere = buf.indexOf(BEGIN_44, from);
  return i < 0 ? anywhere : anywhere < 0 ? i : Math.min(i, anywhere);
}
