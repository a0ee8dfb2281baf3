import { encodeMessage, FrameDecoder, parseFrame, type FixMessage, type Field } from '../../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';

export const SUBSET_DICTIONARY = new URL('../../../api-spec/fix/FIX44-subset.xml', import.meta.url).pathname;

/** Encodes "35=..|49=..|" style text (| for SOH) as a FIX 4.4 frame with correct BodyLength and CheckSum. */
export function frame(text: string, beginString = 'FIX.4.4'): string {
  const fields: Field[] = text.split('|').filter((s) => s !== '').map((kv) => {
    const eq = kv.indexOf('=');
    return [Number(kv.slice(0, eq)), kv.slice(eq + 1)] as const;
  });
  return encodeMessage(beginString, fields);
}

export function parse(text: string): FixMessage {
  let out: FixMessage | undefined;
  new FrameDecoder((f) => { out = parseFrame(f); }).push(frame(text));
  if (!out) throw new Error('no frame');
  return out;
}

export const now = (offsetMs = 0): string => formatUtcTimestamp(Date.now() + offsetMs);
