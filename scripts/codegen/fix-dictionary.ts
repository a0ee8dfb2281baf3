/**
 * Derives the venue's FIX dictionary (api-spec/fix/FIX44-subset.xml) from the FIX 4.4 reference
 * dictionary and the venue's narrowings (api-spec/fix/venue.yaml): the standard header, trailer
 * and fields, the listed messages exactly as FIX 4.4 defines them with every component they
 * use, then the venue's narrower values, extra required fields and the few fields it adds where
 * FIX 4.4 has none for the purpose (as later FIX versions do). Deriving it, rather than
 * writing it by hand, is what makes "every standard field of an accepted message is known, with
 * its FIX 4.4 type and values" true by construction.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { child, parseXml, type XmlNode } from '../../server/src/gateway/fix/dictionary.js';

export interface VenuePolicy {
  messages: { admin: string[]; accepted: string[]; sent: string[] };
  /** Field name -> the FIX 4.4 values the venue accepts. */
  values: Record<string, string[]>;
  /** Component or message name -> fields the venue requires there. */
  required: Record<string, string[]>;
  /**
   * `<message or component>` or `<component>/<group>` -> FIX 4.4 fields the venue appends there,
   * optional, where FIX 4.4 has no field for the purpose and a later FIX version places that one.
   */
  additions: Record<string, string[]>;
  /** Field name -> values beyond FIX 4.4 the venue sends (each documented in the rules of engagement). */
  extensions: Record<string, { enum: string; description: string }[]>;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SUBSET_PATH = join(root, 'api-spec/fix/FIX44-subset.xml');
export const VENUE_PATH = join(root, 'api-spec/fix/venue.yaml');

/**
 * The FIX 4.4 reference dictionary lives beside the checkout in the team's shared folder (it is
 * not copied into the repository): FIX44_REFERENCE, else ../shared/reference/FIX44.xml.
 */
export function findReference(): string | undefined {
  return referenceCandidates().find((p) => existsSync(p));
}

export function referencePath(): string {
  const found = findReference();
  if (!found) throw new Error(`FIX 4.4 reference dictionary not found (set FIX44_REFERENCE); looked in ${referenceCandidates().join(', ')}`);
  return found;
}

function referenceCandidates(): string[] {
  return [process.env.FIX44_REFERENCE, join(root, '..', 'shared/reference/FIX44.xml'), join(root, '../../shared/reference/FIX44.xml')].filter((p): p is string => p !== undefined && p !== '');
}

export function loadVenuePolicy(file = VENUE_PATH): VenuePolicy {
  const raw = parse(readFileSync(file, 'utf8')) as Partial<VenuePolicy>;
  return {
    messages: { admin: raw.messages?.admin ?? [], accepted: raw.messages?.accepted ?? [], sent: raw.messages?.sent ?? [] },
    values: raw.values ?? {},
    required: raw.required ?? {},
    additions: raw.additions ?? {},
    extensions: raw.extensions ?? {},
  };
}

const HEADER_COMMENT =
  '<!-- Derived by `npm run fix:dictionary` from the FIX 4.4 reference dictionary and api-spec/fix/venue.yaml.\n' +
  '     Do not edit by hand: change venue.yaml and run the script again. -->\n';

export function deriveFixDictionary(referenceXml: string, policy: VenuePolicy): string {
  const fix = child(parseXml(referenceXml), 'fix');
  if (!fix) throw new Error('reference: no <fix> element');
  const section = (name: string): XmlNode => {
    const node = child(fix, name);
    if (!node) throw new Error(`reference: no <${name}>`);
    return node;
  };

  const wanted = new Set([...policy.messages.admin, ...policy.messages.accepted, ...policy.messages.sent]);
  const messages = section('messages').children.filter((m) => wanted.has(m.attrs.msgtype ?? ''));
  const found = new Set(messages.map((m) => m.attrs.msgtype));
  const unknown = [...wanted].filter((t) => !found.has(t));
  if (unknown.length > 0) throw new Error(`venue.yaml: FIX 4.4 defines no message with MsgType ${unknown.join(', ')}`);

  // Every component the header, trailer and chosen messages reach, in the reference's order.
  const components = new Map(section('components').children.map((c) => [c.attrs.name ?? '', c]));
  const reached = new Set<string>();
  const reach = (node: XmlNode): void => {
    for (const c of node.children) {
      if (c.name === 'component' && !reached.has(c.attrs.name ?? '')) {
        const def = components.get(c.attrs.name ?? '');
        if (!def) throw new Error(`reference: component ${c.attrs.name} is not defined`);
        reached.add(c.attrs.name ?? '');
        reach(def);
      } else if (c.name === 'group') {
        reach(c);
      }
    }
  };
  for (const node of [section('header'), section('trailer'), ...messages]) reach(node);

  const fields = section('fields').children;
  const fieldNames = new Set(fields.map((f) => f.attrs.name));
  for (const [name, values] of Object.entries(policy.values)) {
    const field = fields.find((f) => f.attrs.name === name);
    if (!field) throw new Error(`venue.yaml: FIX 4.4 has no field ${name}`);
    const known = new Set(field.children.map((v) => v.attrs.enum));
    const extra = values.filter((v) => !known.has(v));
    if (extra.length > 0) throw new Error(`venue.yaml: ${extra.join(', ')} ${extra.length > 1 ? 'are not FIX 4.4 values' : 'is not a FIX 4.4 value'} of ${name}`);
  }
  for (const [name, values] of Object.entries(policy.extensions)) {
    const field = fields.find((f) => f.attrs.name === name);
    if (!field) throw new Error(`venue.yaml: FIX 4.4 has no field ${name}`);
    const clash = values.filter((v) => field.children.some((c) => c.attrs.enum === v.enum));
    if (clash.length > 0) throw new Error(`venue.yaml: extension ${clash.map((v) => v.enum).join(', ')} of ${name} is already a FIX 4.4 value`);
  }
  const narrow = (field: XmlNode): XmlNode => {
    const allowed = policy.values[field.attrs.name ?? ''];
    const narrowed = allowed ? { ...field, children: field.children.filter((v) => allowed.includes(v.attrs.enum ?? '')) } : field;
    const extra = policy.extensions[field.attrs.name ?? ''] ?? [];
    const added: XmlNode[] = extra.map((v) => ({ name: 'value', attrs: { enum: v.enum, description: v.description }, children: [] }));
    return added.length === 0 ? narrowed : { ...narrowed, children: [...narrowed.children, ...added] };
  };

  const requiredIn = new Map(Object.entries(policy.required));
  const require = (node: XmlNode): XmlNode => {
    const names = requiredIn.get(node.attrs.name ?? '');
    if (!names) return node;
    for (const name of names) {
      if (!fieldNames.has(name)) throw new Error(`venue.yaml: FIX 4.4 has no field ${name}`);
      if (!node.children.some((c) => c.name === 'field' && c.attrs.name === name)) throw new Error(`venue.yaml: ${node.attrs.name} has no field ${name}`);
    }
    return { ...node, children: node.children.map((c) => (c.name === 'field' && names.includes(c.attrs.name ?? '') ? { ...c, attrs: { ...c.attrs, required: 'Y' } } : c)) };
  };
  for (const name of requiredIn.keys()) {
    if (!reached.has(name) && !messages.some((m) => m.attrs.name === name)) throw new Error(`venue.yaml: ${name} is neither a chosen message nor a component one uses`);
  }

  // Additions: `Name` appends to a message or component, `Component/Group` to a group inside one.
  const additions = new Map<string, Map<string, string[]>>();
  for (const [target, names] of Object.entries(policy.additions)) {
    const [owner = '', group] = target.split('/');
    if (!reached.has(owner) && !messages.some((m) => m.attrs.name === owner)) throw new Error(`venue.yaml: additions: ${owner} is neither a chosen message nor a component one uses`);
    for (const name of names) if (!fieldNames.has(name)) throw new Error(`venue.yaml: additions: FIX 4.4 has no field ${name}`);
    let byGroup = additions.get(owner);
    if (!byGroup) additions.set(owner, (byGroup = new Map()));
    byGroup.set(group ?? '', names);
  }
  const added = (names: readonly string[]): XmlNode[] => names.map((name) => ({ name: 'field', attrs: { name, required: 'N' }, children: [] }));
  const extend = (node: XmlNode): XmlNode => {
    const byGroup = additions.get(node.attrs.name ?? '');
    if (!byGroup) return node;
    const children = node.children.map((c) => {
      const names = c.name === 'group' ? byGroup.get(c.attrs.name ?? '') : undefined;
      return names ? { ...c, children: [...c.children, ...added(names)] } : c;
    });
    for (const [group] of byGroup) {
      if (group !== '' && !node.children.some((c) => c.name === 'group' && c.attrs.name === group)) throw new Error(`venue.yaml: additions: ${node.attrs.name} has no group ${group}`);
    }
    return { ...node, children: [...children, ...added(byGroup.get('') ?? [])] };
  };

  const out: string[] = [HEADER_COMMENT.trimEnd()];
  out.push(`<fix${attrs(fix)}>`);
  write(out, section('header'), 1);
  out.push(' <messages>');
  for (const m of messages) write(out, extend(require(m)), 2);
  out.push(' </messages>');
  write(out, section('trailer'), 1);
  out.push(' <components>');
  for (const c of section('components').children) if (reached.has(c.attrs.name ?? '')) write(out, extend(require(c)), 2);
  out.push(' </components>');
  out.push(' <fields>');
  for (const f of fields) write(out, narrow(f), 2);
  out.push(' </fields>');
  out.push('</fix>');
  return `${out.join('\n')}\n`;
}

function attrs(node: XmlNode): string {
  return Object.entries(node.attrs).map(([k, v]) => ` ${k}='${escapeXml(v)}'`).join('');
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
}

/** Writes an element in the reference's layout: one space of indent per level, single quotes. */
function write(out: string[], node: XmlNode, depth: number): void {
  const pad = ' '.repeat(depth);
  if (node.children.length === 0) {
    out.push(`${pad}<${node.name}${attrs(node)} />`);
    return;
  }
  out.push(`${pad}<${node.name}${attrs(node)}>`);
  for (const c of node.children) write(out, c, depth + 1);
  out.push(`${pad}</${node.name}>`);
}
