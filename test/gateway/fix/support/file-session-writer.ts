/**
 * A process that commits FIX session batches to the file given as its argument as fast as it
 * can, two in flight as the store pipelines them, printing `acked <n>` once batch n is durable;
 * the crash tests kill it with SIGKILL. Batch n is the one file-session-backend.test.ts expects.
 *
 * With a second argument H, every fdatasync asked for after the (H+1)th record is written never
 * returns (the process prints `held` instead): batches H+1 and H+2 are then written and not
 * synced, the state a kill between write and fdatasync of a pipelined batch finds.
 */
import * as fs from 'node:fs';
import { FileFixSessionBackend, type SessionFileIo } from '../../../../server/src/gateway/fix/file-session-backend.js';

const KEY = 'FIX.4.4:EXCH->C1|acc-1';
const holdAfter = process.argv[3] === undefined ? Number.POSITIVE_INFINITY : Number(process.argv[3]);
let written = 0;
let holding = false;
const io: SessionFileIo = {
  writeSync: (fd, data, offset, length, position) => {
    const n = fs.writeSync(fd, data, offset, length, position);
    if (++written > holdAfter) holding = true;
    return n;
  },
  fdatasync: (fd, done) => {
    if (holding) process.stdout.write('held\n');
    else fs.fdatasync(fd, done);
  },
};
const backend = new FileFixSessionBackend(process.argv[2]!, { io });
let next = 1;
const put = (n: number): void => {
  void backend.write({
    resets: [], messages: [[KEY, n, `35=8\x0134=${n}\x0158=é${'x'.repeat(n % 7)}\x01`]], seqs: [[KEY, { nextSender: n + 1, nextTarget: n }]], owners: [[`o${n}`, KEY]],
  }).then(() => {
    process.stdout.write(`acked ${n}\n`);
    put(next++);
  });
};
put(next++);
put(next++);
