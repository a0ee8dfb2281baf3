/**
 * The FIX acceptor: a TCP (or TLS) server that cuts each connection's bytes into frames,
 * checks and authenticates the first message (which must be a Logon), binds the connection to
 * its session — one per (account, SenderCompID); a SenderCompID belongs to one account — and
 * from then on hands frames to the session.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { CommandBus } from '../../sequencer/api.js';
import type { FixSessionSettings } from '../../auth/api-key.js';
import type { ApiKeyStore } from '../../auth/key-store.js';
import { FrameDecoder, latin1Bytes, parseFrame, type FixMessage } from './codec.js';
import { loadDictionary } from './dictionary.js';
import { logonFailureText, type LogonAuthenticator } from './auth.js';
import { FixApplication } from './application.js';
import { FixMarketData, type FixMarketDataConfig, type MarketDataAccess } from './market-data.js';
import { withMarketData } from './market-data-routing.js';
import { FixSecurityList } from './security-list.js';
import type { RequestRateLimiter } from '../../limits/index.js';
import type { OrderEntry } from '../../order-entry/order-entry.js';
import type { RfqDesk } from '../../rfq/desk.js';
import { BEGIN_STRING, DEFAULT_SESSION_SETTINGS, FixSession, type Connection, type FixSessionObserver, type SessionSettings } from './session.js';
import { AbsentSessionReports } from './absent-session-reports.js';
import { fixSessionLease, isAbsentWriter, type SessionLeases } from './session-leases.js';
import { isShared, type FixSessionBackend } from './session-backend.js';
import { migrateLegacySessionKeys } from './session-key-migration.js';
import { SqliteFixSessionBackend } from './sqlite-session-backend.js';
import { FileFixSessionBackend } from './file-session-backend.js';
import { FixSessionStore } from './store.js';
import { MsgType, Tag } from './tags.js';
import { parseUtcTimestamp } from './time.js';
import { Validator } from './validator.js';

export const DEFAULT_DICTIONARY_PATH = new URL('../../../../api-spec/fix/FIX44-subset.xml', import.meta.url).pathname;

/** Per-counterparty settings; unlisted SenderCompIDs get `defaults`. */
export interface FixSessionConfig {
  resetOnLogon?: boolean;
  /** Cancel the session's open orders when it disconnects. */
  cancelOnDisconnect?: boolean;
  /** A drop-copy session receives ExecutionReports for all of its account's activity and cannot trade. */
  dropCopy?: boolean;
  /** A market-data session asks for market data and the security list only (a read-only key is enough). */
  marketData?: boolean;
  sendingTimeToleranceMs?: number;
  logoutTimeoutMs?: number;
}

export interface FixAcceptorOptions {
  /** The event stream the ExecutionReports come from. */
  bus: CommandBus;
  /** The one door for orders, amends, cancels and order lookups (shared with REST and WebSocket). */
  orders: OrderEntry;
  /** The OTC desk that answers QuoteRequest and QuoteResponse (none: they are refused as unsupported). */
  rfq?: RfqDesk;
  authenticator: LogonAuthenticator;
  /**
   * When given, revoking a key logs out its live sessions, and sessions stored under their
   * SenderCompID alone (before sessions were per account) move to the CompID's owner at start.
   */
  keyStore?: Pick<ApiKeyStore, 'onRevoked'> & Partial<Pick<ApiKeyStore, 'compIdOwner'>>;
  /** Holds fix-sessions.log (sequence numbers, sent messages, order ownership) unless `sessionStore` is given. */
  dataDir: string;
  /** Where session state is kept (default: an append-only file in `dataDir`; PostgreSQL with stores: external). */
  sessionStore?: FixSessionBackend;
  /** Our CompID: the TargetCompID counterparties must use. */
  compId: string;
  port?: number;
  host?: string;
  /** TLS is used when present. */
  tls?: TlsOptions;
  dictionaryPath?: string;
  defaults?: FixSessionConfig;
  sessions?: Record<string, FixSessionConfig>;
  /** When false, only SenderCompIDs listed in `sessions` may log on. Default true (CompIDs bound to keys). */
  allowUnlistedSenders?: boolean;
  /** Durability of the session store's commits (see FixSessionStore). Default FULL. */
  storeSynchronous?: 'FULL' | 'NORMAL';
  /** Time allowed between connect and a valid Logon. */
  logonTimeoutMs?: number;
  /**
   * Leases shared with the other gateways (Redis, with stores: external): a session (account,
   * SenderCompID) is live on one gateway at a time. Without it, only this acceptor's own sessions count.
   */
  leases?: SessionLeases;
  /** This gateway's name in the leases (default: host name, pid and a random suffix). */
  leaseOwner?: string;
  /** A lease lapses this long after its holder last renewed it (default 15 s; renewed every third of it). */
  leaseTtlMs?: number;
  logger?: Logger;
  now?: () => number;
  /** Told about every session's traffic (metrics, traces). */
  observer?: FixSessionObserver;
  /** The request-weight budgets REST and WebSocket spend; market-data requests spend them too. */
  requestLimiter?: RequestRateLimiter;
  /** Market-data limits (default: the WebSocket gateway's). */
  marketData?: Partial<FixMarketDataConfig>;
}

export interface FixAcceptor {
  port: number;
  /** Live sessions by counterparty SenderCompID. */
  readonly sessions: ReadonlyMap<string, FixSession>;
  close(): Promise<void>;
}

export async function startFixAcceptor(options: FixAcceptorOptions): Promise<FixAcceptor> {
  const logger = options.logger ?? pino({ name: 'fix' });
  const now = options.now ?? Date.now;
  const validator = new Validator(loadDictionary(options.dictionaryPath ?? DEFAULT_DICTIONARY_PATH));
  const backend = options.sessionStore ?? await openFileSessions(options, logger);
  const store = await FixSessionStore.open(backend, {
    onCommitError: (err) => logger.error({ err }, 'FIX session store commit failed; sessions send nothing until it succeeds (retried every second)'),
  });
  /** By SenderCompID: a CompID belongs to one account, so it names one session at a time. */
  const sessions = new Map<string, FixSession>();
  const configs = new Map<FixSession, Required<Pick<FixSessionConfig, 'cancelOnDisconnect' | 'dropCopy'>>>();
  const expiryTimers = new Map<FixSession, NodeJS.Timeout>();
  const application = new FixApplication(options.bus, options.orders, store, logger, (session) => configs.get(session) ?? { cancelOnDisconnect: false, dropCopy: false }, now, options.rfq);
  /** Set at each Logon: the session type and what its key may read. */
  const marketDataAccess = new Map<FixSession, MarketDataAccess & { marketDataSession: boolean }>();
  const marketData = new FixMarketData(options.bus, (session) => marketDataAccess.get(session), logger, options.marketData, options.requestLimiter);
  const sessionApplication = withMarketData(
    application, marketData, new FixSecurityList(() => options.bus.core), (session) => marketDataAccess.get(session)?.marketDataSession ?? false, now,
  );
  const sockets = new Set<Socket>();
  const logonTimeoutMs = options.logonTimeoutMs ?? 10_000;
  const leaseOwner = options.leaseOwner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const leaseTtlMs = options.leaseTtlMs ?? 15_000;
  // Several gateways on one shared store: a message for a session not connected here is stored by exactly one of them.
  const absent = options.leases && isShared(backend)
    ? new AbsentSessionReports({ leases: options.leases, owner: leaseOwner, leaseTtlMs, backend, store, logger })
    : undefined;

  const configFor = (sender: string): FixSessionConfig | undefined => {
    const listed = options.sessions?.[sender];
    if (listed) return { ...options.defaults, ...listed };
    return options.allowUnlistedSenders === false ? undefined : { ...options.defaults };
  };

  /**
   * The session of (account, SenderCompID). Its store key names both, so sequence numbers,
   * stored messages and drop copy never cross accounts, whatever happened to the CompID's keys.
   * The operator's config and then the key's own settings (`fixSession`) decide its behaviour.
   */
  const sessionFor = (sender: string, accountId: string, config: FixSessionConfig, own: FixSessionSettings = {}): FixSession | undefined => {
    let session = sessions.get(sender);
    if (session && session.accountId !== accountId) {
      if (session.isConnected) return undefined;
      session = undefined;
    }
    if (!session) {
      const settings: SessionSettings = {
        ...DEFAULT_SESSION_SETTINGS,
        senderCompId: options.compId,
        targetCompId: sender,
        accountId,
        ...(config.sendingTimeToleranceMs !== undefined ? { sendingTimeToleranceMs: config.sendingTimeToleranceMs } : {}),
        ...(config.logoutTimeoutMs !== undefined ? { logoutTimeoutMs: config.logoutTimeoutMs } : {}),
      };
      session = new FixSession(settings, store, validator, sessionApplication, logger, now, options.observer);
      session.accountId = accountId;
      session.absent = absent;
      sessions.set(sender, session);
    }
    session.settings.resetOnLogon = own.resetOnLogon ?? config.resetOnLogon ?? DEFAULT_SESSION_SETTINGS.resetOnLogon;
    configs.set(session, { cancelOnDisconnect: own.cancelOnDisconnect ?? config.cancelOnDisconnect ?? false, dropCopy: own.dropCopy ?? config.dropCopy ?? false });
    return session;
  };

  if (absent) application.learnOwnersFromStore();
  // Reports for a session not logged on since start-up are stored under its key.
  application.setSessionResolver((key) => {
    const id = parseSessionKey(key, options.compId);
    const config = id && configFor(id.sender);
    return id && config ? sessionFor(id.sender, id.accountId, config) : undefined;
  });

  const unsubscribeRevocations = options.keyStore?.onRevoked((event) => {
    // From now on the session's application messages are refused (see FixApplication.onMessage).
    for (const session of sessions.values()) {
      if (session.keyId !== event.keyId) continue;
      session.keyRevoked = true;
      if (session.isConnected) session.logout('AUTH_INVALID: the API key was revoked');
    }
  });

  /** Ends the session when its key expires, on a timer as well as at its next message. */
  const watchExpiry = (session: FixSession): void => {
    clearTimeout(expiryTimers.get(session));
    expiryTimers.delete(session);
    if (session.keyExpiresAt === undefined) return;
    const timer = setTimeout(() => {
      expiryTimers.delete(session);
      if (session.isConnected && session.keyId !== '' && now() >= session.keyExpiresAt!) session.logout('AUTH_INVALID: the API key expired');
    }, Math.max(0, Math.min(session.keyExpiresAt - now(), 2 ** 31 - 1)));
    timer.unref();
    expiryTimers.set(session, timer);
  };

  /**
   * Renews a session's lease while it is live; a renewal refused (the lease lapsed and another
   * gateway took it) or failing until the lease would have lapsed logs the session out. Returns
   * the stop function, which also gives the lease back.
   */
  const keepLease = (lease: string, live: () => FixSession | undefined): (() => void) => {
    const leases = options.leases!;
    let renewedAt = Date.now();
    const timer = setInterval(() => {
      leases.renew(lease, leaseOwner, leaseTtlMs).then(
        (held) => {
          if (held) renewedAt = Date.now();
          else live()?.logout('Session lease lost');
        },
        (err: unknown) => {
          logger.warn({ err, lease }, 'FIX session lease renewal failed');
          if (Date.now() - renewedAt >= leaseTtlMs) live()?.logout('Session registry unavailable');
        },
      );
    }, Math.max(1, Math.floor(leaseTtlMs / 3)));
    timer.unref();
    return () => {
      clearInterval(timer);
      // Given back once what the session sent is in the shared store, where the next holder reads it.
      store.whenCommitted(() => void leases.release(lease, leaseOwner).catch(() => undefined));
    };
  };

  /**
   * Takes a session's lease for a Logon. Another gateway storing a message for the session (it
   * was logged on nowhere) holds it for a moment: that is waited out; a live session's is not.
   */
  const acquireForLogon = async (lease: string): Promise<boolean> => {
    const leases = options.leases!;
    const deadline = Date.now() + 5_000;
    for (;;) {
      if (await leases.acquire(lease, leaseOwner, leaseTtlMs)) return true;
      const holder = await leases.holder(lease);
      if (holder !== undefined && !isAbsentWriter(holder)) return false;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const remoteAddress = socket.remoteAddress ?? '';
    const connection: Connection = {
      remoteAddress,
      write: (data) => {
        if (!socket.destroyed) socket.write(data, 'latin1');
      },
      writeAll: (messages) => {
        if (!socket.destroyed) socket.write(latin1Bytes(messages));
      },
      close: () => {
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      },
      bufferedBytes: () => socket.writableLength,
    };
    let session: FixSession | undefined;
    let leaseRenewal: (() => void) | undefined;
    let authenticating = false;
    const held: string[] = [];
    const logonTimer = setTimeout(() => {
      if (!session) {
        logger.info({ remoteAddress }, 'FIX connection closed: no Logon in time');
        socket.destroy();
      }
    }, logonTimeoutMs);
    logonTimer.unref();

    const firstMessage = async (frame: string): Promise<void> => {
      let logon: FixMessage;
      try {
        logon = parseFrame(frame);
      } catch {
        return; // garbled: ignored, the logon timer still runs
      }
      const reason = checkLogonHeader(logon, options.compId, now(), options.defaults?.sendingTimeToleranceMs ?? DEFAULT_SESSION_SETTINGS.sendingTimeToleranceMs);
      if (reason) {
        logger.info({ remoteAddress, reason }, 'FIX connection refused before Logon');
        socket.destroy();
        return;
      }
      const sender = logon.get(Tag.SenderCompID)!;
      const config = configFor(sender);
      if (!config) {
        logger.info({ remoteAddress, sender }, 'FIX Logon from an unknown SenderCompID');
        socket.destroy();
        return;
      }
      // A refused Logon gets MsgSeqNum 1 whatever session it named: nothing in it tells whether
      // the CompID exists or what its sequence numbers are.
      const refuse = (text: string): void => {
        logger.info({ remoteAddress, sender, text }, 'FIX Logon refused');
        FixSession.refuseLogon(connection, { senderCompId: options.compId, targetCompId: sender }, 1, text, now());
      };
      const validation = validator.validate(logon);
      if (!validation.ok) {
        refuse(validation.kind === 'reject' ? `${validation.text}${validation.tag !== undefined ? ` (tag ${validation.tag})` : ''}` : 'Unsupported message');
        return;
      }
      authenticating = true;
      const result = await options.authenticator.verifyFixLogon({
        keyId: logon.get(Tag.Username),
        signature: logon.get(Tag.Password) ?? logon.get(Tag.RawData),
        fields: {
          sendingTime: logon.get(Tag.SendingTime)!,
          msgType: MsgType.Logon,
          msgSeqNum: logon.get(Tag.MsgSeqNum)!,
          senderCompId: sender,
          targetCompId: logon.get(Tag.TargetCompID)!,
        },
        ip: remoteAddress,
        // The scope depends on the key's settings (drop copy: read; trading: trade), checked below.
        requiredScope: undefined,
      });
      authenticating = false;
      if (socket.destroyed) return;
      if (!result.ok) {
        refuse(logonFailureText(result));
        return;
      }
      const own = result.principal.fixSession ?? {};
      const dropCopy = own.dropCopy ?? config.dropCopy ?? false;
      // A session is one of three types: drop copy (wins over the others), market data, order entry.
      const marketDataSession = !dropCopy && (own.marketData ?? config.marketData ?? false);
      const readOnly = dropCopy || marketDataSession;
      if (!result.principal.scopes.includes(readOnly ? 'read' : 'trade')) {
        const why = dropCopy ? 'a drop copy needs the read scope'
          : marketDataSession ? 'a market-data session needs the read scope'
          : 'a key without the trade scope logs on only as a drop copy or market-data session (fixSession.dropCopy or fixSession.marketData)';
        refuse(`${logonFailureText({ ok: false, code: 'AUTH_SCOPE_MISSING' })}: ${why}`);
        return;
      }
      const minHb = own.minHeartBtInt ?? DEFAULT_SESSION_SETTINGS.minHeartBtInt;
      const maxHb = own.maxHeartBtInt ?? DEFAULT_SESSION_SETTINGS.maxHeartBtInt;
      const heartBtInt = Number(logon.get(Tag.HeartBtInt));
      if (heartBtInt < minHb || heartBtInt > maxHb) {
        refuse(`HeartBtInt must be between ${minHb} and ${maxHb}`);
        return;
      }
      const target = sessionFor(sender, result.principal.accountId, config, own);
      if (!target || target.isConnected) {
        // Already logged on elsewhere: refuse quietly, the live session is not touched.
        logger.warn({ remoteAddress, sender }, 'second FIX Logon for a session already logged on');
        socket.destroy();
        return;
      }
      // With a shared store, the session's messages queued here while it was logged on nowhere are
      // stored first, and its numbers read after them.
      const goLive = async (): Promise<void> => {
        if (absent) {
          // Orders the session placed through another gateway are reported here from now on.
          try {
            const open = options.bus.core.openOrders(result.principal.accountId).map((o) => o.orderId);
            application.adoptOwnedOrders(target.key, await absent.ordersOwnedBy(target.key, open));
          } catch (err) {
            logger.error({ err, sender }, 'FIX session store unreachable at Logon');
            refuse('Session store unavailable, try again later');
            return;
          }
        }
        if (options.leases) {
          const lease = fixSessionLease(result.principal.accountId, sender);
          let held: boolean;
          try {
            held = await acquireForLogon(lease);
          } catch (err) {
            logger.error({ err, sender }, 'FIX session lease store unreachable');
            refuse('Session registry unavailable, try again later');
            return;
          }
          if (socket.destroyed) {
            void options.leases.release(lease, leaseOwner).catch(() => undefined);
            return;
          }
          if (!held) {
            refuse('Session is logged on at another gateway');
            return;
          }
          try {
            // The session may have been live at another gateway since: its sequence numbers are read again.
            await store.refresh(target.key);
          } catch (err) {
            logger.error({ err, sender }, 'FIX session store unreachable at Logon');
            void options.leases.release(lease, leaseOwner).catch(() => undefined);
            refuse('Session store unavailable, try again later');
            return;
          }
          if (socket.destroyed) {
            void options.leases.release(lease, leaseOwner).catch(() => undefined);
            return;
          }
          if (target.isConnected) {
            // Logged on here by another connection meanwhile: its lease is the one held.
            logger.warn({ remoteAddress, sender }, 'second FIX Logon for a session already logged on');
            socket.destroy();
            return;
          }
          leaseRenewal = keepLease(lease, () => session);
        }
        clearTimeout(logonTimer);
        marketDataAccess.set(target, { marketDataSession, entitled: !dropCopy && result.principal.scopes.includes('read'), ip: remoteAddress });
        session = target;
        session.keyId = result.principal.keyId;
        session.keyRevoked = false;
        session.keyExpiresAt = result.principal.expiresAt;
        watchExpiry(session);
        session.reloadSequences();
        session.logon(connection, logon);
        for (const f of held.splice(0)) session.receive(f);
      };
      if (absent) await absent.exclusive(target.key, goLive);
      else await goLive();
    };

    const decoder = new FrameDecoder(
      (frame) => {
        if (session) session.receive(frame);
        else if (authenticating) held.push(frame);
        else void firstMessage(frame).catch((err) => {
          logger.error({ err }, 'FIX Logon handling failed');
          socket.destroy();
        });
      },
      (reason) => logger.warn({ remoteAddress, reason }, 'garbled FIX bytes ignored'),
    );
    socket.on('data', (chunk) => decoder.push(chunk));
    socket.on('error', (err) => logger.debug({ remoteAddress, err: err.message }, 'FIX socket error'));
    socket.on('close', () => {
      sockets.delete(socket);
      clearTimeout(logonTimer);
      leaseRenewal?.();
      session?.connectionClosed(connection);
    });
  };

  // TLS 1.2 is the floor unless the options ask for more.
  const server: Server = options.tls ? createTlsServer({ minVersion: 'TLSv1.2', ...options.tls }, onConnection) : createTcpServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  logger.info({ port, tls: Boolean(options.tls), compId: options.compId }, 'FIX acceptor listening');

  return {
    port,
    sessions,
    async close() {
      unsubscribeRevocations?.();
      absent?.close();
      for (const timer of expiryTimers.values()) clearTimeout(timer);
      for (const session of sessions.values()) session.disconnect('acceptor closing');
      application.close();
      marketData.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await store.close();
    },
  };
}

/**
 * The append-only session file in the data directory. A data directory of an earlier version
 * holds fix-sessions.sqlite instead: its sessions are moved into the new file once (sequence
 * numbers, sent messages and owners), after which the SQLite file is renamed aside, kept as it was.
 */
async function openFileSessions(options: FixAcceptorOptions, logger: Logger): Promise<FileFixSessionBackend> {
  const file = join(options.dataDir, 'fix-sessions.log');
  const legacy = join(options.dataDir, 'fix-sessions.sqlite');
  const synchronous = options.storeSynchronous ?? 'FULL';
  if (existsSync(file) || !existsSync(legacy)) return new FileFixSessionBackend(file, { synchronous });
  const old = await openSqliteSessions(options, logger);
  const imported = old.exportAll();
  old.close();
  // Written to a file of another name and renamed: a crash during the import leaves the SQLite file in charge.
  const partial = `${file}.importing`;
  rmSync(partial, { force: true });
  const target = new FileFixSessionBackend(partial, { synchronous: 'FULL' });
  await target.write(imported);
  await target.close();
  renameSync(partial, file);
  renameSync(legacy, `${legacy}.imported`);
  for (const suffix of ['-wal', '-shm']) if (existsSync(legacy + suffix)) renameSync(legacy + suffix, `${legacy}.imported${suffix}`);
  logger.info({ sessions: imported.seqs.length, messages: imported.messages.length, owners: imported.owners.length }, 'FIX session store moved from SQLite to fix-sessions.log');
  return new FileFixSessionBackend(file, { synchronous });
}

/**
 * The SQLite session store of an earlier version; sessions stored under their SenderCompID alone
 * (files of a version before sessions were per account) move to their account first. The
 * PostgreSQL store never had such keys.
 */
async function openSqliteSessions(options: FixAcceptorOptions, logger: Logger): Promise<SqliteFixSessionBackend> {
  const backend = new SqliteFixSessionBackend(join(options.dataDir, 'fix-sessions.sqlite'), { synchronous: options.storeSynchronous ?? 'FULL' });
  const compIdOwner = options.keyStore?.compIdOwner?.bind(options.keyStore);
  if (compIdOwner) {
    const upgrade = await migrateLegacySessionKeys(backend, options.compId, compIdOwner).catch((err: unknown) => {
      backend.close();
      throw err;
    });
    for (const m of upgrade.migrated) logger.info({ from: m.from, to: m.to }, 'FIX session store upgraded: session moved to its account');
    for (const k of upgrade.kept) logger.warn({ session: k.key, reason: k.reason }, 'FIX session store upgrade: session left under its old key');
  }
  return backend;
}

/** Session keys are `FIX.4.4:<our CompID>-><their CompID>|<account>`. */
function parseSessionKey(key: string, compId: string): { sender: string; accountId: string } | undefined {
  const prefix = `${BEGIN_STRING}:${compId}->`;
  const bar = key.lastIndexOf('|');
  if (!key.startsWith(prefix) || bar < prefix.length) return undefined;
  return { sender: key.slice(prefix.length, bar), accountId: key.slice(bar + 1) };
}

/** Pre-session checks on the first message: a FIX 4.4 Logon to our CompID with a good SendingTime. */
function checkLogonHeader(logon: FixMessage, compId: string, now: number, toleranceMs: number): string | undefined {
  if (logon.msgType !== MsgType.Logon) return 'first message is not a Logon';
  if (logon.valueAt(0) !== BEGIN_STRING) return 'BeginString is not FIX.4.4';
  if (logon.get(Tag.TargetCompID) !== compId) return 'wrong TargetCompID';
  if (!logon.get(Tag.SenderCompID)) return 'no SenderCompID';
  const seq = logon.get(Tag.MsgSeqNum);
  if (seq === undefined || !/^\d{1,9}$/.test(seq)) return 'MsgSeqNum missing or invalid';
  const sendingTime = parseUtcTimestamp(logon.get(Tag.SendingTime) ?? '');
  if (sendingTime === undefined || Math.abs(now - sendingTime) > toleranceMs) return 'SendingTime missing or out of range';
  return undefined;
}
