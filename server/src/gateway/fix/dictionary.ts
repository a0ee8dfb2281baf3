/**
 * Loads a FIX data dictionary in the QuickFIX XML format (fields with types and enumerations,
 * header, trailer, messages, components, repeating groups) into lookup tables the validator
 * uses. Components are expanded in place, as QuickFIX does.
 */
import { readFileSync } from 'node:fs';

export type FieldType = string;

export interface FieldDef {
  tag: number;
  name: string;
  type: FieldType;
  /** Allowed values, when the dictionary enumerates them. */
  values?: ReadonlySet<string>;
}

/** The members of a message, header, trailer or group instance, in dictionary order. */
export interface MemberSet {
  /** Tags of the fields at this level (group count tags included), in dictionary order. */
  readonly order: readonly number[];
  readonly fields: ReadonlySet<number>;
  readonly required: ReadonlySet<number>;
  /** Repeating groups at this level, by their NumInGroup tag. */
  readonly groups: ReadonlyMap<number, GroupDef>;
}

export interface GroupDef extends MemberSet {
  countTag: number;
  /** The first field of every instance. */
  delimiter: number;
}

export interface MessageDef extends MemberSet {
  msgType: string;
  name: string;
  category: 'admin' | 'app';
}

export interface Dictionary {
  beginString: string;
  fieldsByTag: ReadonlyMap<number, FieldDef>;
  fieldsByName: ReadonlyMap<string, FieldDef>;
  header: MemberSet;
  trailer: MemberSet;
  messages: ReadonlyMap<string, MessageDef>;
}

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

/** A minimal XML reader for the dictionary format: elements and attributes, no text content. */
export function parseXml(text: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [] };
  const stack: XmlNode[] = [root];
  const tagPattern = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+\s*=\s*(?:'[^']*'|"[^"]*"))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>/g;
  const attrPattern = /([\w:.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;
  let m: RegExpExecArray | null;
  while ((m = tagPattern.exec(text))) {
    const [, closing, name, attrText, selfClosing] = m;
    if (name === undefined) continue; // comment, declaration
    if (closing) {
      const top = stack.pop();
      if (!top || top.name !== name) throw new Error(`dictionary XML: unexpected </${name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    let a: RegExpExecArray | null;
    attrPattern.lastIndex = 0;
    while ((a = attrPattern.exec(attrText ?? ''))) attrs[a[1]!] = unescapeXml(a[2] ?? a[3] ?? '');
    const node: XmlNode = { name, attrs, children: [] };
    stack[stack.length - 1]!.children.push(node);
    if (!selfClosing) stack.push(node);
  }
  if (stack.length !== 1) throw new Error('dictionary XML: unclosed element');
  return root;
}

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

export function loadDictionary(file: string): Dictionary {
  return parseDictionary(readFileSync(file, 'utf8'));
}

export function parseDictionary(xml: string): Dictionary {
  const fix = child(parseXml(xml), 'fix');
  if (!fix) throw new Error('dictionary XML: no <fix> element');
  const beginString = `${fix.attrs.type ?? 'FIX'}.${fix.attrs.major}.${fix.attrs.minor}`;

  const fieldsByTag = new Map<number, FieldDef>();
  const fieldsByName = new Map<string, FieldDef>();
  for (const f of child(fix, 'fields')?.children ?? []) {
    const tag = Number(f.attrs.number);
    const values = f.children.filter((v) => v.name === 'value').map((v) => v.attrs.enum ?? '');
    const def: FieldDef = { tag, name: f.attrs.name ?? '', type: (f.attrs.type ?? 'STRING').toUpperCase() };
    if (values.length > 0) def.values = new Set(values);
    fieldsByTag.set(tag, def);
    fieldsByName.set(def.name, def);
  }

  const components = new Map<string, XmlNode>();
  for (const c of child(fix, 'components')?.children ?? []) components.set(c.attrs.name ?? '', c);

  const fieldTag = (name: string): number => {
    const def = fieldsByName.get(name);
    if (!def) throw new Error(`dictionary: field ${name} is used but not defined`);
    return def.tag;
  };

  const buildMembers = (node: XmlNode): { order: number[]; fields: Set<number>; required: Set<number>; groups: Map<number, GroupDef> } => {
    const order: number[] = [];
    const required = new Set<number>();
    const groups = new Map<number, GroupDef>();
    const visit = (n: XmlNode, parentRequired: boolean): void => {
      for (const c of n.children) {
        const isRequired = parentRequired && c.attrs.required === 'Y';
        if (c.name === 'field') {
          const tag = fieldTag(c.attrs.name ?? '');
          order.push(tag);
          if (isRequired) required.add(tag);
        } else if (c.name === 'group') {
          const countTag = fieldTag(c.attrs.name ?? '');
          order.push(countTag);
          if (isRequired) required.add(countTag);
          const members = buildMembers(c);
          const delimiter = members.order[0];
          if (delimiter === undefined) throw new Error(`dictionary: group ${c.attrs.name} is empty`);
          groups.set(countTag, { ...members, countTag, delimiter });
        } else if (c.name === 'component') {
          const comp = components.get(c.attrs.name ?? '');
          if (!comp) throw new Error(`dictionary: component ${c.attrs.name} is used but not defined`);
          visit(comp, isRequired);
        }
      }
    };
    visit(node, true);
    return { order, fields: new Set(order), required, groups };
  };

  const headerNode = child(fix, 'header');
  const trailerNode = child(fix, 'trailer');
  if (!headerNode || !trailerNode) throw new Error('dictionary XML: header and trailer are required');
  const messages = new Map<string, MessageDef>();
  for (const m of child(fix, 'messages')?.children ?? []) {
    const msgType = m.attrs.msgtype ?? '';
    messages.set(msgType, { ...buildMembers(m), msgType, name: m.attrs.name ?? '', category: m.attrs.msgcat === 'admin' ? 'admin' : 'app' });
  }
  return { beginString, fieldsByTag, fieldsByName, header: buildMembers(headerNode), trailer: buildMembers(trailerNode), messages };
}
