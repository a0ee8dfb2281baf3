/**
 * Puts market data beside order entry: MarketDataRequest (V) and SecurityListRequest (x) go to
 * their own handlers, everything else to the order application. A market-data session (its own
 * session type, for which a read-only key is enough) sends nothing but those two.
 */
import type { FixMessage } from './codec.js';
import type { FixMarketData } from './market-data.js';
import type { FixSecurityList } from './security-list.js';
import type { FixSession, SessionApplication } from './session.js';
import { MsgType } from './tags.js';

/** BusinessRejectReason(380) 6: Not authorized. */
const NOT_AUTHORIZED = 6;

export function withMarketData(
  orders: SessionApplication,
  marketData: FixMarketData,
  securityList: FixSecurityList,
  isMarketDataSession: (session: FixSession) => boolean,
  now: () => number,
): SessionApplication {
  return {
    onLogon: (session) => orders.onLogon(session),
    onDisconnect(session) {
      marketData.onDisconnect(session);
      orders.onDisconnect(session);
    },
    onMessage(session: FixSession, message: FixMessage, replyAwaited?: boolean): void | Promise<void> {
      const type = message.msgType;
      const ours = type === MsgType.MarketDataRequest || type === MsgType.SecurityListRequest;
      if (!ours && !isMarketDataSession(session)) return orders.onMessage(session, message, replyAwaited);
      // The key is checked before every application message, as the order application does.
      const keyRefusal = session.keyRefusal(now());
      if (keyRefusal !== undefined) {
        session.businessReject(message, NOT_AUTHORIZED, keyRefusal);
        session.end(keyRefusal);
        return;
      }
      if (type === MsgType.MarketDataRequest) return marketData.onRequest(session, message);
      if (type === MsgType.SecurityListRequest) return securityList.onRequest(session, message);
      session.businessReject(message, NOT_AUTHORIZED, 'Market-data sessions cannot send orders', false);
    },
  };
}
