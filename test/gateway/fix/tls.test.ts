/**
 * The FIX acceptor over TLS: a whole service whose certificate and key come from its config (a
 * self-signed pair made with the openssl CLI), and a real TLS FIX client that logs on with a real
 * signature and trades. A client that offers only TLS 1.1 is refused at the handshake.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixLogonPrehash } from '../../../server/src/auth/canonical.js';
import { encodeMessage, FrameDecoder, parseFrame, type FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const certDir = mkdtempSync(join(tmpdir(), 'fix-tls-'));
const certFile = join(certDir, 'cert.pem');
const keyFile = join(certDir, 'key.pem');
let svc: TestService;
let trader: { accountId: string; keyId: string; secret: string };

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  svc = await startTestService({ config: { fix: { enabled: true, host: '127.0.0.1', port: 0, compId: 'EXCH', resetOnLogon: false, cancelOnDisconnect: false, tlsCertFile: certFile, tlsKeyFile: keyFile } } });
  trader = await svc.createTrader('tls-1', undefined, ['read', 'trade'], { fixSenderCompId: 'TLS1' });
});
afterAll(async () => {
  await svc.stop();
  rmSync(certDir, { recursive: true, force: true });
});

/** A FIX client on a TLS socket that trusts only the test's certificate. */
async function tlsClient(options: { maxVersion?: 'TLSv1.1' } = {}): Promise<{ socket: TLSSocket; next: (type: string) => Promise<FixMessage> }> {
  const socket = connect({ host: '127.0.0.1', port: svc.fixPort!, ca: readFileSync(certFile), servername: 'localhost', ...(options.maxVersion && { minVersion: 'TLSv1', maxVersion: options.maxVersion, ciphers: 'DEFAULT@SECLEVEL=0' }) });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const received: FixMessage[] = [];
  const waiters: (() => void)[] = [];
  const decoder = new FrameDecoder((f) => {
    received.push(parseFrame(f));
    for (const w of waiters.splice(0)) w();
  });
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  let cursor = 0;
  const next = async (type: string): Promise<FixMessage> => {
    for (;;) {
      while (cursor < received.length) {
        const m = received[cursor++]!;
        if (m.msgType === type) return m;
      }
      await new Promise<void>((resolve, reject) => {
        waiters.push(resolve);
        socket.once('close', () => reject(new Error(`closed while waiting for ${type}`)));
      });
    }
  };
  return { socket, next };
}

describe('FIX over TLS', () => {
  it('logs on with a real signature over TLS 1.2 or later and trades', async () => {
    const { socket, next } = await tlsClient();
    expect(['TLSv1.2', 'TLSv1.3']).toContain(socket.getProtocol());
    const sendingTime = formatUtcTimestamp(Date.now());
    const signature = createHmac('sha256', Buffer.from(trader.secret, 'base64url'))
      .update(fixLogonPrehash({ sendingTime, msgType: 'A', msgSeqNum: 1, senderCompId: 'TLS1', targetCompId: 'EXCH' })).digest('base64');
    socket.write(encodeMessage('FIX.4.4', [[35, 'A'], [49, 'TLS1'], [56, 'EXCH'], [34, '1'], [52, sendingTime], [98, '0'], [108, '30'], [141, 'Y'], [553, trader.keyId], [554, signature]]), 'latin1');
    expect((await next('A')).get(141)).toBe('Y');
    socket.write(encodeMessage('FIX.4.4', [[35, 'D'], [49, 'TLS1'], [56, 'EXCH'], [34, '2'], [52, formatUtcTimestamp(Date.now())],
      [11, 'T-1'], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(Date.now())], [38, '0.01'], [40, '2'], [44, '100']]), 'latin1');
    const er = await next('8');
    expect([er.get(11), er.get(150), er.get(1)]).toEqual(['T-1', '0', 'tls-1']);
    socket.destroy();
  });

  it('refuses a client that offers only TLS 1.1', async () => {
    // The client would speak TLS 1.1 (its security level lowered); the acceptor's floor refuses it.
    await expect(tlsClient({ maxVersion: 'TLSv1.1' })).rejects.toThrow(/protocol/i);
  });
});
