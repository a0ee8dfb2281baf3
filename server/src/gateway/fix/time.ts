/** FIX UTCTimestamp handling: "YYYYMMDD-HH:MM:SS[.sss]" (FIX 4.4 allows up to milliseconds; finer digits are accepted and truncated). */

/**
 * The last two stamps formatted: messages sent in one burst share their millisecond, and a
 * report carries two times that alternate (its SendingTime, now, and its TransactTime, the
 * event's), which one remembered stamp would format afresh at every call.
 */
let lastMs = Number.NaN;
let lastText = '';
let otherMs = Number.NaN;
let otherText = '';

export function formatUtcTimestamp(ms: number): string {
  if (ms === lastMs) return lastText;
  if (ms === otherMs) return otherText;
  otherMs = lastMs;
  otherText = lastText;
  lastText = formatFresh(ms);
  lastMs = ms;
  return lastText;
}

function formatFresh(ms: number): string {
  const d = new Date(ms);
  return (
    d.getUTCFullYear().toString().padStart(4, '0') +
    pad2(d.getUTCMonth() + 1) + pad2(d.getUTCDate()) + '-' +
    pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds()) + '.' +
    d.getUTCMilliseconds().toString().padStart(3, '0')
  );
}

/** Milliseconds since the epoch, or undefined when the text is not a valid UTCTimestamp (the parser authentication uses too). */
export { parseFixUtcTimestamp as parseUtcTimestamp } from '../../auth/canonical.js';

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}
