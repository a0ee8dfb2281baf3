/**
 * Compares two V8 heap snapshots (`.heapsnapshot`, as `bench:soak --heap-snapshots` writes them)
 * by constructor: objects and bytes (shallow sizes) in each, and the growth, largest first. A
 * leak shows as a constructor whose count keeps growing between snapshots taken under the same
 * load; a plateau shows as growth near zero.
 *
 *   npm run heap-diff -- before.heapsnapshot after.heapsnapshot [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Group { count: number; bytes: number }

/** Shallow bytes and object count per "type:name" (for objects, the name is the constructor). */
function summarise(path: string): { groups: Map<string, Group>; total: number } {
  const file = JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotFile;
  const fields = file.snapshot.meta.node_fields;
  const types = file.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, Group>();
  let total = 0;
  for (let i = 0; i < file.nodes.length; i += stride) {
    const type = types[file.nodes[i + typeAt]!]!;
    // Strings and numbers are grouped by type alone: their "names" are their contents.
    const name = type === 'object' || type === 'closure' || type === 'native' ? file.strings[file.nodes[i + nameAt]!]! : '';
    const key = `${type}:${name}`;
    const size = file.nodes[i + sizeAt]!;
    total += size;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += size;
    groups.set(key, group);
  }
  return { groups, total };
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
if (positionals.length !== 2) {
  console.error('usage: npm run heap-diff -- <before.heapsnapshot> <after.heapsnapshot> [--top 25]');
  process.exit(2);
}
const before = summarise(positionals[0]!);
const after = summarise(positionals[1]!);
const mib = (n: number) => (n / 2 ** 20).toFixed(2);
console.log(`total shallow size: ${mib(before.total)} MiB -> ${mib(after.total)} MiB (${after.total >= before.total ? '+' : ''}${mib(after.total - before.total)} MiB)`);
const keys = new Set([...before.groups.keys(), ...after.groups.keys()]);
const rows = [...keys].map((key) => {
  const a = before.groups.get(key) ?? { count: 0, bytes: 0 };
  const b = after.groups.get(key) ?? { count: 0, bytes: 0 };
  return { key, a, b, growth: b.bytes - a.bytes };
});
rows.sort((x, y) => Math.abs(y.growth) - Math.abs(x.growth));
console.log('| type:constructor | objects before | objects after | KiB before | KiB after | growth KiB |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows.slice(0, Number(values.top))) {
  console.log(`| ${r.key.replace(/\|/g, '\\|').slice(0, 60)} | ${r.a.count} | ${r.b.count} | ${(r.a.bytes / 1024).toFixed(0)} | ${(r.b.bytes / 1024).toFixed(0)} | ${(r.growth / 1024).toFixed(0)} |`);
}
