/**
 * Classifies the differences between a released AsyncAPI document and a candidate. api-smart-diff
 * does not read AsyncAPI 3, so this compares what clients depend on directly: the operations,
 * the messages by name, and each message's payload JSON Schema with every `$ref` resolved.
 *
 * Whether a schema change breaks clients depends on who sends the message:
 * - client → server (requests): the server must keep accepting what it accepted. Removing a field,
 *   requiring a new one, or narrowing a type (fewer JSON types, fewer enum values, a new or changed
 *   const, tighter bounds, a new or changed pattern or format, closed additional properties, fewer
 *   alternatives) breaks.
 * - server → client (replies, streams): clients may read every documented field as its documented
 *   type. Removing a field, making a field optional, or changing its JSON types, const or
 *   alternatives breaks. New fields and new enum values do not (clients ignore what they do not
 *   know, see docs/versioning.md).
 */
import type { Finding } from './classify-openapi.js';

type Schema = { [key: string]: unknown };
type Direction = 'client' | 'server';

interface Doc {
  operations?: Record<string, { action: string; messages?: { $ref: string }[]; reply?: { messages?: { $ref: string }[] } }>;
  components?: { messages?: Record<string, { payload?: Schema }>; schemas?: Record<string, Schema> };
}

const lastSegment = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);

function breakingFinding(rule: string, action: string, location: string, description: string): Finding {
  return { severity: 'breaking', action, location, description, rule };
}

function nonBreaking(action: string, location: string, description: string): Finding {
  return { severity: 'non-breaking', action, location, description };
}

/** Who sends each message: receive-operation messages come from clients, the rest from the server. */
function directions(doc: Doc): Map<string, Direction> {
  const out = new Map<string, Direction>();
  for (const op of Object.values(doc.operations ?? {})) {
    for (const m of op.messages ?? []) out.set(lastSegment(m.$ref), op.action === 'receive' ? 'client' : 'server');
    for (const m of op.reply?.messages ?? []) out.set(lastSegment(m.$ref), 'server');
  }
  return out;
}

/** Resolves a local `#/components/schemas/X` reference (sibling keywords of `$ref` are annotations here). */
function resolve(doc: Doc, schema: Schema, seen: ReadonlySet<string>): { schema: Schema; seen: ReadonlySet<string> } {
  let current = schema;
  let visited = seen;
  while (typeof current.$ref === 'string') {
    const ref = current.$ref;
    if (visited.has(ref)) return { schema: {}, seen: visited };
    visited = new Set([...visited, ref]);
    const target = ref.startsWith('#/components/schemas/') ? doc.components?.schemas?.[ref.slice('#/components/schemas/'.length)] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${ref}`);
    current = target;
  }
  return { schema: current, seen: visited };
}

function typeSet(s: Schema): Set<string> | undefined {
  if (s.type === undefined) return undefined;
  return new Set(Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]);
}

const TIGHTER_IF_GREATER = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'] as const;
const TIGHTER_IF_SMALLER = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'] as const;

class Comparison {
  readonly findings: Finding[] = [];

  constructor(readonly before: Doc, readonly after: Doc) {}

  schema(a0: Schema, b0: Schema, location: string, direction: Direction, seenA: ReadonlySet<string> = new Set(), seenB: ReadonlySet<string> = new Set()): void {
    const ra = resolve(this.before, a0, seenA);
    const rb = resolve(this.after, b0, seenB);
    const a = ra.schema;
    const b = rb.schema;
    if (direction === 'client') this.#requestNarrowing(a, b, location);
    else this.#responseChanges(a, b, location);

    const propsA = (a.properties ?? {}) as Record<string, Schema>;
    const propsB = (b.properties ?? {}) as Record<string, Schema>;
    const requiredA = new Set((a.required ?? []) as string[]);
    const requiredB = new Set((b.required ?? []) as string[]);
    for (const [name, pa] of Object.entries(propsA)) {
      const pb = propsB[name];
      const at = `${location}.${name}`;
      if (pb === undefined) {
        this.findings.push(breakingFinding(direction === 'client' ? 'request-field-removed' : 'response-field-removed', 'remove', at, `field ${at} was removed`));
      } else {
        this.schema(pa, pb, at, direction, ra.seen, rb.seen);
      }
    }
    for (const name of Object.keys(propsB)) {
      if (!(name in propsA)) this.findings.push(nonBreaking('add', `${location}.${name}`, `field ${location}.${name} was added`));
    }
    if (direction === 'client') {
      for (const name of requiredB) {
        if (!requiredA.has(name)) this.findings.push(breakingFinding('request-field-required', 'replace', `${location}.${name}`, `field ${location}.${name} became required`));
      }
    } else {
      for (const name of requiredA) {
        if (!requiredB.has(name) && name in propsB) this.findings.push(breakingFinding('response-field-optional', 'replace', `${location}.${name}`, `field ${location}.${name} is no longer always present`));
      }
    }

    if (Array.isArray(a.items) && Array.isArray(b.items)) {
      a.items.forEach((item: Schema, i: number) => {
        const other = (b.items as Schema[])[i];
        if (other) this.schema(item, other, `${location}[${i}]`, direction, ra.seen, rb.seen);
      });
    } else if (isSchema(a.items) && isSchema(b.items)) {
      this.schema(a.items, b.items, `${location}[]`, direction, ra.seen, rb.seen);
    }

    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
      const branchesA = (a[key] ?? []) as Schema[];
      const branchesB = (b[key] ?? []) as Schema[];
      const shared = Math.min(branchesA.length, branchesB.length);
      for (let i = 0; i < shared; i++) this.schema(branchesA[i]!, branchesB[i]!, `${location}(${key}[${i}])`, direction, ra.seen, rb.seen);
      if (key === 'allOf') continue;
      if (direction === 'client' && branchesB.length < branchesA.length) {
        this.findings.push(breakingFinding('request-type-narrowed', 'remove', `${location}.${key}`, `${location} accepts fewer alternatives`));
      }
      if (direction === 'server' && branchesB.length > branchesA.length && branchesA.length > 0) {
        this.findings.push(breakingFinding('response-type-changed', 'add', `${location}.${key}`, `${location} may take a new form`));
      }
    }
  }

  #requestNarrowing(a: Schema, b: Schema, location: string): void {
    const narrowed = (what: string) => this.findings.push(breakingFinding('request-type-narrowed', 'replace', location, `${location}: ${what}`));
    const ta = typeSet(a);
    const tb = typeSet(b);
    if (tb !== undefined) {
      const lost = ta === undefined ? ['any'] : [...ta].filter((t) => !tb.has(t) && !(t === 'integer' && tb.has('number')));
      if (lost.length > 0) narrowed(`no longer accepts ${lost.join(', ')}`);
    }
    if (Array.isArray(b.enum)) {
      const lost = Array.isArray(a.enum) ? a.enum.filter((v) => !(b.enum as unknown[]).some((w) => same(v, w))) : ['(any value)'];
      if (lost.length > 0) narrowed(`no longer accepts ${lost.map((v) => JSON.stringify(v)).join(', ')}`);
    }
    if (b.const !== undefined && !same(a.const, b.const)) narrowed(`now requires ${JSON.stringify(b.const)}`);
    for (const key of TIGHTER_IF_GREATER) {
      if (typeof b[key] === 'number' && (typeof a[key] !== 'number' || (b[key] as number) > (a[key] as number))) narrowed(`${key} tightened to ${String(b[key])}`);
    }
    for (const key of TIGHTER_IF_SMALLER) {
      if (typeof b[key] === 'number' && (typeof a[key] !== 'number' || (b[key] as number) < (a[key] as number))) narrowed(`${key} tightened to ${String(b[key])}`);
    }
    for (const key of ['pattern', 'format', 'multipleOf'] as const) {
      if (b[key] !== undefined && !same(a[key], b[key])) narrowed(`${key} changed to ${JSON.stringify(b[key])}`);
    }
    if (b.additionalProperties === false && a.additionalProperties !== false) narrowed('no longer accepts unknown fields');
  }

  #responseChanges(a: Schema, b: Schema, location: string): void {
    const changed = (what: string) => this.findings.push(breakingFinding('response-type-changed', 'replace', location, `${location}: ${what}`));
    const ta = typeSet(a);
    const tb = typeSet(b);
    if (ta !== undefined && (tb === undefined || ta.size !== tb.size || [...ta].some((t) => !tb.has(t)))) {
      changed(`type ${[...ta].join('|')} became ${tb ? [...tb].join('|') : 'any'}`);
    }
    if (a.const !== undefined && !same(a.const, b.const)) changed(`const ${JSON.stringify(a.const)} became ${JSON.stringify(b.const)}`);
    if (Array.isArray(a.enum) && !Array.isArray(b.enum)) changed('enum removed: any value may now appear');
    if (Array.isArray(a.enum) && Array.isArray(b.enum)) {
      const added = b.enum.filter((v) => !(a.enum as unknown[]).some((w) => same(v, w)));
      if (added.length > 0) this.findings.push(nonBreaking('add', location, `${location}: new value(s) ${added.map((v) => JSON.stringify(v)).join(', ')}`));
    }
  }
}

function isSchema(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function same(x: unknown, y: unknown): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

/** Every difference between the released document and the candidate, breaking or not. */
export function classifyAsyncApi(before: object, after: object): Finding[] {
  const a = before as Doc;
  const b = after as Doc;
  const cmp = new Comparison(a, b);
  const out = cmp.findings;

  for (const [name, op] of Object.entries(a.operations ?? {})) {
    const other = b.operations?.[name];
    const location = `operations.${name}`;
    if (!other) {
      out.push(breakingFinding('operation-removed', 'remove', location, `operation ${name} was removed`));
      continue;
    }
    if (other.action !== op.action) out.push(breakingFinding('operation-changed', 'replace', `${location}.action`, `operation ${name} changed action`));
    for (const part of ['messages', 'reply'] as const) {
      const refsA = (part === 'messages' ? op.messages : op.reply?.messages) ?? [];
      const refsB = new Set(((part === 'messages' ? other.messages : other.reply?.messages) ?? []).map((r) => lastSegment(r.$ref)));
      for (const r of refsA) {
        if (!refsB.has(lastSegment(r.$ref))) out.push(breakingFinding('operation-message-removed', 'remove', `${location}.${part}.${lastSegment(r.$ref)}`, `operation ${name} no longer carries ${lastSegment(r.$ref)}`));
      }
    }
  }

  const dirA = directions(a);
  const dirB = directions(b);
  const messagesA = a.components?.messages ?? {};
  const messagesB = b.components?.messages ?? {};
  for (const [name, message] of Object.entries(messagesA)) {
    const location = `messages.${name}`;
    const other = messagesB[name];
    if (!other) {
      out.push(breakingFinding('message-removed', 'remove', location, `message ${name} was removed`));
      continue;
    }
    const direction = dirA.get(name) ?? 'server';
    if (dirB.get(name) !== undefined && dirB.get(name) !== direction) {
      out.push(breakingFinding('message-direction-changed', 'replace', location, `message ${name} changed direction`));
      continue;
    }
    cmp.schema(message.payload ?? {}, other.payload ?? {}, `${location}.payload`, direction);
  }
  for (const name of Object.keys(messagesB)) {
    if (!(name in messagesA)) out.push(nonBreaking('add', `messages.${name}`, `message ${name} was added`));
  }
  return out;
}
