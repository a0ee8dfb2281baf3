/**
 * How `npm run fix:dictionary` derives the venue dictionary from a FIX 4.4 reference dictionary
 * and venue.yaml. The real reference stays outside the repository (its licence asks that it not
 * be copied in), so these cases run on a small reference written here in the same format; CI
 * checks the committed FIX44-subset.xml against the real one wherever it is present
 * (`npm run fix:dictionary -- --check` in .ci/run).
 */
import { describe, expect, it } from 'vitest';
import { deriveFixDictionary, type VenuePolicy } from '../../../scripts/codegen/fix-dictionary.js';
import { parseDictionary } from '../../../server/src/gateway/fix/dictionary.js';

const REFERENCE = `<fix type='FIX' major='4' minor='4' servicepack='0'>
 <header>
  <field name='BeginString' required='Y' />
  <field name='BodyLength' required='Y' />
  <field name='MsgType' required='Y' />
 </header>
 <messages>
  <message name='Heartbeat' msgtype='0' msgcat='admin'>
   <field name='TestReqID' required='N' />
  </message>
  <message name='News' msgtype='B' msgcat='app'>
   <component name='LinesOfTextGrp' required='Y' />
  </message>
  <message name='NewOrderSingle' msgtype='D' msgcat='app'>
   <field name='ClOrdID' required='Y' />
   <component name='Instrument' required='Y' />
   <field name='Side' required='Y' />
  </message>
  <message name='MarketDataSnapshotFullRefresh' msgtype='W' msgcat='app'>
   <component name='Instrument' required='Y' />
   <group name='NoMDEntries' required='Y'>
    <field name='MDEntryType' required='Y' />
   </group>
  </message>
 </messages>
 <trailer>
  <field name='CheckSum' required='Y' />
 </trailer>
 <components>
  <component name='Instrument'>
   <field name='Symbol' required='N' />
  </component>
  <component name='LinesOfTextGrp'>
   <group name='NoLinesOfText' required='Y'>
    <field name='Text' required='Y' />
   </group>
  </component>
 </components>
 <fields>
  <field number='8' name='BeginString' type='STRING' />
  <field number='9' name='BodyLength' type='LENGTH' />
  <field number='10' name='CheckSum' type='STRING' />
  <field number='11' name='ClOrdID' type='STRING' />
  <field number='33' name='NoLinesOfText' type='NUMINGROUP' />
  <field number='35' name='MsgType' type='STRING'>
   <value enum='0' description='HEARTBEAT' />
   <value enum='B' description='NEWS' />
   <value enum='D' description='ORDER_SINGLE' />
   <value enum='W' description='MARKET_DATA_SNAPSHOT_FULL_REFRESH' />
  </field>
  <field number='54' name='Side' type='CHAR'>
   <value enum='1' description='BUY' />
   <value enum='2' description='SELL' />
   <value enum='3' description='BUY_MINUS' />
  </field>
  <field number='55' name='Symbol' type='STRING' />
  <field number='58' name='Text' type='STRING' />
  <field number='83' name='RptSeq' type='INT' />
  <field number='112' name='TestReqID' type='STRING' />
  <field number='268' name='NoMDEntries' type='NUMINGROUP' />
  <field number='269' name='MDEntryType' type='CHAR'>
   <value enum='0' description='BID' />
   <value enum='1' description='OFFER' />
  </field>
 </fields>
</fix>
`;

const POLICY: VenuePolicy = {
  messages: { admin: ['0'], accepted: ['D'], sent: ['W'] },
  values: { Side: ['1', '2'] },
  required: { Instrument: ['Symbol'] },
  additions: { MarketDataSnapshotFullRefresh: ['RptSeq'] },
  extensions: { MDEntryType: [{ enum: '2', description: 'TRADE' }] },
};

const policy = (change: Partial<VenuePolicy>): VenuePolicy => ({ ...POLICY, ...change });

describe('deriving the venue dictionary from a FIX 4.4 reference', () => {
  const xml = deriveFixDictionary(REFERENCE, POLICY);
  const derived = parseDictionary(xml);
  const reference = parseDictionary(REFERENCE);

  it('keeps the standard header and trailer and every field with its number, name and type', () => {
    expect(derived.header.order).toEqual([8, 9, 35]);
    expect(derived.trailer.order).toEqual([10]);
    expect([...derived.fieldsByTag.keys()].sort((a, b) => a - b)).toEqual([...reference.fieldsByTag.keys()].sort((a, b) => a - b));
    for (const [tag, ref] of reference.fieldsByTag) expect([derived.fieldsByTag.get(tag)?.name, derived.fieldsByTag.get(tag)?.type]).toEqual([ref.name, ref.type]);
  });

  it('keeps only the listed messages, and only the components they reach', () => {
    expect([...derived.messages.keys()].sort()).toEqual(['0', 'D', 'W']);
    expect(xml).toContain("<component name='Instrument'>");
    expect(xml).not.toContain('LinesOfTextGrp');
  });

  it('narrows the values the venue narrows and leaves the others as FIX 4.4 has them', () => {
    expect([...derived.fieldsByTag.get(54)!.values!]).toEqual(['1', '2']);
    expect([...derived.fieldsByTag.get(35)!.values!]).toEqual(['0', 'B', 'D', 'W']);
  });

  it('adds the values venue.yaml extends a field with, after FIX 4.4\'s own', () => {
    expect([...reference.fieldsByTag.get(269)!.values!]).toEqual(['0', '1']);
    expect([...derived.fieldsByTag.get(269)!.values!]).toEqual(['0', '1', '2']);
    expect(xml).toContain("<value enum='2' description='TRADE' />");
  });

  it('requires what the venue requires inside a required component', () => {
    expect(reference.messages.get('D')!.required.has(55)).toBe(false);
    expect(derived.messages.get('D')!.required.has(55)).toBe(true);
    expect([...derived.messages.get('D')!.order]).toEqual([...reference.messages.get('D')!.order]);
  });

  it('appends the venue additions, optional, after what FIX 4.4 defines', () => {
    const ours = derived.messages.get('W')!;
    const ref = reference.messages.get('W')!;
    expect(ours.order).toEqual([...ref.order, 83]);
    expect(ours.required.has(83)).toBe(false);
  });

  it('refuses a policy that names what FIX 4.4 does not define', () => {
    expect(() => deriveFixDictionary(REFERENCE, policy({ messages: { admin: ['0'], accepted: ['ZZ'], sent: [] } }))).toThrow(/no message with MsgType ZZ/);
    expect(() => deriveFixDictionary(REFERENCE, policy({ values: { Side: ['1', '9'] } }))).toThrow(/9 is not a FIX 4.4 value of Side/);
    expect(() => deriveFixDictionary(REFERENCE, policy({ required: { Instrument: ['Nope'] } }))).toThrow(/FIX 4.4 has no field Nope/);
    expect(() => deriveFixDictionary(REFERENCE, policy({ additions: { LinesOfTextGrp: ['RptSeq'] } }))).toThrow(/neither a chosen message nor a component one uses/);
    expect(() => deriveFixDictionary(REFERENCE, policy({ extensions: { Side: [{ enum: '2', description: 'SELL' }] } }))).toThrow(/extension 2 of Side is already a FIX 4.4 value/);
  });

  it('writes the same bytes for the same inputs', () => {
    expect(deriveFixDictionary(REFERENCE, POLICY)).toBe(xml);
  });
});
