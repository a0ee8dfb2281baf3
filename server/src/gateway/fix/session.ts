/**
 * One FIX 4.4 session (one counterparty CompID pair): sequence numbers, the inbound checks in
 * the order QuickFIX's Session::next()/verify() applies them, resend and gap fill, heartbeats
 * and test requests, and the Logout handshake. Transport-agnostic: the acceptor attaches a
 * Connection after a Logon; application messages go to a SessionApplication.
 */
import type { Logger } from 'pino';
import { encodeMessage, parseFrame, type Body, type Field, type FixMessage } from './codec.js';
import { isPromise, type StoredMessage } from './session-backend.js';
import type { FixSessionStore, SequenceNumbers } from './store.js';
import type { AbsentSessionReports, OutboundApplication } from './absent-session-reports.js';
import { ADMIN_MSG_TYPES, MsgType, Tag } from './tags.js';
import { formatUtcTimestamp, parseUtcTimestamp } from './time.js';
import { REJECT_REASON_TEXT, SessionRejectReason, type Validator } from './validator.js';

export const BEGIN_STRING = 'FIX.4.4';

export interface Connection {
  write(data: string): void;
  /**
   * Writes the messages one after another, as `write` of their joined text would (optional: the
   * session joins them itself when absent). A socket takes their bytes without a joined string.
   */
  writeAll?(messages: readonly { readonly raw: string }[]): void;
  /** Ends the connection once written data is flushed. */
  close(): void;
  readonly remoteAddress: string;
  /** Bytes written but not yet taken by the peer (the socket's buffer); market data is conflated above a bound. */
  bufferedBytes?(): number;
}

export interface SessionSettings {
  /** Our CompID (the acceptor's), TargetCompID on inbound messages. */
  senderCompId: string;
  /** The counterparty's CompID. */
  targetCompId: string;
  /** The account the session belongs to: a session is (account, counterparty CompID). */
  accountId?: string;
  /** Start every Logon at sequence number 1 on both sides. */
  resetOnLogon: boolean;
  /** Largest accepted distance between SendingTime and our clock. */
  sendingTimeToleranceMs: number;
  /** How long to wait for the Logout reply before disconnecting. */
  logoutTimeoutMs: number;
  /** HeartBtInt bounds accepted at Logon, seconds. */
  minHeartBtInt: number;
  maxHeartBtInt: number;
}

export const DEFAULT_SESSION_SETTINGS = {
  resetOnLogon: false,
  sendingTimeToleranceMs: 120_000,
  logoutTimeoutMs: 2_000,
  minHeartBtInt: 1,
  maxHeartBtInt: 300,
} satisfies Partial<SessionSettings>;

/** What the session hands application messages to, and tells about logon and disconnect. */
export interface SessionApplication {
  onLogon(session: FixSession): void;
  /**
   * A validated, in-sequence application message; a returned promise settles once its reply is
   * sent. With `replyAwaited` false nobody waits for that promise, so none need be made.
   */
  onMessage(session: FixSession, message: FixMessage, replyAwaited?: boolean): void | Promise<void>;
  onDisconnect(session: FixSession): void;
}

/** Told what the session receives, sends and refuses (metrics), and runs each application message (so a tracer can wrap it). */
export interface FixSessionObserver {
  received(msgType: string): void;
  sent(msgType: string): void;
  /** A ResendRequest: `in` served to the counterparty, `out` sent on a gap. */
  resendRequest(direction: 'in' | 'out'): void;
  sessionReject(reason: number): void;
  businessReject(reason: number): void;
  /** Runs the application's handling of one message; a promise it returns settles when the message's reply has gone out. */
  dispatch(msgType: string, handle: () => void | Promise<void>): void;
  /** False when `dispatch` never waits for that promise (no span to end): the application then makes none. */
  readonly awaitsReplies?: boolean;
}

export type SessionStatus = 'disconnected' | 'logged-on' | 'logout-sent';

interface Queued {
  message: FixMessage;
  /** Logon and ResendRequest are acted on when received; in order they only advance the sequence. */
  acted: boolean;
}

const ROUTE_REVERSAL: ReadonlyArray<readonly [number, number]> = [
  [Tag.OnBehalfOfCompID, Tag.DeliverToCompID],
  [Tag.OnBehalfOfSubID, Tag.DeliverToSubID],
  [Tag.OnBehalfOfLocationID, Tag.DeliverToLocationID],
  [Tag.DeliverToCompID, Tag.OnBehalfOfCompID],
  [Tag.DeliverToSubID, Tag.OnBehalfOfSubID],
  [Tag.DeliverToLocationID, Tag.OnBehalfOfLocationID],
];

/** Header fields every inbound message must carry with a value. */
const HEADER_TAGS_CHECKED: readonly number[] = [Tag.SenderCompID, Tag.TargetCompID, Tag.SendingTime];

/** Which tags below 1024 are routing fields (all are): one array read per field. */
const ROUTING_TAGS = new Uint8Array(1024);
for (const [from] of ROUTE_REVERSAL) ROUTING_TAGS[from] = 1;
/** The route of a message without routing fields (frozen: shared by all of them). */
const NO_ROUTE: Field[] = Object.freeze([]) as unknown as Field[];

/** Routing header fields for a reply: OnBehalfOf* and DeliverTo* swapped. */
export function reverseRoute(message: FixMessage): Field[] {
  // Nearly every message carries no routing field: one pass over its tags, and a shared empty answer.
  const tags = message.tags;
  let routed = false;
  for (let i = 0; i < tags.length && !routed; i++) {
    const tag = tags[i]!;
    routed = tag >= 0 && tag < ROUTING_TAGS.length && ROUTING_TAGS[tag] === 1;
  }
  if (!routed) return NO_ROUTE;
  const out: Field[] = [];
  for (const [from, to] of ROUTE_REVERSAL) {
    const v = message.get(from);
    if (v !== undefined && v !== '') out.push([to, v]);
  }
  return out;
}

/**
 * Bytes to write once store commit `batch` is durable. A class, not a literal: V8 never moves a
 * constructor's objects into the old generation at allocation (see core/view-objects.ts), and
 * one such entry per sent message would otherwise be old garbage after a burst of orders.
 */
class QueuedWrite {
  constructor(readonly raw: string, readonly batch: number) {}
}

export class FixSession {
  readonly key: string;
  status: SessionStatus = 'disconnected';
  heartBtInt = 30;
  /** Set by the acceptor from the authenticated key. */
  accountId = '';
  keyId = '';
  /** The key's expiry and revocation: application messages are refused once either is reached. */
  keyExpiresAt: number | undefined;
  keyRevoked = false;
  /**
   * With a session store several gateways share: what this gateway's application messages go
   * through while the session is not connected here (exactly one gateway stores each of them).
   */
  absent: AbsentSessionReports | undefined;
  private connection: Connection | undefined;
  /** The last core event reported to the session from here (kept by the shared store). */
  private reportedEvent = 0;
  private nextSender: number;
  private nextTarget: number;
  private readonly queue = new Map<number, Queued>();
  private resendRange: { begin: number; end: number } | undefined;
  /** Bytes to write, each with the number of the store commit that must be durable first. */
  private outbound: QueuedWrite[] = [];
  private flushRequested = false;
  /** While stored messages are read for a resend (PostgreSQL): later output waits here, behind the resend. */
  private held: QueuedWrite[] | undefined;
  private resendsWaiting = 0;
  private resendQueue: Promise<void> = Promise.resolve();
  private servingResend = false;
  private closeAfterFlush = false;
  private lastSentAt = 0;
  private lastReceivedAt = 0;
  private testRequestSentAt = 0;
  private logoutSentAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushOutbound = (): void => this.writeOutbound();
  private readonly plainHeader: Array<[number, string]> = [[Tag.MsgType, ''], [Tag.SenderCompID, ''], [Tag.TargetCompID, ''], [Tag.MsgSeqNum, ''], [Tag.SendingTime, '']];
  private readonly numbers: SequenceNumbers = { nextSender: 1, nextTarget: 1, reportedEvent: 0 };

  constructor(
    readonly settings: SessionSettings,
    private readonly store: FixSessionStore,
    private readonly validator: Validator,
    private readonly application: SessionApplication,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly observer?: FixSessionObserver,
  ) {
    this.key = `${BEGIN_STRING}:${settings.senderCompId}->${settings.targetCompId}${settings.accountId !== undefined ? `|${settings.accountId}` : ''}`;
    const seqs = store.load(this.key);
    this.nextSender = seqs.nextSender;
    this.nextTarget = seqs.nextTarget;
    this.reportedEvent = seqs.reportedEvent ?? 0;
  }

  get isLoggedOn(): boolean {
    return this.status === 'logged-on';
  }

  get isConnected(): boolean {
    return this.connection !== undefined;
  }

  get expectedTargetSeq(): number {
    return this.nextTarget;
  }

  get nextSenderSeq(): number {
    return this.nextSender;
  }

  /** Takes the sequence numbers the store holds (read again at Logon: another gateway may have moved them); only while disconnected. */
  reloadSequences(): void {
    if (this.connection) return;
    const seqs = this.store.load(this.key);
    this.nextSender = seqs.nextSender;
    this.nextTarget = seqs.nextTarget;
    this.reportedEvent = Math.max(this.reportedEvent, seqs.reportedEvent ?? 0);
  }

  /**
   * Handles a Logon that the acceptor has authenticated (BeginString, CompIDs, SendingTime and
   * the dictionary already checked) on a new connection.
   */
  logon(connection: Connection, logon: FixMessage): void {
    this.observer?.received(MsgType.Logon);
    this.connection = connection;
    this.outbound = [];
    this.closeAfterFlush = false;
    this.queue.clear();
    this.resendRange = undefined;
    this.lastReceivedAt = this.now();
    this.testRequestSentAt = 0;
    const reset = logon.get(Tag.ResetSeqNumFlag) === 'Y';
    if (reset || this.settings.resetOnLogon) this.resetSequence();
    const seq = Number(logon.get(Tag.MsgSeqNum));
    if (seq < this.nextTarget) {
      this.sendLogoutAndDisconnect(`MsgSeqNum too low, expecting ${this.nextTarget} but received ${seq}`);
      return;
    }
    this.heartBtInt = Number(logon.get(Tag.HeartBtInt));
    const response: Field[] = [[Tag.EncryptMethod, '0'], [Tag.HeartBtInt, String(this.heartBtInt)]];
    if (reset) response.push([Tag.ResetSeqNumFlag, 'Y']);
    this.status = 'logged-on';
    this.send(MsgType.Logon, response);
    this.startTimer();
    this.logger.info({ session: this.key, account: this.accountId, seq }, 'FIX session logged on');
    if (seq > this.nextTarget) {
      this.queue.set(seq, { message: logon, acted: true });
      this.requestResend(seq);
    } else {
      this.advanceTarget();
    }
    this.application.onLogon(this);
    this.processQueue();
  }

  /** Refuses a Logon on a connection without touching the session's sequence numbers. */
  static refuseLogon(connection: Connection, settings: Pick<SessionSettings, 'senderCompId' | 'targetCompId'>, seq: number, text: string, now: number): void {
    connection.write(
      encodeMessage(BEGIN_STRING, [
        [Tag.MsgType as number, MsgType.Logout],
        [Tag.SenderCompID, settings.senderCompId],
        [Tag.TargetCompID, settings.targetCompId],
        [Tag.MsgSeqNum, String(seq)],
        [Tag.SendingTime, formatUtcTimestamp(now)],
        [Tag.Text, text],
      ]),
    );
    connection.close();
  }

  /** A complete frame from the connection. Garbled frames never reach here. */
  receive(frame: string): void {
    let message: FixMessage;
    try {
      message = parseFrame(frame);
    } catch (e) {
      this.logger.warn({ session: this.key, err: (e as Error).message }, 'garbled FIX message ignored');
      return;
    }
    this.lastReceivedAt = this.now();
    this.testRequestSentAt = 0;
    this.observer?.received(message.msgType);
    this.process(message);
    this.processQueue();
  }

  /** Starts the Logout handshake; the connection closes on the reply or after the timeout. */
  logout(text?: string): void {
    if (this.status !== 'logged-on') return;
    this.sendLogout(text);
  }

  /** Sends a Logout with `text` and drops the connection at once. */
  end(text: string): void {
    if (this.connection) this.sendLogoutAndDisconnect(text);
  }

  /** Why the session's key no longer allows application messages at `now`, if it does not. */
  keyRefusal(now: number): string | undefined {
    if (this.keyRevoked) return 'AUTH_INVALID: the API key was revoked';
    if (this.keyExpiresAt !== undefined && now >= this.keyExpiresAt) return 'AUTH_INVALID: the API key expired';
    return undefined;
  }

  /** Drops the connection at once (after writing what is already queued). */
  disconnect(reason: string): void {
    if (!this.connection) return;
    this.logger.info({ session: this.key, reason }, 'FIX session disconnected');
    const connection = this.connection;
    this.connection = undefined;
    this.status = 'disconnected';
    this.stopTimer();
    this.queue.clear();
    this.resendRange = undefined;
    const pending = this.outbound;
    this.outbound = [];
    // Output held behind a resend is dropped: it is in the resend store for the next Logon.
    this.held = undefined;
    this.resendsWaiting = 0;
    // Queued bytes are written only once committed, then the socket is ended.
    this.store.whenCommitted(() => {
      if (pending.length > 0) connection.write(pending.map((p) => p.raw).join(''));
      connection.close();
    });
    this.application.onDisconnect(this);
  }

  /** The transport closed under us (peer hung up or a socket error). */
  connectionClosed(connection: Connection): void {
    if (this.connection === connection) this.disconnect('connection closed');
  }

  /**
   * Sends an application message; while logged out it is stored and sequenced for a later resend.
   * `event` is the core event (journal sequence) an ExecutionReport reports.
   */
  sendApplication(msgType: string, body: Body, route: readonly Field[] = [], event?: number): void {
    // Not connected here, or earlier messages still on their way there: the shared path, in order.
    if (this.absent && (!this.connection || this.absent.busy(this.key))) this.absent.deliver(this, { msgType, body, route, event });
    else this.sendKept(msgType, body, route, event);
  }

  /** Sends a message now if the session is connected here; false (nothing done) otherwise. */
  sendIfConnected(message: OutboundApplication): boolean {
    if (!this.connection) return false;
    this.sendKept(message.msgType, message.body, message.route, message.event);
    return true;
  }

  /** A message as it is stored for resend with MsgSeqNum `seq` (for a store that sequences it itself). */
  encodeForStore(seq: number, { msgType, body, route }: OutboundApplication): string {
    return encodeMessage(BEGIN_STRING, this.header(msgType, seq, route), body);
  }

  /** Takes the message's parts, not an OutboundApplication: no object per report only to carry them here. */
  private sendKept(msgType: string, body: Body, route: readonly Field[], event: number | undefined): void {
    if (event !== undefined) {
      // Already stored for the session by another gateway while it was logged on nowhere (events come in order).
      if (event <= this.reportedEvent) return;
      this.reportedEvent = event;
    }
    this.send(msgType, body, route);
  }

  /**
   * Sends an application message that is not kept for resend (market data: stale by the time a
   * resend is asked for, so a ResendRequest gets a gap fill in its place). Nothing is sent, and no
   * sequence number is used, unless the session is logged on. False when nothing was sent.
   */
  sendUnstored(msgType: string, body: Body, route: readonly Field[] = []): boolean {
    if (!this.connection || this.status !== 'logged-on') return false;
    this.send(msgType, body, route, false);
    return true;
  }

  /** Bytes sent but not yet taken by the peer: those waiting for the store's commit and the socket's buffer. */
  get bufferedBytes(): number {
    let waiting = 0;
    for (const { raw } of this.outbound) waiting += raw.length;
    for (const { raw } of this.held ?? []) waiting += raw.length;
    return waiting + (this.connection?.bufferedBytes?.() ?? 0);
  }

  // ------------------------------------------------------------------------------------------
  // Inbound
  // ------------------------------------------------------------------------------------------

  private process(message: FixMessage): void {
    if (!this.connection) return;
    const msgType = message.msgType;
    // The header's values are compared where they lie in the frame: no string per check.
    if (!message.valueAtIs(0, BEGIN_STRING)) {
      if (msgType === MsgType.Logout) this.onLogout();
      else {
        this.sendLogout('Incorrect BeginString');
        this.advanceTarget();
      }
      return;
    }
    const seq = message.smallUintOf(Tag.MsgSeqNum);
    if (seq < 0) {
      this.sendLogoutAndDisconnect('MsgSeqNum(34) missing or invalid');
      return;
    }
    for (const tag of HEADER_TAGS_CHECKED) {
      const i = message.indexOf(tag);
      if (i < 0) return this.reject(message, SessionRejectReason.RequiredTagMissing, tag);
      if (message.valueStart(i) === message.valueEnd(i)) return this.reject(message, SessionRejectReason.TagSpecifiedWithoutValue, tag);
    }
    const sendingTime = parseUtcTimestamp(message.get(Tag.SendingTime)!);
    if (sendingTime === undefined) return this.reject(message, SessionRejectReason.IncorrectDataFormat, Tag.SendingTime);
    if (Math.abs(this.now() - sendingTime) > this.settings.sendingTimeToleranceMs) {
      this.reject(message, SessionRejectReason.SendingTimeAccuracyProblem);
      this.sendLogout();
      return;
    }
    if (!message.is(Tag.SenderCompID, this.settings.targetCompId) || !message.is(Tag.TargetCompID, this.settings.senderCompId)) {
      this.reject(message, SessionRejectReason.CompIdProblem);
      this.sendLogout();
      return;
    }
    const possDup = message.get(Tag.PossDupFlag) === 'Y';

    // A Logon with ResetSeqNumFlag=Y inside a live session restarts both sides at 1: it carries
    // MsgSeqNum 1, so it is handled before the too-low check would refuse it.
    if (msgType === MsgType.Logon && message.get(Tag.ResetSeqNumFlag) === 'Y' && this.status === 'logged-on') {
      if (!this.validated(message)) return;
      this.onLogonWhileLoggedOn(message);
      return;
    }
    // SequenceReset-Reset ignores MsgSeqNum.
    if (msgType === MsgType.SequenceReset && message.get(Tag.GapFillFlag) !== 'Y') {
      if (!this.validated(message)) return;
      this.onSequenceReset(message, false);
      return;
    }
    if (msgType === MsgType.Logout && seq !== this.nextTarget) {
      // A Logout is honoured whatever its sequence number, as the reference engines do.
      if (!this.validated(message)) return;
      this.onLogout();
      return;
    }
    if (seq > this.nextTarget) {
      if (msgType === MsgType.ResendRequest) {
        // Serve it now so both sides can recover from simultaneous gaps; it only advances the sequence later.
        if (this.validated(message, false)) this.onResendRequest(message);
        this.queue.set(seq, { message, acted: true });
      } else {
        this.queue.set(seq, { message, acted: false });
      }
      this.requestResend(seq);
      return;
    }
    if (seq < this.nextTarget) {
      if (!possDup) {
        this.sendLogoutAndDisconnect(`MsgSeqNum too low, expecting ${this.nextTarget} but received ${seq}`);
        return;
      }
      this.checkPossDup(message);
      return; // already processed
    }
    if (possDup && !this.checkPossDup(message)) return;
    if (!this.validated(message)) return;
    this.dispatch(message);
  }

  /** PossDup checks: OrigSendingTime present and not later than SendingTime. */
  private checkPossDup(message: FixMessage): boolean {
    if (message.msgType === MsgType.SequenceReset) return true;
    const orig = message.get(Tag.OrigSendingTime);
    if (orig === undefined) {
      this.reject(message, SessionRejectReason.RequiredTagMissing, Tag.OrigSendingTime);
      return false;
    }
    const origMs = parseUtcTimestamp(orig);
    if (origMs === undefined) {
      this.reject(message, SessionRejectReason.IncorrectDataFormat, Tag.OrigSendingTime);
      return false;
    }
    if (origMs > parseUtcTimestamp(message.get(Tag.SendingTime)!)!) {
      this.reject(message, SessionRejectReason.SendingTimeAccuracyProblem);
      this.sendLogout();
      return false;
    }
    return true;
  }

  /** Dictionary validation; on failure sends the Reject or BusinessMessageReject. */
  private validated(message: FixMessage, respond = true): boolean {
    const result = this.validator.validate(message);
    if (result.ok) return true;
    if (!respond) return false;
    if (result.kind === 'unsupported-msg-type') {
      this.businessReject(message, 3, 'Unsupported Message Type');
    } else {
      this.reject(message, result.reason, result.tag, result.text);
    }
    return false;
  }

  private dispatch(message: FixMessage): void {
    const msgType = message.msgType;
    if (msgType === MsgType.SequenceReset) {
      this.onSequenceReset(message, true);
      return;
    }
    this.advanceTarget();
    switch (msgType) {
      case MsgType.Heartbeat:
        return;
      case MsgType.TestRequest:
        this.send(MsgType.Heartbeat, [[Tag.TestReqID, message.get(Tag.TestReqID)!]]);
        return;
      case MsgType.ResendRequest:
        this.onResendRequest(message);
        return;
      case MsgType.Reject:
        this.logger.warn({ session: this.key, ref: message.get(Tag.RefSeqNum), text: message.get(Tag.Text) }, 'counterparty rejected a message');
        return;
      case MsgType.Logout:
        this.onLogout();
        return;
      case MsgType.Logon:
        this.onLogonWhileLoggedOn(message);
        return;
      default:
        if (ADMIN_MSG_TYPES.has(msgType)) return;
        if (this.observer) this.observer.dispatch(msgType, () => this.application.onMessage(this, message, this.observer!.awaitsReplies !== false));
        else void this.application.onMessage(this, message, false);
    }
  }

  private onLogonWhileLoggedOn(message: FixMessage): void {
    if (message.get(Tag.ResetSeqNumFlag) === 'Y') {
      // An in-session sequence reset: both sides restart at 1 (this Logon was number 1).
      this.resetSequence();
      this.queue.clear();
      this.resendRange = undefined;
      this.nextTarget = Number(message.get(Tag.MsgSeqNum)) + 1;
      this.persistSeqs();
      this.send(MsgType.Logon, [[Tag.EncryptMethod, '0'], [Tag.HeartBtInt, String(this.heartBtInt)], [Tag.ResetSeqNumFlag, 'Y']]);
      return;
    }
    this.reject(message, SessionRejectReason.Other, undefined, 'Session already logged on', false);
  }

  private onSequenceReset(message: FixMessage, gapFill: boolean): void {
    const newSeqNo = Number(message.get(Tag.NewSeqNo));
    if (newSeqNo > this.nextTarget) {
      this.nextTarget = newSeqNo;
      this.persistSeqs();
      this.clearSatisfiedResend();
    } else if (newSeqNo < this.nextTarget || gapFill) {
      this.reject(message, SessionRejectReason.ValueIncorrect, Tag.NewSeqNo, undefined, false);
    }
  }

  private onResendRequest(message: FixMessage): void {
    const begin = Number(message.get(Tag.BeginSeqNo));
    let end = Number(message.get(Tag.EndSeqNo));
    const last = this.nextSender - 1;
    if (end === 0 || end > last) end = last;
    if (begin < 1 || begin > end) return;
    this.observer?.resendRequest('in');
    this.logger.info({ session: this.key, begin, end }, 'serving ResendRequest');
    const stored = this.store.messages(this.key, begin, end);
    if (!isPromise(stored) && this.held === undefined) {
      this.serveResend(stored, begin, end);
      return;
    }
    // The store answers later: what the session sends meanwhile is held, so the resent messages
    // still go out first, in order, and the held ones right after the last resend.
    this.held ??= [];
    this.resendsWaiting++;
    const connection = this.connection;
    const answer = Promise.resolve(stored);
    answer.catch(() => undefined);
    this.resendQueue = this.resendQueue.then(() => answer).then(
      (messages) => {
        if (this.connection === connection) this.serveResend(messages, begin, end);
      },
      (err: unknown) => {
        this.logger.error({ err, session: this.key }, 'stored messages could not be read for a resend');
        if (this.connection === connection) this.disconnect('resend store unavailable');
      },
    ).finally(() => {
      if (this.connection === connection && --this.resendsWaiting === 0) this.releaseHeld();
    });
  }

  private serveResend(messages: readonly StoredMessage[], begin: number, end: number): void {
    this.servingResend = true;
    try {
      let cursor = begin;
      for (const stored of messages) {
        if (stored.seq > cursor) this.sendGapFill(cursor, stored.seq);
        this.resend(stored.raw);
        cursor = stored.seq + 1;
      }
      if (cursor <= end) this.sendGapFill(cursor, end + 1);
    } finally {
      this.servingResend = false;
    }
  }

  private releaseHeld(): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (held.length === 0) return;
    this.outbound.push(...held);
    this.requestFlush();
  }

  private onLogout(): void {
    if (this.status === 'logout-sent') {
      this.disconnect('logout acknowledged');
      return;
    }
    this.send(MsgType.Logout, []);
    this.disconnect('logout requested by counterparty');
  }

  // ------------------------------------------------------------------------------------------
  // Outbound
  // ------------------------------------------------------------------------------------------

  /**
   * The header fields of a message: valid until the next call (a message without routing fields,
   * nearly every one, reuses one array; it is encoded at once).
   */
  private header(msgType: string, seq: number, route: readonly Field[]): readonly Field[] {
    if (route.length === 0) {
      const h = this.plainHeader;
      h[0]![1] = msgType;
      h[1]![1] = this.settings.senderCompId;
      h[2]![1] = this.settings.targetCompId;
      h[3]![1] = String(seq);
      h[4]![1] = formatUtcTimestamp(this.now());
      return h;
    }
    const header: Field[] = [[Tag.MsgType, msgType], [Tag.SenderCompID, this.settings.senderCompId], [Tag.TargetCompID, this.settings.targetCompId]];
    for (const field of route) header.push(field);
    header.push([Tag.MsgSeqNum, String(seq)], [Tag.SendingTime, formatUtcTimestamp(this.now())]);
    return header;
  }

  private send(msgType: string, body: Body, route: readonly Field[] = [], keep = true): number {
    const seq = this.nextSender++;
    const raw = encodeMessage(BEGIN_STRING, this.header(msgType, seq, route), body);
    // Only application messages are kept: on resend, admin messages become a gap fill.
    if (keep && !ADMIN_MSG_TYPES.has(msgType)) this.store.saveMessage(this.key, seq, raw);
    this.persistSeqs();
    if (this.connection) {
      this.observer?.sent(msgType);
      this.write(raw);
    }
    return seq;
  }

  private write(raw: string): void {
    this.lastSentAt = this.now();
    const entry = new QueuedWrite(raw, this.store.pendingBatch);
    if (this.held && !this.servingResend) {
      this.held.push(entry);
      return;
    }
    this.outbound.push(entry);
    this.requestFlush();
  }

  private requestFlush(): void {
    if (this.flushRequested) return;
    this.flushRequested = true;
    this.store.whenCommitted(this.flushOutbound);
  }

  /** Writes what is durable, in order; the rest waits for the next commit. */
  private writeOutbound(): void {
    this.flushRequested = false;
    const durable = this.store.committedBatch;
    let ready = 0;
    while (ready < this.outbound.length && this.outbound[ready]!.batch <= durable) ready++;
    const pending = this.outbound.splice(0, ready);
    const connection = this.connection;
    if (pending.length > 0 && connection) {
      if (pending.length === 1) connection.write(pending[0]!.raw);
      else if (connection.writeAll) connection.writeAll(pending);
      else connection.write(pending.map((p) => p.raw).join(''));
    }
    if (this.outbound.length > 0) this.requestFlush();
    if (this.closeAfterFlush && this.connection) this.disconnect('closed after flush');
  }

  private sendGapFill(seq: number, newSeqNo: number): void {
    const now = formatUtcTimestamp(this.now());
    this.observer?.sent(MsgType.SequenceReset);
    this.write(
      encodeMessage(BEGIN_STRING, [
        [Tag.MsgType, MsgType.SequenceReset],
        [Tag.SenderCompID, this.settings.senderCompId],
        [Tag.TargetCompID, this.settings.targetCompId],
        [Tag.MsgSeqNum, String(seq)],
        [Tag.PossDupFlag, 'Y'],
        [Tag.SendingTime, now],
        [Tag.OrigSendingTime, now],
        [Tag.GapFillFlag, 'Y'],
        [Tag.NewSeqNo, String(newSeqNo)],
      ]),
    );
  }

  /** Re-sends a stored message with PossDupFlag=Y and OrigSendingTime set to its original SendingTime. */
  private resend(raw: string): void {
    const original = parseFrame(raw);
    const fields: Field[] = [];
    let origSendingTime = '';
    for (let i = 0; i < original.tags.length; i++) {
      const tag = original.tags[i]!;
      const value = original.values[i]!;
      if (tag === Tag.SendingTime) {
        origSendingTime = value;
        fields.push([Tag.PossDupFlag, 'Y'], [Tag.SendingTime, formatUtcTimestamp(this.now())], [Tag.OrigSendingTime, value]);
      } else if (tag !== Tag.BeginString && tag !== Tag.BodyLength && tag !== Tag.CheckSum && tag !== Tag.PossDupFlag && tag !== Tag.OrigSendingTime) {
        fields.push([tag, value]);
      }
    }
    if (origSendingTime === '') return;
    this.observer?.sent(original.msgType);
    this.write(encodeMessage(BEGIN_STRING, fields));
  }

  private reject(message: FixMessage, reason: number, tag?: number, text?: string, advance = true): void {
    const body: Field[] = [];
    const seqText = message.get(Tag.MsgSeqNum);
    body.push([Tag.RefSeqNum, seqText !== undefined && /^\d+$/.test(seqText) ? seqText : '0']);
    if (tag !== undefined) body.push([Tag.RefTagID, String(tag)]);
    if (message.msgType !== '') body.push([Tag.RefMsgType, message.msgType]);
    body.push([Tag.SessionRejectReason, String(reason)]);
    body.push([Tag.Text, text ?? REJECT_REASON_TEXT[reason] ?? 'Other']);
    // The rejected message still consumed its sequence number (not so for Logon and SequenceReset).
    const msgType = message.msgType;
    if (advance && msgType !== MsgType.Logon && msgType !== MsgType.SequenceReset && Number(seqText) === this.nextTarget) this.advanceTarget();
    this.observer?.sessionReject(reason);
    this.send(MsgType.Reject, body, reverseRoute(message));
  }

  /** BusinessMessageReject (35=j); the rejected message consumed its sequence number. */
  businessReject(message: FixMessage, reason: number, text: string, advance = true): void {
    const body: Field[] = [[Tag.RefSeqNum, message.get(Tag.MsgSeqNum) ?? '0'], [Tag.RefMsgType, message.msgType]];
    const ref = message.get(Tag.ClOrdID);
    if (ref !== undefined) body.push([Tag.BusinessRejectRefID, ref]);
    body.push([Tag.BusinessRejectReason, String(reason)], [Tag.Text, text]);
    if (advance && Number(message.get(Tag.MsgSeqNum)) === this.nextTarget) this.advanceTarget();
    this.observer?.businessReject(reason);
    this.send(MsgType.BusinessMessageReject, body, reverseRoute(message));
  }

  private sendLogout(text?: string): void {
    if (this.status === 'logout-sent' || !this.connection) return;
    this.send(MsgType.Logout, text ? [[Tag.Text, text]] : []);
    this.status = 'logout-sent';
    this.logoutSentAt = this.now();
  }

  private sendLogoutAndDisconnect(text: string): void {
    this.send(MsgType.Logout, [[Tag.Text, text]]);
    this.disconnect(text);
  }

  private requestResend(seq: number): void {
    if (this.resendRange && seq >= this.resendRange.begin) {
      this.resendRange.end = Math.max(this.resendRange.end, seq - 1);
      return; // one outstanding request covers it (EndSeqNo=0 asks for everything)
    }
    this.resendRange = { begin: this.nextTarget, end: seq - 1 };
    this.logger.info({ session: this.key, begin: this.nextTarget, received: seq }, 'MsgSeqNum too high, requesting resend');
    this.observer?.resendRequest('out');
    this.send(MsgType.ResendRequest, [[Tag.BeginSeqNo, String(this.nextTarget)], [Tag.EndSeqNo, '0']]);
  }

  // ------------------------------------------------------------------------------------------
  // Sequence numbers and queue
  // ------------------------------------------------------------------------------------------

  private advanceTarget(): void {
    this.nextTarget++;
    this.persistSeqs();
    this.clearSatisfiedResend();
  }

  private clearSatisfiedResend(): void {
    if (this.resendRange && this.nextTarget > this.resendRange.end) this.resendRange = undefined;
  }

  private processQueue(): void {
    for (const seq of this.queue.keys()) if (seq < this.nextTarget) this.queue.delete(seq);
    let next = this.queue.get(this.nextTarget);
    while (next && this.connection) {
      this.queue.delete(this.nextTarget);
      if (next.acted) this.advanceTarget();
      else this.process(next.message);
      for (const seq of this.queue.keys()) if (seq < this.nextTarget) this.queue.delete(seq);
      next = this.queue.get(this.nextTarget);
    }
  }

  private resetSequence(): void {
    this.store.reset(this.key);
    this.nextSender = 1;
    this.nextTarget = 1;
  }

  private persistSeqs(): void {
    // One object reused: the store copies the numbers (the session moves them at every message).
    const numbers = this.numbers;
    numbers.nextSender = this.nextSender;
    numbers.nextTarget = this.nextTarget;
    numbers.reportedEvent = this.reportedEvent;
    this.store.saveSeqs(this.key, numbers);
  }

  // ------------------------------------------------------------------------------------------
  // Timers: heartbeat, test request, logout timeout
  // ------------------------------------------------------------------------------------------

  private startTimer(): void {
    this.stopTimer();
    this.lastSentAt = this.now();
    const tickMs = Math.max(100, Math.min(1000, (this.heartBtInt * 1000) / 4));
    this.timer = setInterval(() => this.onTimer(), tickMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Exposed for tests that drive time themselves. */
  onTimer(): void {
    if (!this.connection) return;
    const now = this.now();
    const hb = this.heartBtInt * 1000;
    if (this.status === 'logout-sent') {
      if (now - this.logoutSentAt >= this.settings.logoutTimeoutMs) this.disconnect('no Logout reply before the timeout');
      return;
    }
    if (this.status !== 'logged-on') return;
    const silentFor = now - this.lastReceivedAt;
    if (silentFor >= hb * 2.4) {
      this.disconnect('no message received within the heartbeat interval after a TestRequest');
      return;
    }
    if (silentFor >= hb * 1.2 && this.testRequestSentAt === 0) {
      this.testRequestSentAt = now;
      this.send(MsgType.TestRequest, [[Tag.TestReqID, `TEST-${now}`]]);
      return;
    }
    if (now - this.lastSentAt >= hb) this.send(MsgType.Heartbeat, []);
  }
}
