import { describe, expect, it } from 'vitest';
import { loadDictionary } from '../../../server/src/gateway/fix/dictionary.js';
import { SessionRejectReason, Validator } from '../../../server/src/gateway/fix/validator.js';
import { now, parse, SUBSET_DICTIONARY } from './helpers.js';

// One validator checks every message of an acceptor, reusing its tables of seen tags: nothing
// one message leaves in them may change the verdict on the next.
const validator = new Validator(loadDictionary(SUBSET_DICTIONARY));
const HDR = () => `49=CLIENT|56=EXCH|34=2|52=${now()}|`;
const ORDER = () => `35=D|${HDR()}11=ID1|55=BTC-USD|54=1|60=${now()}|38=1.5|40=2|44=100.25|`;

describe('validator: one instance, message after message', () => {
  it('finds a required field missing after a message that had it', () => {
    expect(validator.validate(parse(ORDER())).ok).toBe(true);
    const r = validator.validate(parse(`35=D|${HDR()}11=ID1|55=BTC-USD|60=${now()}|38=1.5|40=2|44=100.25|`));
    expect(r).toMatchObject({ ok: false, reason: SessionRejectReason.RequiredTagMissing, tag: 54 });
  });

  it('does not take a field of an earlier message for a repeat in the next', () => {
    for (let i = 0; i < 3; i++) expect(validator.validate(parse(ORDER())).ok).toBe(true);
  });

  it('still finds a field repeated within one message, in the header and in the body', () => {
    expect(validator.validate(parse(`35=D|${HDR()}49=CLIENT|11=ID1|55=BTC-USD|54=1|60=${now()}|38=1.5|40=2|`)))
      .toMatchObject({ ok: false, reason: SessionRejectReason.TagAppearsMoreThanOnce, tag: 49 });
    expect(validator.validate(parse(`35=D|${HDR()}11=ID1|55=BTC-USD|54=1|54=1|60=${now()}|38=1.5|40=2|`)))
      .toMatchObject({ ok: false, reason: SessionRejectReason.TagAppearsMoreThanOnce, tag: 54 });
    expect(validator.validate(parse(ORDER())).ok).toBe(true);
  });

  it('answers a tag beyond its tables as before: an undefined user-defined tag', () => {
    expect(validator.validate(parse(`35=D|${HDR()}11=ID1|55=BTC-USD|54=1|60=${now()}|38=1.5|40=2|123456=x|`)))
      .toMatchObject({ ok: false, reason: SessionRejectReason.UndefinedTag, tag: 123456 });
    expect(validator.validate(parse(ORDER())).ok).toBe(true);
  });
});
