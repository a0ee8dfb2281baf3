import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checksum, encodeMessage, FrameDecoder, GarbledMessageError, latin1Bytes, parseFrame, type Field } from '../../../server/src/gateway/fix/codec.js';

const SOH = '\x01';
const wire = (s: string): string => s.replaceAll('|', SOH);

function decodeAll(chunks: Array<string | Buffer>): { frames: string[]; garbage: string[] } {
  const frames: string[] = [];
  const garbage: string[] = [];
  const decoder = new FrameDecoder((f) => frames.push(f), (reason) => garbage.push(reason));
  for (const c of chunks) decoder.push(c);
  return { frames, garbage };
}

/** Builds a frame from raw body text with the given (possibly wrong) BodyLength and CheckSum. */
function rawFrame(body: string, bodyLength?: number, check?: string): string {
  const b = wire(body);
  const head = `8=FIX.4.4${SOH}9=${bodyLength ?? b.length}${SOH}`;
  return head + b + `10=${check ?? checksum(head + b)}${SOH}`;
}

const valueArb = fc.stringMatching(/^[ -~]{1,20}$/).filter((s) => !s.includes('='));
const fieldsArb = fc.array(fc.tuple(fc.integer({ min: 11, max: 9999 }).filter((t) => t !== 10 && t !== 96 && t !== 89 && t !== 91), valueArb), { maxLength: 15 });

describe('FIX codec', () => {
  it('computes CheckSum as the byte sum modulo 256 in three digits', () => {
    expect(checksum('\x01')).toBe('001');
    expect(checksum('A')).toBe('065');
    expect(checksum('\xff\xff')).toBe('254');
  });

  it('encodes a known message with the BodyLength and CheckSum of the FIX specification', () => {
    // Byte count of "35=0|49=A|56=B|34=1|52=20240101-00:00:00.000|" is 45.
    const text = encodeMessage('FIX.4.4', [[35, '0'], [49, 'A'], [56, 'B'], [34, '1'], [52, '20240101-00:00:00.000']]);
    expect(text.startsWith(wire('8=FIX.4.4|9=45|35=0|'))).toBe(true);
    const sum = [...text.slice(0, text.lastIndexOf('10='))].reduce((s, c) => s + c.charCodeAt(0), 0) % 256;
    expect(text.endsWith(`10=${String(sum).padStart(3, '0')}${SOH}`)).toBe(true);
  });

  it('writes BeginString and BodyLength as the text "8=<BeginString>|9=<length>|" would, for any BeginString and body size', () => {
    // Bodies from empty to over 1,000 bytes (BodyLength of 1 to 4 digits); BeginStrings longer than the head's room too.
    const beginArb = fc.oneof(fc.constant('FIX.4.4'), fc.stringMatching(/^[ -~]{0,80}$/).filter((s) => !s.includes('=')));
    const longValueArb = fc.oneof(valueArb, fc.stringMatching(/^[ -~]{100,400}$/).filter((s) => !s.includes('=')));
    fc.assert(
      fc.property(beginArb, fc.array(fc.tuple(fc.integer({ min: 11, max: 9999 }), longValueArb), { maxLength: 6 }), (begin, fields) => {
        const all: Field[] = [[35, 'D'], ...fields];
        const body = all.map(([t, v]) => `${t}=${v}${SOH}`).join('');
        const head = `8=${begin}${SOH}9=${body.length}${SOH}`;
        expect(encodeMessage(begin, all)).toBe(`${head}${body}10=${checksum(head + body)}${SOH}`);
      }),
    );
  });

  it('gives the bytes of messages written one after another as their joined text in latin1', () => {
    const rawArb = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 3000 });
    fc.assert(
      fc.property(fc.array(rawArb, { maxLength: 12 }), (raws) => {
        const bytes = latin1Bytes(raws.map((raw) => ({ raw })));
        expect(bytes.equals(Buffer.from(raws.join(''), 'latin1'))).toBe(true);
      }),
    );
  });

  it('reads values in place as the values cut out would read (is, valueAtIs, smallUintOf)', () => {
    const textArb = fc.oneof(fc.stringMatching(/^[0-9]{0,12}$/), fc.stringMatching(/^[ -~]{0,14}$/).filter((v) => !v.includes('=')));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(34, 49, 56, 52, 11), textArb), { maxLength: 8 }), textArb, (fields, probe) => {
        const msg = parseFrame(encodeMessage('FIX.4.4', [[35, 'D'], ...fields]));
        for (const tag of [34, 49, 56, 52, 11, 99]) {
          const value = msg.get(tag);
          expect(msg.is(tag, probe)).toBe(value === probe);
          if (value !== undefined) expect(msg.is(tag, value)).toBe(true);
          expect(msg.smallUintOf(tag)).toBe(value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : -1);
          expect(msg.indexOf(tag)).toBe(msg.tags.indexOf(tag));
        }
        for (let i = 0; i < msg.fieldCount; i++) {
          expect(msg.valueAtIs(i, probe)).toBe(msg.valueAt(i) === probe);
          expect(msg.valueAtIs(i, msg.valueAt(i))).toBe(true);
        }
      }),
    );
  });

  it('keeps every value where it lies in frames shorter and longer than 32,768 bytes (one number a value below, two above)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 32_600, max: 32_900 }), fieldsArb, (padding, fields) => {
        const all: Field[] = [[35, 'D'], ...fields, [58, 'p'.repeat(padding)], ...fields];
        const frame = encodeMessage('FIX.4.4', all);
        const msg = parseFrame(frame);
        expect(msg.msgType).toBe('D');
        expect(msg.tags.slice(2, -1)).toEqual(all.map(([t]) => t));
        for (let i = 2; i < msg.fieldCount - 1; i++) {
          const [, value] = all[i - 2]!;
          expect(msg.valueAt(i)).toBe(value);
          expect(frame.slice(msg.valueStart(i), msg.valueEnd(i))).toBe(value);
          expect(frame.charCodeAt(msg.valueEnd(i))).toBe(1);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('round-trips any field list through encode, frame and parse', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 2 }).filter((s) => /^[0-9A-Za-z]+$/.test(s)), fieldsArb, (msgType, fields) => {
        const all: Field[] = [[35, msgType], ...fields];
        const text = encodeMessage('FIX.4.4', all);
        const { frames, garbage } = decodeAll([text]);
        expect(garbage).toEqual([]);
        expect(frames).toEqual([text]);
        const msg = parseFrame(frames[0]!);
        expect(msg.tags.slice(2, -1)).toEqual(all.map(([t]) => t));
        expect(msg.values.slice(2, -1)).toEqual(all.map(([, v]) => v));
      }),
    );
  });

  it('parses each frame into its own fields, whatever was parsed before it (parsed messages kept side by side)', () => {
    fc.assert(
      fc.property(fc.array(fieldsArb, { minLength: 1, maxLength: 6 }), (lists) => {
        const parsed = lists.map((fields) => parseFrame(encodeMessage('FIX.4.4', [[35, 'D'], ...fields])));
        parsed.forEach((msg, i) => {
          expect(msg.tags.slice(3, -1)).toEqual(lists[i]!.map(([t]) => t));
          expect(msg.values.slice(3, -1)).toEqual(lists[i]!.map(([, v]) => v));
        });
      }),
    );
    // A frame of one or two fields after a longer one is still garbled.
    parseFrame(encodeMessage('FIX.4.4', [[35, 'D'], [11, 'A'], [55, 'B']]));
    expect(() => parseFrame(`8=FIX.4.4${SOH}9=5${SOH}`)).toThrow(GarbledMessageError);
    expect(() => parseFrame(`8=FIX.4.4${SOH}`)).toThrow(GarbledMessageError);
  });

  it('reassembles frames split at any byte boundary and concatenated in one chunk', () => {
    fc.assert(
      fc.property(fc.array(fieldsArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (bodies, cuts) => {
        const texts = bodies.map((f) => encodeMessage('FIX.4.4', [[35, 'D'], ...f]));
        const stream = texts.join('');
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let last = 0;
        for (const p of points) { chunks.push(stream.slice(last, p)); last = p; }
        chunks.push(stream.slice(last));
        const { frames, garbage } = decodeAll(chunks);
        expect(garbage).toEqual([]);
        expect(frames).toEqual(texts);
      }),
    );
  });

  it('encodes a message larger than its reused buffer, and the next small one after it, each whole', () => {
    const long = `${'é'.repeat(20_000)}x`;
    const big = encodeMessage('FIX.4.4', [[35, '3'], [58, long]]);
    const small = encodeMessage('FIX.4.4', [[35, '0'], [112, 'T']]);
    const { frames } = decodeAll([Buffer.from(big + small, 'latin1')]);
    expect(frames).toEqual([big, small]);
    expect(Buffer.from(parseFrame(big).get(58)!, 'latin1').toString('utf8')).toBe(long);
    expect(parseFrame(small).get(112)).toBe('T');
  });

  it('carries UTF-8 text as bytes, counted as bytes in BodyLength', () => {
    const text = encodeMessage('FIX.4.4', [[35, '3'], [58, 'prix 10€']]);
    const bytes = Buffer.from(text, 'latin1');
    const { frames } = decodeAll([bytes.subarray(0, 20), bytes.subarray(20)]);
    expect(frames).toHaveLength(1);
    expect(Buffer.from(parseFrame(frames[0]!).get(58)!, 'latin1').toString('utf8')).toBe('prix 10€');
  });

  it('reads a data field that contains SOH using its length field', () => {
    const data = `ab${SOH}cd`;
    const text = encodeMessage('FIX.4.4', [[35, 'A'], [95, String(data.length)], [96, data], [98, '0']]);
    const msg = parseFrame(decodeAll([text]).frames[0]!);
    expect(msg.get(96)).toBe(data);
    expect(msg.get(98)).toBe('0');
  });

  it('drops a frame with a wrong CheckSum and keeps the next one', () => {
    const good = rawFrame('35=0|34=3|');
    const bad = rawFrame('35=0|34=2|', undefined, '000');
    const { frames, garbage } = decodeAll([bad + good]);
    expect(frames).toEqual([good]);
    expect(garbage).toHaveLength(1);
    expect(garbage[0]).toMatch(/CheckSum/);
  });

  it('drops frames whose BodyLength is too small or too large and resynchronises', () => {
    const good = rawFrame('35=0|34=4|');
    const short = rawFrame('35=0|34=2|', 5);
    const long = rawFrame('35=0|34=3|', 14);
    const { frames, garbage } = decodeAll([short, long, good]);
    expect(frames).toEqual([good]);
    expect(garbage.length).toBeGreaterThanOrEqual(2);
  });

  it('drops a frame whose BodyLength is not a number', () => {
    const good = rawFrame('35=0|34=4|');
    const { frames, garbage } = decodeAll([wire('8=FIX.4.4|9=x1|35=0|10=000|') + good]);
    expect(frames).toEqual([good]);
    expect(garbage.length).toBeGreaterThanOrEqual(1);
  });

  it('skips noise before BeginString', () => {
    const good = rawFrame('35=0|34=4|');
    const { frames, garbage } = decodeAll(['noise' + SOH + good]);
    expect(frames).toEqual([good]);
    expect(garbage).toHaveLength(1);
  });

  it('rejects frames whose first three fields are not 8, 9, 35, and non-numeric tags, as garbled', () => {
    expect(() => parseFrame(rawFrame('34=3|35=0|'))).toThrow(GarbledMessageError);
    expect(() => parseFrame(rawFrame('35=0|49garbled=TW|'))).toThrow(GarbledMessageError);
    expect(() => parseFrame(rawFrame('35=0|novalue|'))).toThrow(GarbledMessageError);
    // Negative and zero tags are well-formed; the validator rejects them as invalid tag numbers.
    expect(parseFrame(rawFrame('35=0|-1=HI|')).get(-1)).toBe('HI');
  });

  it('never throws anything but GarbledMessageError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const frames: string[] = [];
        const decoder = new FrameDecoder((f) => frames.push(f));
        decoder.push(Buffer.from(bytes));
        for (const f of frames) {
          try { parseFrame(f); } catch (e) { expect(e).toBeInstanceOf(GarbledMessageError); }
        }
      }),
    );
  });
});

describe('FrameDecoder resynchronisation (property)', () => {
  type Garble =
    | { kind: 'none' }
    | { kind: 'checksum-text'; text: string }
    | { kind: 'checksum-value' }
    | { kind: 'body-length'; delta: number }
    | { kind: 'truncate'; keep: number }
    | { kind: 'junk-before'; junk: string };

  const garbleArb: fc.Arbitrary<Garble> = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Garble>({ kind: 'none' }) },
    fc.constantFrom('0', '00', '0000', 'ab', '', '1 2').map((text): Garble => ({ kind: 'checksum-text', text })),
    fc.constant<Garble>({ kind: 'checksum-value' }),
    fc.integer({ min: -40, max: 60 }).filter((d) => d !== 0).map((delta): Garble => ({ kind: 'body-length', delta })),
    fc.integer({ min: 1, max: 200 }).map((keep): Garble => ({ kind: 'truncate', keep })),
    fc.stringMatching(/^[a-z0-9=\x01 ]{1,30}$/).map((junk): Garble => ({ kind: 'junk-before', junk })),
  );

  const encode = (id: number, text: string): string =>
    encodeMessage('FIX.4.4', [[35, '1'], [49, 'C'], [56, 'S'], [34, String(id + 1)], [52, '20250101-00:00:00.000'], [112, `T${id}`], [58, text]]);

  function garbled(message: string, g: Garble): string {
    const trailer = message.length - 7;
    switch (g.kind) {
      case 'none': return message;
      case 'checksum-text': return `${message.slice(0, trailer)}10=${g.text}\x01`;
      case 'checksum-value': return `${message.slice(0, trailer)}10=${String((Number(message.slice(-4, -1)) + 1) % 256).padStart(3, '0')}\x01`;
      case 'body-length': return message.replace(/\x019=(\d+)\x01/, (_m, n: string) => `\x019=${Math.max(0, Number(n) + g.delta)}\x01`);
      // Cut before the trailer, so later bytes cannot complete it into a valid message.
      case 'truncate': return message.slice(0, Math.min(g.keep, message.length - 8));
      case 'junk-before': return g.junk + message;
    }
  }

  it('delivers every intact message exactly once, in order, whatever garbles the others and however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbleArb, fc.stringMatching(/^[a-zA-Z0-9 ]{1,40}$/)), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 20 }),
        (plan, cuts) => {
          // The last message is always intact: a garbled tail may wait for bytes that never come.
          const messages = plan.map(([g, text], i) => ({ id: i, g: i === plan.length - 1 ? ({ kind: 'none' } as Garble) : g, wire: encode(i, text) }));
          const stream = messages.map((m) => garbled(m.wire, m.g)).join('');
          const frames: string[] = [];
          const decoder = new FrameDecoder((f) => frames.push(f));
          let at = 0;
          for (const cut of cuts) {
            const next = Math.min(stream.length, at + cut);
            decoder.push(Buffer.from(stream.slice(at, next), 'latin1'));
            at = next;
          }
          decoder.push(Buffer.from(stream.slice(at), 'latin1'));
          const intact = messages.filter((m) => m.g.kind === 'none' || m.g.kind === 'junk-before').map((m) => m.wire);
          expect(frames).toEqual(intact);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('answers a valid message right after one whose CheckSum is malformed (10=0)', () => {
    const frames: string[] = [];
    const decoder = new FrameDecoder((f) => frames.push(f));
    const bad = encode(0, 'bad');
    const good = encode(1, 'good');
    decoder.push(`${bad.slice(0, -7)}10=0\x01${good}`);
    expect(frames).toEqual([good]);
  });

  it('keeps a BeginString still arriving after a message cut short inside its BodyLength', () => {
    // Found by the property above: "8=FIX.4.4|9=" then the next message, whose "9=" is not here yet.
    const frames: string[] = [];
    const decoder = new FrameDecoder((f) => frames.push(f));
    const good = encode(1, 'good');
    decoder.push(`${encode(0, 'cut').slice(0, 12)}${good.slice(0, 10)}`);
    decoder.push(good.slice(10));
    expect(frames).toEqual([good]);
  });
});
