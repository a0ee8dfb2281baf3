/**
 * The REST changelog, derived from the released contracts: every file in
 * api-spec/released/history/<version>.json is compared with the release before it by the same
 * classifier as the compatibility gate (scripts/contract/classify-openapi.ts), and the findings
 * are written as docs/changelog.md, newest release first. Nothing here is written by hand, so the
 * changelog cannot drift from what was actually released.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyOpenApi, type Finding } from '../contract/classify-openapi.js';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

interface OperationObject { operationId?: string; summary?: string; deprecated?: boolean; parameters?: unknown[] }
export interface OpenApiDocument {
  info: { version: string; description?: string; title?: string };
  paths: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface ReleasedContract { version: string; doc: OpenApiDocument }

/** What a release changed, sorted into the sections a reader looks for. */
export interface ReleaseNotes {
  version: string;
  previous: string | undefined;
  breaking: string[];
  deprecated: string[];
  added: string[];
  changed: string[];
  documentation: string[];
}

/** `1.10.0` sorts after `1.9.3`; a pre-release (`2.0.0-rc.1`) before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('-', 2);
    return { parts: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

export function loadReleases(historyDir: string): ReleasedContract[] {
  return readdirSync(historyDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const doc = JSON.parse(readFileSync(join(historyDir, f), 'utf8')) as OpenApiDocument;
      const version = f.slice(0, -'.json'.length);
      if (doc.info.version !== version) throw new Error(`${f}: info.version is ${doc.info.version}, the file name says ${version}`);
      return { version, doc };
    })
    .sort((a, b) => compareVersions(a.version, b.version));
}

/** `paths./v1/orders/{id}.get.responses.200...` → the operation and what follows it. */
interface Located { path: string; method: string; rest: string[] }

function locate(location: string): Located | undefined {
  const m = /^paths\.(\/.*?)\.(get|put|post|delete|patch|options|head|trace)(?:\.(.*))?$/.exec(location);
  if (!m) return undefined;
  return { path: m[1]!, method: m[2]!, rest: m[3] === undefined ? [] : m[3].split('.') };
}

function operation(doc: OpenApiDocument, path: string, method: string): OperationObject | undefined {
  return doc.paths[path]?.[method] as OperationObject | undefined;
}

function operationLabel(op: Located, before: OpenApiDocument | undefined, after: OpenApiDocument): string {
  const o = operation(after, op.path, op.method) ?? (before && operation(before, op.path, op.method));
  return `\`${op.method.toUpperCase()} ${op.path}\`${o?.operationId ? ` (\`${o.operationId}\`)` : ''}`;
}

/**
 * A schema location as a reader writes a field: `properties.order.properties.side` → `order.side`,
 * `items` → `[]`; combinators (allOf/oneOf/anyOf and their index) add nothing a reader needs.
 * Returns the field and the keywords after it (`enum.2`, `maxLength`, ...).
 */
export function fieldPath(schemaSegments: readonly string[]): { field: string; rest: string[] } {
  let field = '';
  let i = 0;
  for (; i < schemaSegments.length; i++) {
    const s = schemaSegments[i]!;
    if (s === 'properties' && i + 1 < schemaSegments.length) field += `${field ? '.' : ''}${schemaSegments[++i]}`;
    else if (s === 'items') field += '[]';
    else if (s === 'additionalProperties') field += '{}';
    else if (s === 'allOf' || s === 'oneOf' || s === 'anyOf') i++;
    else break;
  }
  return { field, rest: schemaSegments.slice(i) };
}

/** Resolves a local `$ref` (the bundled contracts only use `#/...`). */
function deref(doc: OpenApiDocument, node: unknown): unknown {
  let current = node;
  for (let hops = 0; hops < 10 && current && typeof current === 'object' && '$ref' in current; hops++) {
    const ref = (current as { $ref: string }).$ref;
    if (!ref.startsWith('#/')) return current;
    current = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((n, key) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[key] : undefined), doc);
  }
  return current;
}

function parameterName(doc: OpenApiDocument | undefined, op: Located, index: number): string {
  const raw = doc && operation(doc, op.path, op.method)?.parameters?.[index];
  const p = doc ? (deref(doc, raw) as { name?: string; in?: string; required?: boolean } | undefined) : undefined;
  return p?.name ? `${p.required ? 'required ' : ''}${p.in ?? ''} parameter \`${p.name}\``.trim() : 'a parameter';
}

const VERB: Record<string, string> = { add: 'added', remove: 'removed', replace: 'changed', rename: 'renamed' };

/** One finding, inside an operation, in words: "added response field `order.fee` (201)". */
export function describeChange(f: Finding, op: Located, before: OpenApiDocument | undefined, after: OpenApiDocument): string {
  const verb = VERB[f.action] ?? f.action;
  const [head, ...tail] = op.rest;
  if (head === undefined) return `${verb} the operation`;
  if (head === 'deprecated') return f.action === 'remove' ? 'no longer deprecated' : 'deprecated';
  if (head === 'parameters') {
    const index = Number(tail[0]);
    const doc = f.action === 'remove' ? before : after;
    const what = parameterName(doc, op, index);
    return tail.length > 1 ? `${what}: ${verb} ${tail.slice(1).join('.')}` : `${verb} ${what}`;
  }
  const body = head === 'requestBody' ? 'request body' : head === 'responses' ? `response ${tail[0]}` : head;
  const afterHead = head === 'responses' ? tail.slice(1) : tail;
  const schemaAt = afterHead.indexOf('schema');
  if (schemaAt >= 0) {
    const { field, rest } = fieldPath(afterHead.slice(schemaAt + 1));
    const subject = `${body} ${field ? `field \`${field}\`` : 'body'}`;
    const keyword = rest[0];
    if (keyword === undefined) return `${verb} ${subject}`;
    if (keyword === 'enum') return `${verb} a value of ${subject}`;
    if (keyword === 'required') return `${verb} a required member of ${subject}`;
    return `${verb} \`${keyword}\` of ${subject}`;
  }
  if (head === 'responses' && tail.length === 1) return `${verb} response ${tail[0]}`;
  return `${verb} ${[head, ...tail].join('.')}`;
}

function isAnnotation(f: Finding): boolean {
  return f.severity === 'annotation';
}

/** Sorts a release's findings into sections, one line per operation and section. */
export function releaseNotes(before: ReleasedContract | undefined, after: ReleasedContract): ReleaseNotes {
  const notes: ReleaseNotes = { version: after.version, previous: before?.version, breaking: [], deprecated: [], added: [], changed: [], documentation: [] };
  if (!before) {
    notes.added.push(...listOperations(after.doc).map((op) => `${operationLabel(op, undefined, after.doc)}${summary(after.doc, op)}`));
    return notes;
  }
  // Copies: the diff library annotates the documents it is given, which would spoil the next comparison.
  const findings = classifyOpenApi(structuredClone(before.doc), structuredClone(after.doc));
  // Per section, per operation: the changes in words, deduplicated (one schema change reached
  // through several responses reads once).
  const grouped = new Map<keyof ReleaseNotes, Map<string, Set<string>>>();
  const put = (section: keyof ReleaseNotes, key: string, text: string) => {
    const bySection = grouped.get(section) ?? new Map<string, Set<string>>();
    grouped.set(section, bySection);
    const set = bySection.get(key) ?? new Set<string>();
    bySection.set(key, set);
    set.add(text);
  };
  for (const f of findings) {
    const op = locate(f.location);
    if (!op) {
      put(f.severity === 'breaking' ? 'breaking' : 'changed', '', `${VERB[f.action] ?? f.action} \`${f.location}\``);
      continue;
    }
    const label = operationLabel(op, before.doc, after.doc);
    const wholeOperation = op.rest.length === 0;
    if (wholeOperation && f.action === 'add') {
      put('added', label, `new operation${summary(after.doc, op)}`);
    } else if (wholeOperation && f.action === 'remove') {
      put('breaking', label, 'removed');
    } else if (f.severity === 'breaking') {
      put('breaking', label, describeChange(f, op, before.doc, after.doc) + (f.rule ? ` (${f.rule})` : ''));
    } else if (f.severity === 'deprecated') {
      put('deprecated', label, describeChange(f, op, before.doc, after.doc));
    } else if (isAnnotation(f)) {
      put('documentation', label, 'descriptions or examples updated');
    } else if (f.action === 'add') {
      put('added', label, describeChange(f, op, before.doc, after.doc));
    } else {
      put('changed', label, describeChange(f, op, before.doc, after.doc));
    }
  }
  const order = operationOrder(before.doc, after.doc);
  for (const [section, byOp] of grouped) {
    const lines = [...byOp.entries()]
      .sort(([a], [b]) => (order.get(a) ?? -1) - (order.get(b) ?? -1) || a.localeCompare(b))
      .map(([label, texts]) => (label ? `${label}: ${[...texts].join('; ')}` : [...texts].join('; ')));
    (notes[section] as string[]).push(...lines);
  }
  // The parts of the document outside `paths` that a reader of the reference sees.
  notes.documentation.push(...overviewChanges(before.doc.info.description ?? '', after.doc.info.description ?? ''));
  return notes;
}

/** The overview (`info.description`) is Markdown: name the sections it gained or lost. */
function overviewChanges(before: string, after: string): string[] {
  if (before === after) return [];
  const headings = (md: string) => [...md.matchAll(/^#{1,6} +(.+?) *$/gm)].map((m) => m[1]!);
  const was = new Set(headings(before));
  const is = new Set(headings(after));
  const gained = [...is].filter((h) => !was.has(h));
  const lost = [...was].filter((h) => !is.has(h));
  const lines = [
    ...gained.map((h) => `The API overview gained the section “${h}”.`),
    ...lost.map((h) => `The API overview dropped the section “${h}”.`),
  ];
  return lines.length > 0 ? lines : ['The API overview was revised.'];
}

function summary(doc: OpenApiDocument, op: Located): string {
  const s = operation(doc, op.path, op.method)?.summary;
  return s ? ` — ${s}` : '';
}

function listOperations(doc: OpenApiDocument): Located[] {
  const ops: Located[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) if (item[method]) ops.push({ path, method, rest: [] });
  }
  return ops;
}

/** Operations in the order the contract lists them (new ones first seen in `after`). */
function operationOrder(before: OpenApiDocument, after: OpenApiDocument): Map<string, number> {
  const order = new Map<string, number>();
  for (const doc of [after, before]) {
    for (const op of listOperations(doc)) {
      const label = operationLabel(op, before, after);
      if (!order.has(label)) order.set(label, order.size);
    }
  }
  return order;
}

export function changelogFor(releases: readonly ReleasedContract[]): ReleaseNotes[] {
  return releases.map((r, i) => releaseNotes(i > 0 ? releases[i - 1] : undefined, r)).reverse();
}

const SECTIONS: [keyof ReleaseNotes, string][] = [
  ['breaking', 'Breaking changes'],
  ['deprecated', 'Deprecated'],
  ['added', 'Added'],
  ['changed', 'Changed'],
  ['documentation', 'Documentation'],
];

export function renderChangelog(notes: readonly ReleaseNotes[]): string {
  const out = [
    '<!-- Generated by `npm run generate` from api-spec/released/history/. Do not edit by hand. -->',
    '# Changelog',
    '',
    'Every released version of the REST contract (`/v1`), newest first. Each entry is computed by',
    'comparing the released contract with the one before it, with the same classifier as the',
    'compatibility gate, so it lists exactly what changed for a client. How versions are numbered',
    'and how deprecations are announced is in the [versioning policy](versioning.md).',
    '',
  ];
  for (const n of notes) {
    out.push(`## ${n.version}`, '');
    if (!n.previous) {
      out.push(`The first release, with ${n.added.length} operations.`, '');
    } else if (SECTIONS.every(([key]) => (n[key] as string[]).length === 0)) {
      out.push(`No change visible to clients since ${n.previous}.`, '');
      continue;
    } else {
      out.push(`Changes since ${n.previous}.`, '');
    }
    for (const [key, title] of SECTIONS) {
      const lines = n[key] as string[];
      if (lines.length === 0) continue;
      out.push(`### ${title}`, '', ...lines.map((l) => `- ${l}`), '');
    }
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/** Writes docs/changelog.md from api-spec/released/history/. */
export function writeChangelog(root: string): void {
  const releases = loadReleases(join(root, 'api-spec/released/history'));
  writeFileSync(join(root, 'docs/changelog.md'), renderChangelog(changelogFor(releases)));
}
