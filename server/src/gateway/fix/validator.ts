/**
 * Checks a parsed message against the dictionary, in the order QuickFIX's DataDictionary
 * uses: structure (header, body, trailer order), MsgType, required fields, then field by
 * field (repeated, empty, format, enumerated value, known tag, defined for the message type)
 * with repeating groups checked for delimiter, member order and NumInGroup count.
 */
import type { FixMessage } from './codec.js';
import type { Dictionary, FieldDef, GroupDef, MemberSet, MessageDef } from './dictionary.js';
import { parseUtcTimestamp } from './time.js';

export const SessionRejectReason = {
  InvalidTagNumber: 0,
  RequiredTagMissing: 1,
  TagNotDefinedForMessageType: 2,
  UndefinedTag: 3,
  TagSpecifiedWithoutValue: 4,
  ValueIncorrect: 5,
  IncorrectDataFormat: 6,
  DecryptionProblem: 7,
  SignatureProblem: 8,
  CompIdProblem: 9,
  SendingTimeAccuracyProblem: 10,
  InvalidMsgType: 11,
  TagAppearsMoreThanOnce: 13,
  TagOutOfOrder: 14,
  RepeatingGroupFieldsOutOfOrder: 15,
  IncorrectNumInGroupCount: 16,
  Other: 99,
} as const;

export const REJECT_REASON_TEXT: Readonly<Record<number, string>> = {
  0: 'Invalid tag number',
  1: 'Required tag missing',
  2: 'Tag not defined for this message type',
  3: 'Undefined Tag',
  4: 'Tag specified without a value',
  5: 'Value is incorrect (out of range) for this tag',
  6: 'Incorrect data format for value',
  7: 'Decryption problem',
  8: 'Signature problem',
  9: 'CompID problem',
  10: 'SendingTime accuracy problem',
  11: 'Invalid MsgType',
  13: 'Tag appears more than once',
  14: 'Tag specified out of required order',
  15: 'Repeating group fields out of order',
  16: 'Incorrect NumInGroup count for repeating group',
  99: 'Other',
};

export type ValidationResult =
  | { ok: true; def: MessageDef }
  /** A session-level Reject (35=3) is due. */
  | { ok: false; kind: 'reject'; reason: number; tag?: number; text: string }
  /** A FIX 4.4 message type this dictionary does not define: a BusinessMessageReject is due. */
  | { ok: false; kind: 'unsupported-msg-type' };

/**
 * Tags from 5000 up are the user-defined range: legal tag numbers whose meaning counterparties
 * agree between them. One this venue has not defined is an "Undefined Tag" (3); a number below
 * it that FIX 4.4 does not define, or zero or less, is an "Invalid tag number" (0). A FIX 4.4
 * field in a message that does not define it is "Tag not defined for this message type" (2).
 */
export const FIRST_USER_DEFINED_TAG = 5000;

class Failure {
  constructor(readonly reason: number, readonly tag?: number) {}
}

const INT = /^-?\d+$/;
const UINT = /^\d+$/;
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;
const DATE = /^\d{8}$/;
const TIME_ONLY = /^\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;
const MONTH_YEAR = /^\d{6}(?:\d{2}|w\d)?$/;

/** True when the value has the format its dictionary type requires. */
export function hasValidFormat(def: FieldDef, value: string): boolean {
  switch (def.type) {
    case 'INT':
    case 'DAYOFMONTH':
    case 'TAGNUM':
      return INT.test(value);
    case 'LENGTH':
    case 'SEQNUM':
    case 'NUMINGROUP':
      return UINT.test(value);
    case 'FLOAT':
    case 'QTY':
    case 'PRICE':
    case 'PRICEOFFSET':
    case 'AMT':
    case 'PERCENTAGE':
      return DECIMAL.test(value);
    case 'CHAR':
      return value.length === 1;
    case 'BOOLEAN':
      return value === 'Y' || value === 'N';
    case 'UTCTIMESTAMP':
      return parseUtcTimestamp(value) !== undefined;
    case 'UTCTIMEONLY':
      return TIME_ONLY.test(value);
    case 'UTCDATEONLY':
    case 'UTCDATE':
    case 'LOCALMKTDATE':
      return DATE.test(value);
    case 'MONTHYEAR':
      return MONTH_YEAR.test(value);
    default:
      return true;
  }
}

/**
 * hasValidFormat for the value in text[start, end) (not empty) without cutting it out;
 * undefined for the dates and times, which are checked on the value itself.
 */
export function hasValidFormatAt(type: string, text: string, start: number, end: number): boolean | undefined {
  switch (type) {
    case 'INT':
    case 'DAYOFMONTH':
    case 'TAGNUM':
      return digitsAt(text, text.charCodeAt(start) === 45 /* - */ ? start + 1 : start, end);
    case 'LENGTH':
    case 'SEQNUM':
    case 'NUMINGROUP':
      return digitsAt(text, start, end);
    case 'FLOAT':
    case 'QTY':
    case 'PRICE':
    case 'PRICEOFFSET':
    case 'AMT':
    case 'PERCENTAGE':
      return decimalAt(text, start, end);
    case 'CHAR':
      return end - start === 1;
    case 'BOOLEAN': {
      const c = text.charCodeAt(start);
      return end - start === 1 && (c === 89 /* Y */ || c === 78 /* N */);
    }
    case 'UTCTIMESTAMP':
    case 'UTCTIMEONLY':
    case 'UTCDATEONLY':
    case 'UTCDATE':
    case 'LOCALMKTDATE':
    case 'MONTHYEAR':
      return undefined;
    default:
      // Strings and the other free-form types: any value has their format.
      return true;
  }
}

/** At least one digit, and only digits, in text[from, end). */
function digitsAt(text: string, from: number, end: number): boolean {
  if (from >= end) return false;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** DECIMAL in place: an optional minus, then digits with at most one point, and at least one digit. */
function decimalAt(text: string, start: number, end: number): boolean {
  let i = text.charCodeAt(start) === 45 /* - */ ? start + 1 : start;
  let digits = 0;
  let point = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 /* . */ && !point) point = true;
    else return false;
  }
  return digits > 0;
}

function hasValidValue(def: FieldDef, value: string): boolean {
  if (!def.values) return true;
  if (def.type === 'MULTIPLEVALUESTRING' || def.type === 'MULTIPLECHARVALUE' || def.type === 'MULTIPLESTRINGVALUE') {
    return value.split(' ').every((v) => def.values!.has(v));
  }
  return def.values.has(value);
}

export class Validator {
  private readonly trailerTags: ReadonlySet<number>;
  private readonly msgTypes: ReadonlySet<string>;
  /** Tags seen per level of the message being checked; reused (cleared) for each message, as a check runs to its end synchronously. */
  private readonly seenHeader = new Set<number>();
  private readonly seenBody = new Set<number>();
  private readonly seenTrailer = new Set<number>();

  constructor(readonly dictionary: Dictionary) {
    this.trailerTags = dictionary.trailer.fields;
    this.msgTypes = dictionary.fieldsByTag.get(35)?.values ?? new Set(dictionary.messages.keys());
  }

  validate(msg: FixMessage): ValidationResult {
    try {
      return this.check(msg);
    } catch (e) {
      if (e instanceof Failure) {
        const result: ValidationResult = { ok: false, kind: 'reject', reason: e.reason, text: REJECT_REASON_TEXT[e.reason] ?? 'Other' };
        if (e.tag !== undefined) result.tag = e.tag;
        return result;
      }
      throw e;
    }
  }

  private check(msg: FixMessage): ValidationResult {
    const { tags } = msg;
    const header = this.dictionary.header;
    const end = this.checkStructure(msg);

    const msgType = msg.msgType;
    const def = this.dictionary.messages.get(msgType);
    if (!def) {
      if (msgType !== '' && this.msgTypes.has(msgType)) return { ok: false, kind: 'unsupported-msg-type' };
      throw new Failure(SessionRejectReason.InvalidMsgType);
    }

    for (const tag of header.required) if (!msg.has(tag)) throw new Failure(SessionRejectReason.RequiredTagMissing, tag);
    for (const tag of def.required) if (!msg.has(tag)) throw new Failure(SessionRejectReason.RequiredTagMissing, tag);
    for (const tag of this.dictionary.trailer.required) if (!msg.has(tag)) throw new Failure(SessionRejectReason.RequiredTagMissing, tag);

    // Header (after BeginString, BodyLength, MsgType), then body, then trailer.
    let i = 3;
    const seenHeader = this.seenHeader;
    seenHeader.clear();
    seenHeader.add(8).add(9).add(35);
    while (i < end && header.fields.has(tags[i]!)) i = this.checkLevelField(msg, i, header, seenHeader, end);
    const seenBody = this.seenBody;
    seenBody.clear();
    while (i < end) i = this.checkLevelField(msg, i, def, seenBody, end);
    const seenTrailer = this.seenTrailer;
    seenTrailer.clear();
    for (let t = end; t < tags.length; t++) this.checkField(msg, t, seenTrailer);
    return { ok: true, def };
  }

  /** Finds where the trailer starts and fails if a header field follows a body field, or a trailer field is early. */
  private checkStructure(msg: FixMessage): number {
    const { tags } = msg;
    const header = this.dictionary.header.fields;
    let end = tags.length - 1; // CheckSum is last (the codec guarantees it)
    while (end > 3 && this.trailerTags.has(tags[end - 1]!)) end--;
    let inBody = false;
    for (let i = 3; i < end; i++) {
      const tag = tags[i]!;
      if (this.trailerTags.has(tag)) throw new Failure(SessionRejectReason.TagOutOfOrder, tag);
      if (header.has(tag)) {
        if (inBody) throw new Failure(SessionRejectReason.TagOutOfOrder, tag);
      } else {
        inBody = true;
      }
    }
    return end;
  }

  /** Checks the field at i as a member of `level`, walking into its repeating group if it has one. */
  private checkLevelField(msg: FixMessage, i: number, level: MemberSet, seen: Set<number>, end: number): number {
    const tag = msg.tags[i]!;
    this.checkField(msg, i, seen);
    if (!level.fields.has(tag)) throw new Failure(SessionRejectReason.TagNotDefinedForMessageType, tag);
    const group = level.groups.get(tag);
    return group ? this.checkGroup(msg, i, group, end) : i + 1;
  }

  private checkField(msg: FixMessage, i: number, seen: Set<number>): void {
    const tag = msg.tags[i]!;
    if (seen.has(tag)) throw new Failure(SessionRejectReason.TagAppearsMoreThanOnce, tag);
    seen.add(tag);
    const start = msg.valueStart(i);
    const end = msg.valueEnd(i);
    if (start === end) throw new Failure(SessionRejectReason.TagSpecifiedWithoutValue, tag);
    const def = this.dictionary.fieldsByTag.get(tag);
    if (!def) throw new Failure(tag >= FIRST_USER_DEFINED_TAG ? SessionRejectReason.UndefinedTag : SessionRejectReason.InvalidTagNumber, tag);
    // Numbers, characters and flags are checked where they lie in the frame; only the other
    // formats, and values checked against an enumeration, are cut out.
    const inPlace = hasValidFormatAt(def.type, msg.raw, start, end);
    if (inPlace === undefined ? !hasValidFormat(def, msg.valueAt(i)) : !inPlace) throw new Failure(SessionRejectReason.IncorrectDataFormat, tag);
    if (def.values && !hasValidValue(def, msg.valueAt(i))) throw new Failure(SessionRejectReason.ValueIncorrect, tag);
  }

  /** Walks the instances of a repeating group whose NumInGroup field is at countIndex. */
  private checkGroup(msg: FixMessage, countIndex: number, group: GroupDef, end: number): number {
    const { tags } = msg;
    const declared = Number(msg.valueAt(countIndex));
    let i = countIndex + 1;
    let instances = 0;
    if (i < end && tags[i] !== group.delimiter && group.fields.has(tags[i]!)) {
      throw new Failure(SessionRejectReason.RepeatingGroupFieldsOutOfOrder, tags[i]);
    }
    while (i < end && tags[i] === group.delimiter) {
      instances++;
      const seen = new Set<number>();
      let lastPosition = 0;
      i = this.checkLevelField(msg, i, group, seen, end);
      while (i < end && tags[i] !== group.delimiter && group.fields.has(tags[i]!)) {
        const tag = tags[i]!;
        const position = group.order.indexOf(tag);
        if (seen.has(tag)) throw new Failure(SessionRejectReason.TagAppearsMoreThanOnce, tag);
        if (position < lastPosition) throw new Failure(SessionRejectReason.RepeatingGroupFieldsOutOfOrder, tag);
        lastPosition = position;
        i = this.checkLevelField(msg, i, group, seen, end);
      }
      for (const tag of group.required) if (!seen.has(tag)) throw new Failure(SessionRejectReason.RequiredTagMissing, tag);
    }
    if (instances !== declared) throw new Failure(SessionRejectReason.IncorrectNumInGroupCount, group.countTag);
    return i;
  }
}
