/**
 * The FIX acceptor's per-message work on an inbound NewOrderSingle, without sockets: parse the
 * frame, validate it against the dictionary, and read the fields the session and the
 * application read. Prints nanoseconds per message (median of 10 rounds of 100,000, after 2
 * warm-up rounds), for parsing alone and for the whole.
 *
 *   npm run bench:fix-codec
 *   npm run bench:fix-codec -- --from /path/to/other/checkout   # that checkout's codec and validator
 *
 * Compare two builds by running each in its own process, alternating.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeMessage } from '../server/src/gateway/fix/codec.js';

const at = process.argv.indexOf('--from');
const root = at >= 0 ? resolve(process.argv[at + 1]!) : resolve(new URL('..', import.meta.url).pathname);
const load = (path: string) => import(pathToFileURL(`${root}/${path}`).href);
const { parseFrame } = await load('server/src/gateway/fix/codec.ts');
const { Validator } = await load('server/src/gateway/fix/validator.ts');
const { loadDictionary } = await load('server/src/gateway/fix/dictionary.ts');
const validator = new Validator(loadDictionary(`${root}/api-spec/fix/FIX44-subset.xml`));

interface Parsed { fieldCount: number; msgType: string; get(tag: number): string | undefined }

const frames: string[] = [];
for (let i = 0; i < 5_000; i++) {
  const buy = i % 2 === 0;
  frames.push(encodeMessage('FIX.4.4', [
    [35, 'D'], [49, 'BENCH'], [56, 'EXCH'], [34, String(i + 2)], [52, '20261206-13:45:00.123'],
    [11, `O1-${i}`], [55, 'BTC-USD'], [54, buy ? '1' : '2'], [60, '20261206-13:45:00.120'], [38, '0.01'], [40, '2'], [44, buy ? '100' : '200'],
  ]));
}

let sink = 0;
/** Nanoseconds per message over 20 passes of the frames. */
function round(work: (frame: string) => void): number {
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < 20; r++) for (const f of frames) work(f);
  return Number(process.hrtime.bigint() - t0) / (20 * frames.length);
}

const parseOnly = (f: string) => { sink += (parseFrame(f) as Parsed).fieldCount; };
const whole = (f: string) => {
  const m = parseFrame(f) as Parsed;
  const v = validator.validate(m) as { ok: boolean };
  if (!v.ok) throw new Error(`not valid: ${JSON.stringify(v)}`);
  // What the session (sequence number, CompIDs, SendingTime) and the application read of an order.
  for (const tag of [34, 49, 56, 52, 11, 55, 54, 38, 40, 44]) sink += m.get(tag)!.length;
  sink += m.msgType.length;
};

const median = (values: number[]) => {
  const s = values.slice(2).sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};
const parseTimes: number[] = [];
const wholeTimes: number[] = [];
for (let i = 0; i < 12; i++) {
  parseTimes.push(round(parseOnly));
  wholeTimes.push(round(whole));
}
console.log(JSON.stringify({ codeFrom: root, parseNs: Math.round(median(parseTimes)), parseValidateReadNs: Math.round(median(wholeTimes)), sink: sink > 0 }));
