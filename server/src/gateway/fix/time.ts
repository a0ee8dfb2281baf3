/** FIX UTCTimestamp handling: "YYYYMMDD-HH:MM:SS[.sss]" (FIX 4.4 allows up to milliseconds; finer digits are accepted and truncated). */

const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

export function formatUtcTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    d.getUTCFullYear().toString().padStart(4, '0') +
    pad2(d.getUTCMonth() + 1) + pad2(d.getUTCDate()) + '-' +
    pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds()) + '.' +
    d.getUTCMilliseconds().toString().padStart(3, '0')
  );
}

/** Milliseconds since the epoch, or undefined when the text is not a valid UTCTimestamp. */
export function parseUtcTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  // Second 60 is a leap second in FIX; fold it into the next second's start.
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const value = Date.UTC(Number(y), month - 1, day, hour, minute, second, ms);
  const check = new Date(Date.UTC(Number(y), month - 1, day));
  if (check.getUTCDate() !== day) return undefined; // e.g. 20240231
  return value;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}
