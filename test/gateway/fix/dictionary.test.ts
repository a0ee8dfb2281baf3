import { describe, expect, it } from 'vitest';
import { loadDictionary, parseDictionary } from '../../../server/src/gateway/fix/dictionary.js';
import { Validator } from '../../../server/src/gateway/fix/validator.js';
import { now, parse, SUBSET_DICTIONARY } from './helpers.js';

const dict = loadDictionary(SUBSET_DICTIONARY);
const validator = new Validator(dict);
const HDR = () => `49=CLIENT|56=EXCH|34=2|52=${now()}|`;
const ORDER_BODY = `11=ID1|21=1|55=BTC-USD|54=1|60=${now()}|38=1.5|40=2|44=100.25|`;

function reject(text: string) {
  const r = validator.validate(parse(text));
  if (r.ok) throw new Error('expected a failure');
  return r;
}

describe('FIX dictionary (QuickFIX XML)', () => {
  it('loads the subset with its messages, header and groups', () => {
    expect(dict.beginString).toBe('FIX.4.4');
    expect([...dict.messages.keys()].sort()).toEqual(['0', '1', '2', '3', '4', '5', '8', '9', 'A', 'D', 'F', 'G', 'H', 'j', 'q', 'r', 'R', 'S', 'Z', 'AG', 'AI', 'AJ', 'V', 'W', 'X', 'Y', 'x', 'y'].sort());
    const nos = dict.messages.get('D')!;
    expect(nos.category).toBe('app');
    expect([...nos.required].sort((a, b) => a - b)).toEqual([11, 40, 54, 55, 60]);
    const parties = nos.groups.get(453)!;
    expect(parties.delimiter).toBe(448);
    expect(parties.groups.get(802)?.delimiter).toBe(523);
    expect(dict.header.groups.get(627)?.delimiter).toBe(628);
    expect(dict.fieldsByTag.get(54)?.values).toEqual(new Set(['1', '2']));
  });

  it('expands components and keeps fields of optional components optional', () => {
    const q = dict.messages.get('q')!;
    expect(q.fields.has(55)).toBe(true);
    expect(q.required.has(55)).toBe(false);
    expect(dict.messages.get('F')!.required.has(55)).toBe(true);
  });

  it('carries the book sequence on market data: RptSeq(83) on W and in each X entry (the venue additions)', () => {
    expect(dict.messages.get('W')!.fields.has(83)).toBe(true);
    expect(dict.messages.get('W')!.required.has(83)).toBe(false);
    expect(dict.messages.get('X')!.groups.get(268)!.fields.has(83)).toBe(true);
    expect(dict.messages.get('V')!.fields.has(83)).toBe(false);
  });

  it('rejects malformed dictionaries', () => {
    expect(() => parseDictionary("<fix major='4' minor='4'><header/><trailer/><messages><message name='X' msgtype='X'><field name='Nope' required='Y'/></message></messages><fields/></fix>")).toThrow(/Nope/);
    expect(() => parseDictionary('<fix><header>')).toThrow();
  });
});

describe('FIX validator', () => {
  it('accepts a well-formed NewOrderSingle with groups', () => {
    const r = validator.validate(parse(`35=D|${HDR()}${ORDER_BODY}453=2|448=P1|447=D|452=3|802=1|523=S|803=1|448=P2|386=1|336=X|`));
    expect(r.ok).toBe(true);
  });

  it('accepts a group whose count is zero', () => {
    expect(validator.validate(parse(`35=D|${HDR()}${ORDER_BODY}386=0|`)).ok).toBe(true);
  });

  it.each([
    ['unknown tag', `35=0|${HDR()}999=HI|`, 0, 999],
    ['tag zero', `35=0|${HDR()}0=HI|`, 0, 0],
    ['negative tag', `35=0|${HDR()}-1=HI|`, 0, -1],
    ['tag not defined for the message type', `35=0|${HDR()}55=MSFT|`, 2, 55],
    ['required header tag missing', `35=0|49=CLIENT|34=2|52=${now()}|`, 1, 56],
    ['required body tag missing', `35=D|${HDR()}11=ID1|54=1|60=${now()}|38=1|40=2|`, 1, 55],
    ['tag without value', `35=0|${HDR()}112=|`, 4, 112],
    ['incorrect enumerated value', `35=D|${HDR()}11=ID1|55=X|54=7|60=${now()}|38=1|40=2|`, 5, 54],
    ['incorrect data format', `35=D|${HDR()}11=ID1|55=X|54=1|60=${now()}|38=abc|40=2|`, 6, 38],
    ['bad timestamp format', `35=D|${HDR()}11=ID1|55=X|54=1|60=2024-01-01|38=1|40=2|`, 6, 60],
    ['header field after a body field', `35=D|49=CLIENT|56=EXCH|52=${now()}|11=ID1|34=2|55=X|54=1|60=${now()}|38=1|40=2|`, 14, 34],
    ['repeated tag', `35=D|${HDR()}11=ID|21=1|40=1|40=2|54=1|38=200.00|55=INTC|60=${now()}|`, 13, 40],
    ['NumInGroup count larger than the instances', `35=D|${HDR()}${ORDER_BODY}386=3|336=PRE|336=AFTER|`, 16, 386],
    ['NumInGroup count smaller than the instances', `35=D|${HDR()}${ORDER_BODY}453=1|448=A|448=B|`, 16, 453],
    ['group instance not starting with its delimiter', `35=D|${HDR()}${ORDER_BODY}453=1|452=3|448=A|`, 15, 452],
    ['group members out of dictionary order', `35=D|${HDR()}${ORDER_BODY}453=1|448=A|452=3|447=D|`, 15, 447],
    ['nested group count wrong', `35=D|${HDR()}${ORDER_BODY}453=1|448=A|802=2|523=S|`, 16, 802],
    ['NumInGroup not a number', `35=D|${HDR()}${ORDER_BODY}386=x|`, 6, 386],
    ['invalid MsgType', `35=*|${HDR()}`, 11, undefined],
  ])('rejects %s', (_name, text, reason, tag) => {
    const r = reject(text);
    expect(r.kind).toBe('reject');
    if (r.kind !== 'reject') return;
    expect(r.reason).toBe(reason);
    expect(r.tag).toBe(tag);
  });

  it('reports a FIX 4.4 message type outside the subset as unsupported, not invalid', () => {
    expect(reject(`35=7|${HDR()}2=AD1|5=N|55=X|4=B|53=1|`).kind).toBe('unsupported-msg-type');
  });

  it('checks field by field in wire order, and required tags before any field value', () => {
    // The first Side is already out of range before the repetition is reached.
    expect((reject(`35=D|${HDR()}11=ID1|55=X|54=9|54=1|60=${now()}|38=1|40=2|`) as { reason: number }).reason).toBe(5);
    expect((reject(`35=D|${HDR()}11=ID1|55=X|54=1|54=9|60=${now()}|38=1|40=2|`) as { reason: number }).reason).toBe(13);
    expect((reject(`35=D|${HDR()}11=ID1|54=9|60=${now()}|38=1|40=2|`) as { reason: number }).reason).toBe(1);
  });

  it('knows the standard Instrument fields of the accepted messages, with their types and enums', () => {
    expect(validator.validate(parse(`35=D|${HDR()}11=ID1|55=X|167=CS|54=1|60=${now()}|38=1|40=2|`)).ok).toBe(true);
    expect(validator.validate(parse(`35=F|${HDR()}41=ID1|11=ID2|55=X|460=2|167=FUT|200=202512|54=1|60=${now()}|`)).ok).toBe(true);
    const bad = reject(`35=D|${HDR()}11=ID1|55=X|167=NOT-A-TYPE|54=1|60=${now()}|38=1|40=2|`) as { reason: number; tag: number };
    expect([bad.reason, bad.tag]).toEqual([5, 167]);
    const badFormat = reject(`35=D|${HDR()}11=ID1|55=X|231=lots|54=1|60=${now()}|38=1|40=2|`) as { reason: number; tag: number };
    expect([badFormat.reason, badFormat.tag]).toEqual([6, 231]);
  });

  it('knows the OTC quote messages: QuoteRequest with its instrument group, QuoteResponse (pass only), and the accept as OrdType D with QuoteID', () => {
    expect(validator.validate(parse(`35=R|${HDR()}131=QR1|146=1|55=BTC-USD|54=1|38=0.5|`)).ok).toBe(true);
    expect(validator.validate(parse(`35=R|${HDR()}131=QR2|146=1|55=BTC-USD|152=1000|62=${now(5000)}|`)).ok).toBe(true);
    expect(validator.validate(parse(`35=AJ|${HDR()}693=P1|117=7|694=6|55=BTC-USD|`)).ok).toBe(true);
    expect(validator.validate(parse(`35=D|${HDR()}11=ID1|55=BTC-USD|54=1|60=${now()}|40=D|117=7|`)).ok).toBe(true);
    const noGroup = reject(`35=R|${HDR()}131=QR3|`) as { reason: number; tag: number };
    expect([noGroup.reason, noGroup.tag]).toEqual([1, 146]);
    const hit = reject(`35=AJ|${HDR()}693=P2|117=7|694=1|55=BTC-USD|`) as { reason: number; tag: number };
    expect([hit.reason, hit.tag]).toEqual([5, 694]);
  });

  it('checks each value of a multiple-value field', () => {
    expect(validator.validate(parse(`35=D|${HDR()}${ORDER_BODY}18=6|`)).ok).toBe(true);
    expect((reject(`35=D|${HDR()}${ORDER_BODY}18=6 G|`) as { reason: number }).reason).toBe(5);
  });
});
