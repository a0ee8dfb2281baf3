/**
 * A process that commits FIX session batches to the file given as its argument as fast as it
 * can, printing `acked <n>` once batch n is durable; the crash test kills it with SIGKILL.
 * Batch n is the one file-session-backend.test.ts expects.
 */
import { FileFixSessionBackend } from '../../../../server/src/gateway/fix/file-session-backend.js';

const KEY = 'FIX.4.4:EXCH->C1|acc-1';
const backend = new FileFixSessionBackend(process.argv[2]!);
for (let n = 1; ; n++) {
  await backend.write({
    resets: [], messages: [[KEY, n, `35=8\x0134=${n}\x0158=é${'x'.repeat(n % 7)}\x01`]], seqs: [[KEY, { nextSender: n + 1, nextTarget: n }]], owners: [[`o${n}`, KEY]],
  });
  process.stdout.write(`acked ${n}\n`);
}
