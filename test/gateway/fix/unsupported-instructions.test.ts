/**
 * Standard execution instructions the venue does not carry out (MinQty, MaxFloor, pegging,
 * discretion, strategies...) refuse the order over real TCP, rather than trading it as if they
 * were absent; descriptive standard fields are accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field } from '../../../server/src/gateway/fix/codec.js';
import { loadDictionary, type FieldDef } from '../../../server/src/gateway/fix/dictionary.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { UNSUPPORTED_ORDER_FIELDS } from '../../../server/src/gateway/fix/unsupported-instructions.js';
import { loggedOn, startVenue, type FixClient, type TestVenue } from './harness.js';
import { SUBSET_DICTIONARY } from './helpers.js';

const dict = loadDictionary(SUBSET_DICTIONARY);
let venue: TestVenue;
let client: FixClient;
let n = 0;

beforeAll(async () => {
  venue = await startVenue({ clients: { UI: 'acc-ui' } });
  client = await loggedOn(venue, 'UI');
});
afterAll(async () => {
  client?.close();
  await venue?.close();
});

/** A value of the field's FIX 4.4 type (an enumerated one other than `avoid`). */
function valueOf(def: FieldDef, avoid: readonly string[] = []): string {
  if (def.values) return [...def.values].find((v) => !avoid.includes(v))!;
  switch (def.type) {
    case 'UTCTIMESTAMP': return formatUtcTimestamp(Date.now() + 60_000);
    case 'LOCALMKTDATE': case 'UTCDATEONLY': return '20991231';
    case 'STRING': return 'X';
    default: return '1';
  }
}

const order = (clOrdId: string, extra: Field[] = []): Field[] => [
  [11, clOrdId], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(Date.now())], [38, '1'], [40, '2'], [44, '10'], ...extra,
];

describe('execution instructions the venue does not carry out', () => {
  it('are FIX 4.4 fields of NewOrderSingle or OrderCancelReplaceRequest, named as FIX 4.4 names them', () => {
    const d = dict.messages.get('D')!;
    const g = dict.messages.get('G')!;
    for (const [tag, { name }] of UNSUPPORTED_ORDER_FIELDS) {
      expect(dict.fieldsByTag.get(tag)?.name, `tag ${tag}`).toBe(name);
      expect(d.fields.has(tag) || g.fields.has(tag), `${name}(${tag}) in D or G`).toBe(true);
    }
  });

  it.each([...UNSUPPORTED_ORDER_FIELDS].map(([tag, i]) => [i.name, tag, i.harmless ?? []] as const))(
    'a NewOrderSingle with %s(%i) is refused with INVALID_ORDER and places nothing',
    async (name, tag, harmless) => {
      const clOrdId = `UI-${n++}`;
      client.send('D', order(clOrdId, [[tag, valueOf(dict.fieldsByTag.get(tag)!, harmless)]]));
      const er = await client.next();
      expect([er.msgType, er.get(150), er.get(39), er.get(103), er.get(11)]).toEqual(['8', '8', '8', '11', clOrdId]);
      expect(er.get(58)).toBe(`INVALID_ORDER: ${name}(${tag}) is not supported`);
      expect(venue.bus.core.order('acc-ui', { clientOrderId: clOrdId })).toBeUndefined();
    },
  );

  it('accepts the values that ask for what the venue does anyway (PriceType 2 per unit, QtyType 0 units) and descriptive fields', async () => {
    const clOrdId = `UI-${n++}`;
    client.send('D', order(clOrdId, [[423, '2'], [854, '0'], [167, 'CS'], [21, '1'], [58, 'note']]));
    const er = await client.next();
    expect([er.msgType, er.get(150), er.get(11)]).toEqual(['8', '0', clOrdId]);
  });

  it('a replace that adds one is refused with OrderCancelReject (434=2) and leaves the order as it was', async () => {
    const clOrdId = `UI-${n++}`;
    client.send('D', order(clOrdId));
    expect((await client.next()).get(150)).toBe('0');
    client.send('G', [[41, clOrdId], [11, `${clOrdId}-R`], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(Date.now())], [38, '2'], [40, '2'], [44, '11'], [110, '1']]);
    const reject = await client.next();
    expect([reject.msgType, reject.get(434), reject.get(11), reject.get(39)]).toEqual(['9', '2', `${clOrdId}-R`, '0']);
    expect(reject.get(58)).toBe('INVALID_ORDER: MinQty(110) is not supported');
    const live = venue.bus.core.order('acc-ui', { clientOrderId: clOrdId });
    expect([live?.price, live?.quantity]).toEqual(['10', '1']);
  });
});
