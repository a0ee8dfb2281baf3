/**
 * A WebSocket test client: connects with the `ws` library, checks every frame it receives
 * against the contract's JSON Schema for that frame (ajv, from generated/asyncapi.json), and
 * offers request/reply and wait-for-frame helpers. Login is signed from docs/websocket.md's
 * description with the shared client-side signing helpers, not with the server's code.
 */
import WebSocket from 'ws';
import type { ValidateFunction } from 'ajv';
import type { ServerMessage } from '../../../generated/asyncapi.js';
import { WS_MESSAGES } from '../../../generated/asyncapi.js';
import { contractAjv, loadContract, schemaValidator } from '../../../server/src/gateway/ws/contract.js';
import { canonicalString, signatureFor, type Credentials } from '../../helpers/signing.js';

/** A received frame: its `type` is the contract's; its other fields are checked against the contract at run time. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = { type: ServerMessage['type'] } & Record<string, any>;

const contract = loadContract() as { components: { schemas: Record<string, { properties?: Record<string, { const?: string }> }> } };
const ajv = contractAjv(contract);

/** Server frame kind (`type`, or `reply:<op>`) → its payload schema's validator. */
const SERVER_SCHEMAS = new Map<string, ValidateFunction>();
for (const message of Object.values(WS_MESSAGES)) {
  if (message.direction !== 'server') continue;
  const props = contract.components.schemas[message.payload]?.properties ?? {};
  const type = props.type?.const;
  const kind = type === 'reply' ? `reply:${props.op?.const}` : type;
  if (kind) SERVER_SCHEMAS.set(kind, schemaValidator(ajv, message.payload));
}

/** Validates a frame the server sent against the contract; returns a description of the problem, if any. */
export function contractViolation(frame: Frame): string | undefined {
  const kind = frame.type === 'reply' ? `reply:${frame.op}` : frame.type;
  const validate = SERVER_SCHEMAS.get(kind);
  if (!validate) return `no message in the contract for frame kind ${kind}`;
  return validate(frame) ? undefined : `${kind}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(frame).slice(0, 300)}`;
}

let lastTimestamp = 0;

/**
 * The login request the docs describe: sign `timestamp\nGET\n/v1/ws\nsha256("")`. Two logins
 * with one key in the same millisecond would carry the same signature (a replay), so default
 * timestamps never repeat.
 */
export function loginRequest(creds: Credentials, opts: { timestamp?: number; cancelOnDisconnect?: boolean; window?: number } = {}) {
  const timestamp = opts.timestamp ?? (lastTimestamp = Math.max(Date.now(), lastTimestamp + 1));
  return {
    keyId: creds.keyId,
    timestamp,
    signature: signatureFor(creds, canonicalString(timestamp, 'GET', '/v1/ws', '')),
    ...(opts.cancelOnDisconnect !== undefined && { cancelOnDisconnect: opts.cancelOnDisconnect }),
    ...(opts.window !== undefined && { window: opts.window }),
  };
}

export class WsTestClient {
  readonly frames: Frame[] = [];
  /** Frames that did not match the contract (tests assert this stays empty). */
  readonly violations: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];
  #nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      const violation = contractViolation(frame);
      if (violation) this.violations.push(violation);
      this.frames.push(frame);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of this.#waiters) w();
    }));
  }

  /** Connects and waits for the welcome frame. */
  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<WsTestClient> {
    const ws = new WebSocket(url, options);
    const client = new WsTestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode, response: res })));
    });
    await client.waitFor((f) => f.type === 'welcome');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a request and resolves with its reply or error frame. */
  async request(op: string, args?: unknown, timeoutMs = 30_000): Promise<Frame> {
    const id = this.#nextId++;
    const start = this.frames.length;
    this.send({ id, op, ...(args !== undefined && { args }) });
    return this.waitFor((f) => (f.type === 'reply' || f.type === 'error') && f.id === id, { from: start, timeoutMs });
  }

  /** Sends a request and fails unless it is answered with a reply. */
  async ok(op: string, args?: unknown): Promise<Frame> {
    const answer = await this.request(op, args);
    if (answer.type !== 'reply') throw new Error(`${op} failed: ${JSON.stringify(answer)}`);
    return answer;
  }

  login(creds: Credentials, opts: Parameters<typeof loginRequest>[1] = {}): Promise<Frame> {
    return this.request('login', loginRequest(creds, opts));
  }

  /** The first frame at index >= `from` that matches, waiting up to `timeoutMs` for it (generous: a bound for a frame that never comes). */
  async waitFor(match: (f: Frame) => boolean, { from = 0, timeoutMs = 30_000 }: { from?: number; timeoutMs?: number } = {}): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    let scanned = from;
    for (;;) {
      for (; scanned < this.frames.length; scanned++) if (match(this.frames[scanned]!)) return this.frames[scanned]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) throw new Error(`no matching frame within ${timeoutMs} ms (${this.frames.length} frames, state ${this.ws.readyState})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** The clients a test file opens; `release` closes them all and returns what they saw off-contract. */
export class ClientPool {
  readonly #clients: WsTestClient[] = [];

  async connect(url: string, options?: WebSocket.ClientOptions): Promise<WsTestClient> {
    const client = await WsTestClient.connect(url, options);
    this.#clients.push(client);
    return client;
  }

  release(): string[] {
    const violations = this.#clients.flatMap((c) => c.violations);
    for (const c of this.#clients.splice(0)) c.close();
    return violations;
  }
}
