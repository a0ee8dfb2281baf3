/** Reads samples out of a Prometheus text exposition, written from the format's description. */

/** Every sample of family `name` whose labels include `labels`, summed (0 when none). */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = parseLabels(match[3] ?? '');
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) sum += Number(match[4]);
  }
  return sum;
}

/** The families a /metrics text declares (its `# TYPE` lines). */
export function families(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^# TYPE (\S+) /.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

function parseLabels(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

export async function scrape(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}
