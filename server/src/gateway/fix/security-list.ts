/**
 * SecurityListRequest (x) answered with SecurityList (y): the instruments, as REST's
 * `GET /v1/instruments` lists them. SecurityListRequestType(559) 4 lists all, 0 the one named by
 * Symbol(55); a snapshot only (SubscriptionRequestType 0 or absent). One message holds the whole
 * list (TotNoRelatedSym = its size, LastFragment = Y).
 */
import type { CoreView, InstrumentSpec } from '../../core/api.js';
import type { Field, FixMessage } from './codec.js';
import { reverseRoute, type FixSession } from './session.js';
import { MsgType, Tag } from './tags.js';

/** SecurityRequestResult(560) values. */
const Result = { Valid: '0', InvalidOrUnsupported: '1', NoInstrumentsFound: '2' } as const;

export class FixSecurityList {
  private responses = 0;

  constructor(private readonly core: () => CoreView) {}

  onRequest(session: FixSession, m: FixMessage): void {
    const reqId = m.get(Tag.SecurityReqID)!;
    const type = m.get(Tag.SecurityListRequestType)!;
    const symbol = m.get(Tag.Symbol);
    // SecurityList has no Text(58) in FIX 4.4: SecurityRequestResult(560) is the whole answer.
    const answer = (result: string, instruments: readonly InstrumentSpec[]): void => {
      const body: Field[] = [
        [Tag.SecurityReqID, reqId], [Tag.SecurityResponseID, `SL${this.core().seq}-${++this.responses}`], [Tag.SecurityRequestResult, result],
      ];
      if (result === Result.Valid) {
        body.push([Tag.TotNoRelatedSym, String(instruments.length)], [Tag.LastFragment, 'Y'], [Tag.NoRelatedSym, String(instruments.length)]);
        for (const i of instruments) body.push(...instrumentEntry(i));
      }
      session.sendApplication(MsgType.SecurityList, body, reverseRoute(m));
    };
    const subscription = m.get(Tag.SubscriptionRequestType);
    if (subscription !== undefined && subscription !== '0') {
      return answer(Result.InvalidOrUnsupported, []); // the list is a snapshot only
    }
    const all = [...this.core().instruments()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    if (type === '4') return answer(Result.Valid, all);
    if (type === '0') {
      if (symbol === undefined) return answer(Result.InvalidOrUnsupported, []);
      const found = all.filter((i) => i.symbol === symbol);
      return found.length > 0 ? answer(Result.Valid, found) : answer(Result.NoInstrumentsFound, []);
    }
    answer(Result.InvalidOrUnsupported, []); // 1 (security type), 2 (product), 3 (trading session)
  }
}

/**
 * One instrument: Symbol, SecurityDesc `<base>/<quote>`, Currency (the quote asset), RoundLot (lot
 * size), MinTradeVol (least quantity), and Text `tickSize=<tick>;status=<status>` (FIX 4.4 has no
 * field for the tick size).
 */
function instrumentEntry(i: InstrumentSpec): Field[] {
  return [
    [Tag.Symbol, i.symbol], [Tag.SecurityDesc, `${i.base}/${i.quote}`], [Tag.Currency, i.quote],
    [Tag.RoundLot, i.lotSize], [Tag.MinTradeVol, i.minQuantity], [Tag.Text, `tickSize=${i.tickSize};status=${i.status}`],
  ];
}
