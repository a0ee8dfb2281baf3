/**
 * Run with --expose-gc: how much heap stays in use while 1,000 ClOrdIDs cut out of 1,000 large
 * frames are kept, once as the parsed values and once as `ownCopy`s of them. Prints
 * `{ "slices": bytes, "copies": bytes }`. A value of 13 characters or more that V8 cut out as a
 * slice keeps its whole frame alive; a copy keeps only itself.
 */
import { ownCopy, parseFrame } from '../../../../server/src/gateway/fix/codec.js';

const SOH = '\x01';
const FRAMES = 1_000;
const PADDING = 'x'.repeat(50_000);

function frame(i: number): string {
  const clOrdId = `0b7e5a8c-4d0f-4a43-9a1e-${String(i).padStart(12, '0')}`;
  const body = `35=D${SOH}49=C${SOH}56=S${SOH}34=${i + 2}${SOH}52=20261207-09:00:00.000${SOH}11=${clOrdId}${SOH}58=${PADDING}${SOH}`;
  const head = `8=FIX.4.4${SOH}9=${body.length}${SOH}`;
  let sum = 0;
  for (let k = 0; k < head.length; k++) sum += head.charCodeAt(k);
  for (let k = 0; k < body.length; k++) sum += body.charCodeAt(k);
  // A fresh flat string per frame, as the decoder's buffer is, not a concatenation sharing PADDING.
  return Buffer.from(`${head}${body}10=${String(sum & 255).padStart(3, '0')}${SOH}`, 'latin1').toString('latin1');
}

function heldWhileKeeping(keep: (value: string) => string): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: string[] = [];
  for (let i = 0; i < FRAMES; i++) kept.push(keep(parseFrame(frame(i)).get(11)!));
  gc();
  const held = process.memoryUsage().heapUsed - before;
  if (kept.length !== FRAMES) throw new Error('unreachable');
  return held;
}

process.stdout.write(JSON.stringify({ slices: heldWhileKeeping((v) => v), copies: heldWhileKeeping(ownCopy) }));
