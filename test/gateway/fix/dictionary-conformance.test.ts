/**
 * The venue's dictionary is FIX 4.4's (derived from the reference dictionary: see
 * dictionary-derivation.test.ts and `npm run fix:dictionary -- --check`): every standard
 * field of every message we take is known with its FIX 4.4 type and values, and each kind of
 * bad field gets its own SessionRejectReason. The cases are built from the dictionary itself,
 * message by message and field by field, so a message added to api-spec/fix/venue.yaml is
 * covered without a new test.
 */
import { describe, expect, it } from 'vitest';
import { DATA_LENGTH_TAGS, encodeMessage, FrameDecoder, parseFrame, type Field, type FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { loadDictionary, type FieldDef, type GroupDef, type MemberSet } from '../../../server/src/gateway/fix/dictionary.js';
import { SessionRejectReason as R, Validator } from '../../../server/src/gateway/fix/validator.js';
import { now, SUBSET_DICTIONARY } from './helpers.js';

const dict = loadDictionary(SUBSET_DICTIONARY);
const validator = new Validator(dict);
const HEADER_TAGS = new Set([...dict.header.fields, ...dict.trailer.fields]);
const NUMERIC = new Set(['INT', 'LENGTH', 'SEQNUM', 'NUMINGROUP', 'DAYOFMONTH', 'TAGNUM', 'FLOAT', 'QTY', 'PRICE', 'PRICEOFFSET', 'AMT', 'PERCENTAGE']);
/** Types whose format the validator checks (the rest are free text). */
const FORMATTED = new Set([...NUMERIC, 'CHAR', 'BOOLEAN', 'UTCTIMESTAMP', 'UTCTIMEONLY', 'UTCDATEONLY', 'UTCDATE', 'LOCALMKTDATE', 'MONTHYEAR']);

describe('the venue dictionary', () => {
  it('extends FIX 4.4 only with ExecType L, for a triggered stop', () => {
    expect(dict.fieldsByName.get('ExecType')!.values!.has('L')).toBe(true);
  });

  it('frames every data field by its length field', () => {
    for (const def of dict.fieldsByTag.values()) {
      if (def.type !== 'DATA') continue;
      const lengthTag = DATA_LENGTH_TAGS.get(def.tag);
      expect(lengthTag, `${def.name}(${def.tag})`).toBeDefined();
      expect(dict.fieldsByTag.get(lengthTag!)?.type, `${def.name}'s length field`).toBe('LENGTH');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Messages built from the dictionary, then broken one field at a time.
// ---------------------------------------------------------------------------------------------

function validValue(def: FieldDef): string {
  if (def.values) return [...def.values][0]!;
  if (NUMERIC.has(def.type)) return '1';
  switch (def.type) {
    case 'BOOLEAN': return 'Y';
    case 'UTCTIMESTAMP': return now();
    case 'UTCTIMEONLY': return '12:00:00';
    case 'UTCDATEONLY': case 'UTCDATE': case 'LOCALMKTDATE': return '20250101';
    case 'MONTHYEAR': return '202501';
    default: return 'X';
  }
}

/** A value of the right format that FIX 4.4 (or the venue) does not allow for the field. */
function outOfRange(def: FieldDef): string {
  if (NUMERIC.has(def.type)) return '987654';
  return def.type === 'CHAR' ? '~' : '~~';
}

const field = (tag: number, value?: string): Field => [tag, value ?? validValue(dict.fieldsByTag.get(tag)!)];

/** The required fields of one level, with one instance of each required group. */
function requiredFields(level: MemberSet): Field[] {
  const out: Field[] = [];
  for (const tag of level.order) {
    if (!level.required.has(tag)) continue;
    const group = level.groups.get(tag);
    out.push(...(group ? [field(tag, '1'), ...instance(group)] : [field(tag)]));
  }
  return out;
}

function instance(group: GroupDef): Field[] {
  const rest = requiredFields(group).filter(([t]) => t !== group.delimiter);
  return [field(group.delimiter), ...rest];
}

/** Every tag of a level, its repeating groups' included. */
function allTags(level: MemberSet): Set<number> {
  const tags = new Set(level.fields);
  for (const group of level.groups.values()) for (const t of allTags(group)) tags.add(t);
  return tags;
}

const header = (type: string): Field[] => [[35, type], [49, 'CLIENT'], [56, 'EXCH'], [34, '2'], [52, now()]];

function message(type: string, body: Field[]): FixMessage {
  let out: FixMessage | undefined;
  new FrameDecoder((f) => { out = parseFrame(f); }).push(encodeMessage('FIX.4.4', [...header(type), ...body]));
  return out!;
}

/** Sets `tag` to `value` where the minimal body has it, or puts it first in the body. */
function withField(body: Field[], tag: number, value: string): Field[] {
  const at = body.findIndex(([t]) => t === tag);
  return at >= 0 ? body.map((f, i): Field => (i === at ? [tag, value] : f)) : [[tag, value], ...body];
}

function expectReject(type: string, body: Field[], reason: number, tag: number | undefined, what: string): void {
  const result = validator.validate(message(type, body));
  expect(result.ok ? 'accepted' : result.kind === 'reject' ? [result.reason, result.tag] : result.kind, `${type}: ${what}`).toEqual([reason, tag]);
}

const MESSAGE_TYPES = [...dict.messages.keys()];

describe.each(MESSAGE_TYPES)('MsgType %s, field by field', (type) => {
  const def = dict.messages.get(type)!;
  const minimal = requiredFields(def);
  /** Top-level fields of the message (group counts excluded; data fields need their length). */
  const plain = def.order.filter((t) => !def.groups.has(t) && dict.fieldsByTag.get(t)!.type !== 'DATA' && !DATA_LENGTH_TAGS.has(t) && ![...DATA_LENGTH_TAGS.values()].includes(t));

  it('accepts the message with its required fields only', () => {
    const result = validator.validate(message(type, minimal));
    expect(result.ok ? 'ok' : result).toBe('ok');
  });

  it('accepts every standard field of the message with a valid value', () => {
    for (const tag of plain) {
      const result = validator.validate(message(type, withField(minimal, tag, validValue(dict.fieldsByTag.get(tag)!))));
      expect(result.ok ? 'ok' : result, `${type}: ${dict.fieldsByTag.get(tag)!.name}(${tag})`).toBe('ok');
    }
  });

  it('1: required tag missing, for each required field', () => {
    for (const [tag] of minimal) {
      if (!def.required.has(tag)) continue;
      expectReject(type, minimal.filter(([t]) => t !== tag), R.RequiredTagMissing, tag, `without ${tag}`);
    }
  });

  it('0, 2, 3: a tag FIX 4.4 does not define, a FIX 4.4 tag the message does not define, a user-defined tag', () => {
    expectReject(type, [...minimal, [4999, 'X']], R.InvalidTagNumber, 4999, 'tag 4999');
    expectReject(type, [...minimal, [0, 'X']], R.InvalidTagNumber, 0, 'tag 0');
    const inMessage = allTags(def);
    const foreign = [...dict.fieldsByTag.keys()].find((t) => !inMessage.has(t) && !HEADER_TAGS.has(t) && dict.fieldsByTag.get(t)!.type !== 'DATA')!;
    expectReject(type, [...minimal, field(foreign)], R.TagNotDefinedForMessageType, foreign, `foreign tag ${foreign}`);
    expectReject(type, [...minimal, [5001, 'X']], R.UndefinedTag, 5001, 'tag 5001');
  });

  it('4: tag specified without a value, for each field', () => {
    for (const tag of plain) expectReject(type, withField(minimal, tag, ''), R.TagSpecifiedWithoutValue, tag, `${tag} empty`);
  });

  it('5: value incorrect, for each enumerated field', () => {
    for (const tag of plain) {
      const fd = dict.fieldsByTag.get(tag)!;
      if (!fd.values || fd.type === 'BOOLEAN') continue;
      expectReject(type, withField(minimal, tag, outOfRange(fd)), R.ValueIncorrect, tag, `${fd.name}=${outOfRange(fd)}`);
    }
  });

  it('6: incorrect data format, for each field with a format', () => {
    for (const tag of plain) {
      if (!FORMATTED.has(dict.fieldsByTag.get(tag)!.type)) continue;
      expectReject(type, withField(minimal, tag, 'x!'), R.IncorrectDataFormat, tag, `${tag}=x!`);
    }
  });

  it('13: a field given twice', () => {
    const tag = plain[0]!;
    const body = withField(minimal, tag, validValue(dict.fieldsByTag.get(tag)!));
    expectReject(type, [...body, field(tag)], R.TagAppearsMoreThanOnce, tag, `${tag} twice`);
  });

  it('14: a header field after the body', () => {
    const first = plain[0]!;
    const body = withField(minimal, first, validValue(dict.fieldsByTag.get(first)!));
    const fields = [...header(type).filter(([t]) => t !== 34), body[0]!, [34, '2'] as Field, ...body.slice(1)];
    let parsed: FixMessage | undefined;
    new FrameDecoder((f) => { parsed = parseFrame(f); }).push(encodeMessage('FIX.4.4', fields));
    const result = validator.validate(parsed!);
    expect(result.ok ? 'accepted' : result.kind === 'reject' ? [result.reason, result.tag] : result.kind).toEqual([R.TagOutOfOrder, 34]);
  });

  it('15, 16: each repeating group with a wrong count or out of order', () => {
    for (const [countTag, group] of def.groups) {
      const one = instance(group);
      expectReject(type, [...minimal.filter(([t]) => t !== countTag && !group.fields.has(t)), [countTag, '2'], ...one], R.IncorrectNumInGroupCount, countTag, `group ${countTag} count 2, one instance`);
      const second = group.order.find((t) => t !== group.delimiter && !group.groups.has(t));
      if (second === undefined) continue;
      const swapped: Field[] = [field(second), ...one.filter(([t]) => t !== second)];
      expectReject(type, [...minimal.filter(([t]) => t !== countTag && !group.fields.has(t)), [countTag, '1'], ...swapped], R.RepeatingGroupFieldsOutOfOrder, second, `group ${countTag} starting with ${second}`);
    }
  });
});
