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

/**
 * Tags below this are looked up in arrays indexed by tag (every standard FIX 4.4 tag and the
 * common user-defined ones); larger or negative ones in Sets, a path real traffic rarely takes.
 */
const TAG_TABLE_SIZE = 16_384;

/** A set of tags emptied in O(1) for each message: a tag is in it when its stamp is the current one. */
class TagStamps {
  private readonly stamps = new Uint32Array(TAG_TABLE_SIZE);
  private readonly others = new Set<number>();
  private current = 0;

  clear(): void {
    if (++this.current === 0xffff_ffff) {
      this.stamps.fill(0);
      this.current = 1;
    }
    if (this.others.size > 0) this.others.clear();
  }

  has(tag: number): boolean {
    return tag >= 0 && tag < TAG_TABLE_SIZE ? this.stamps[tag] === this.current : this.others.has(tag);
  }

  add(tag: number): void {
    if (tag >= 0 && tag < TAG_TABLE_SIZE) this.stamps[tag] = this.current;
    else this.others.add(tag);
  }
}

/** What a check needs of the tags seen so far at one level: the stamped sets, or a plain Set inside a group. */
type SeenTags = Pick<TagStamps, 'has' | 'add'>;

export class Validator {
  private readonly trailerTags: ReadonlySet<number>;
  private readonly msgTypes: ReadonlySet<string>;
  /** Field definitions by tag (below TAG_TABLE_SIZE), so a field's check starts with an array read. */
  private readonly defsByTag: Array<FieldDef | undefined> = [];
  /** One answer per message type: a valid message allocates no result. */
  private readonly valid = new Map<MessageDef, ValidationResult>();
  /** Every tag of the message being checked, and the tags seen per level; reused, as a check runs to its end synchronously. */
  private readonly present = new TagStamps();
  private readonly seenHeader = new TagStamps();
  private readonly seenBody = new TagStamps();
  private readonly seenTrailer = new TagStamps();

  constructor(readonly dictionary: Dictionary) {
    this.trailerTags = dictionary.trailer.fields;
    this.msgTypes = dictionary.fieldsByTag.get(35)?.values ?? new Set(dictionary.messages.keys());
    for (const [tag, def] of dictionary.fieldsByTag) if (tag >= 0 && tag < TAG_TABLE_SIZE) this.defsByTag[tag] = def;
    for (const def of dictionary.messages.values()) this.valid.set(def, Object.freeze({ ok: true, def }));
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

    // Required fields anywhere in the message (as a search of the whole message would find them).
    const present = this.present;
    present.clear();
    for (let t = 0; t < tags.length; t++) present.add(tags[t]!);
    for (const tag of header.required) if (!present.has(tag)) throw new Failure(SessionRejectReason.RequiredTagMissing, tag);
    for (const tag of def.required) if (!present.has(tag)) throw new Failure(SessionRejectReason.RequiredTagMissing, tag);
    for (const tag of this.dictionary.trailer.required) if (!present.has(tag)) throw new Failure(SessionRejectReason.RequiredTagMissing, tag);

    // Header (after BeginString, BodyLength, MsgType), then body, then trailer.
    let i = 3;
    const seenHeader = this.seenHeader;
    seenHeader.clear();
    seenHeader.add(8);
    seenHeader.add(9);
    seenHeader.add(35);
    while (i < end && header.fields.has(tags[i]!)) i = this.checkLevelField(msg, i, header, seenHeader, end);
    const seenBody = this.seenBody;
    seenBody.clear();
    while (i < end) i = this.checkLevelField(msg, i, def, seenBody, end);
    const seenTrailer = this.seenTrailer;
    seenTrailer.clear();
    for (let t = end; t < tags.length; t++) this.checkField(msg, t, seenTrailer);
    return this.valid.get(def)!;
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
  private checkLevelField(msg: FixMessage, i: number, level: MemberSet, seen: SeenTags, end: number): number {
    const tag = msg.tags[i]!;
    this.checkField(msg, i, seen);
    if (!level.fields.has(tag)) throw new Failure(SessionRejectReason.TagNotDefinedForMessageType, tag);
    if (level.groups.size === 0) return i + 1;
    const group = level.groups.get(tag);
    return group ? this.checkGroup(msg, i, group, end) : i + 1;
  }

  private checkField(msg: FixMessage, i: number, seen: SeenTags): void {
    const tag = msg.tags[i]!;
    if (seen.has(tag)) throw new Failure(SessionRejectReason.TagAppearsMoreThanOnce, tag);
    seen.add(tag);
    const start = msg.valueStart(i);
    const end = msg.valueEnd(i);
    if (start === end) throw new Failure(SessionRejectReason.TagSpecifiedWithoutValue, tag);
    const def = tag >= 0 && tag < TAG_TABLE_SIZE ? this.defsByTag[tag] : this.dictionary.fieldsByTag.get(tag);
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
