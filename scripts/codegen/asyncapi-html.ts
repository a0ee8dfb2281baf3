/**
 * Renders the WebSocket reference page from the AsyncAPI document: one self-contained HTML file
 * (inline CSS, no scripts, no CDN) listing the requests with their replies, the streams, every
 * message with its payload schema and examples, and the shared schemas.
 */
import type { AsyncApiDocument, AsyncApiMessage, AsyncApiOperation, Direction, JsonSchemaNode } from './asyncapi.js';
import { refName } from './asyncapi.js';

const SCHEMA_REF = '#/components/schemas/';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Inline markdown: `code`, **bold**, [text](url). */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '<a href="$2">$1</a>');
}

/**
 * The subset of Markdown the contract's descriptions use: headings, paragraphs, indented code
 * blocks, bulleted and numbered lists, and pipe tables.
 */
export function markdown(source: string): string {
  const lines = source.replace(/\s+$/, '').split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
    } else if (/^#{1,6} /.test(line)) {
      const level = Math.min(6, line.indexOf(' ') + 2);
      out.push(`<h${level}>${inline(line.replace(/^#+ /, ''))}</h${level}>`);
      i++;
    } else if (line.startsWith('    ')) {
      const block: string[] = [];
      while (i < lines.length && (lines[i]!.startsWith('    ') || lines[i]!.trim() === '')) block.push(lines[i++]!.slice(4));
      out.push(`<pre><code>${escapeHtml(block.join('\n').replace(/\s+$/, ''))}</code></pre>`);
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) rows.push(lines[i++]!.split('|').slice(1, -1).map((c) => c.trim()));
      const [head, , ...body] = rows;
      out.push(
        `<table><thead><tr>${(head ?? []).map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>` +
          body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('') +
          '</tbody></table>',
      );
    } else if (/^(- |\d+\. )/.test(line)) {
      const ordered = /^\d+\. /.test(line);
      const items: string[] = [];
      while (i < lines.length && (/^(- |\d+\. )/.test(lines[i]!) || /^ {2,3}\S/.test(lines[i]!))) {
        const l = lines[i++]!;
        if (/^ {2,3}\S/.test(l) && items.length > 0) items[items.length - 1] += ` ${l.trim()}`;
        else items.push(l.replace(/^(- |\d+\. )/, ''));
      }
      const tag = ordered ? 'ol' : 'ul';
      out.push(`<${tag}>${items.map((it) => `<li>${inline(it)}</li>`).join('')}</${tag}>`);
    } else {
      const para: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,6} |- |\d+\. |\||    )/.test(lines[i]!)) para.push(lines[i++]!.trim());
      out.push(`<p>${inline(para.join(' '))}</p>`);
    }
  }
  return out.join('\n');
}

const anchor = (kind: string, name: string) => `${kind}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** A short type label for a schema: a link for a named schema, else its type and constraints. */
function typeLabel(schema: JsonSchemaNode): string {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.slice(SCHEMA_REF.length);
    return `<a href="#${anchor('schema', name)}">${escapeHtml(name)}</a>`;
  }
  const parts: string[] = [];
  if (schema.const !== undefined) parts.push(`<code>${escapeHtml(JSON.stringify(schema.const))}</code>`);
  else if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(', ')}`);
  else if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) {
    const branches = (schema.oneOf ?? schema.anyOf) as JsonSchemaNode[];
    if (branches.every((b) => b.$ref !== undefined || b.type !== undefined) && !branches.some((b) => b.type === 'object')) {
      parts.push(branches.map(typeLabel).join(' or '));
    } else {
      parts.push(Array.isArray(schema.oneOf) ? 'exactly one of (below)' : 'at least one of (below)');
    }
  } else if (schema.type === 'array' && Array.isArray(schema.items)) {
    parts.push(`[${(schema.items as JsonSchemaNode[]).map(typeLabel).join(', ')}]`);
  } else if (schema.type === 'array' && schema.items) {
    parts.push(`array of ${typeLabel(schema.items as JsonSchemaNode)}`);
  } else if (schema.type !== undefined) {
    parts.push(escapeHtml(Array.isArray(schema.type) ? schema.type.join(' or ') : String(schema.type)));
  }
  const constraints: string[] = [];
  for (const key of ['pattern', 'format', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'default'] as const) {
    if (schema[key] !== undefined) constraints.push(`${key} <code>${escapeHtml(typeof schema[key] === 'string' ? String(schema[key]) : JSON.stringify(schema[key]))}</code>`);
  }
  if (constraints.length > 0) parts.push(`<span class="c">${constraints.join('; ')}</span>`);
  return parts.join(' ') || 'any';
}

/** Rows for an object's properties, descending into inline objects and array items (named schemas are links). */
function propertyRows(schema: JsonSchemaNode, prefix: string, rows: string[]): void {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchemaNode>;
  const required = new Set((schema.required ?? []) as string[]);
  for (const [name, prop] of Object.entries(properties)) {
    const path = `${prefix}${name}`;
    const description = typeof prop.description === 'string' ? markdownInline(prop.description) : '';
    rows.push(`<tr><td><code>${escapeHtml(path)}</code></td><td>${typeLabel(prop)}</td><td>${required.has(name) ? 'yes' : ''}</td><td>${description}</td></tr>`);
    nested(prop, `${path}.`, rows);
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = schema[key];
    if (!Array.isArray(branches) || schema.properties !== undefined && branches.every((b: JsonSchemaNode) => b.properties === undefined)) continue;
    branches.forEach((b: JsonSchemaNode, i: number) => {
      if (b.type === 'object' || b.properties !== undefined) {
        rows.push(`<tr class="alt"><td colspan="4">${prefix || 'payload'} — ${key === 'oneOf' ? 'alternative' : 'option'} ${i + 1}</td></tr>`);
        propertyRows(b, prefix, rows);
      }
    });
  }
}

function nested(prop: JsonSchemaNode, prefix: string, rows: string[]): void {
  if (prop.type === 'object' || prop.properties !== undefined) propertyRows(prop, prefix, rows);
  else if (prop.type === 'array' && prop.items && !Array.isArray(prop.items) && (prop.items as JsonSchemaNode).$ref === undefined) nested(prop.items as JsonSchemaNode, `${prefix.slice(0, -1)}[].`, rows);
}

function markdownInline(text: string): string {
  return inline(text.replace(/\s+/g, ' ').trim());
}

function schemaTable(schema: JsonSchemaNode): string {
  const rows: string[] = [];
  propertyRows(schema, '', rows);
  const head = [
    typeof schema.description === 'string' ? `<p>${markdownInline(schema.description)}</p>` : '',
    schema.type !== 'object' && schema.properties === undefined ? `<p>Type: ${typeLabel(schema)}</p>` : '',
  ].join('');
  if (rows.length === 0) return head;
  return `${head}<table class="schema"><thead><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function messageSection(doc: AsyncApiDocument, name: string, message: AsyncApiMessage, direction: Direction): string {
  const payloadName = String(message.payload.$ref).slice(SCHEMA_REF.length);
  const payload = doc.components.schemas[payloadName]!;
  const examples = (message.examples ?? [])
    .map((e) => `<p class="ex">Example${e.name ? ` <code>${escapeHtml(e.name)}</code>` : ''}${e.summary ? `: ${markdownInline(e.summary)}` : ''}</p><pre><code>${escapeHtml(JSON.stringify(e.payload, null, 2))}</code></pre>`)
    .join('');
  return `<section class="message" id="${anchor('message', name)}">
<h3>${escapeHtml(message.title ?? name)} <small><code>${escapeHtml(name)}</code> · ${direction === 'client' ? 'client → server' : 'server → client'} · payload <a href="#${anchor('schema', payloadName)}">${escapeHtml(payloadName)}</a></small></h3>
${message.summary ? `<p>${markdownInline(message.summary)}</p>` : ''}
${schemaTable(payload)}
${examples}
</section>`;
}

function messageLinks(refs: readonly { $ref: string }[]): string {
  return refs.map((r) => `<a href="#${anchor('message', refName(r))}"><code>${escapeHtml(refName(r))}</code></a>`).join(', ');
}

function operationRow(name: string, op: AsyncApiOperation): string {
  return `<tr id="${anchor('operation', name)}"><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(op.title ?? '')}</td><td>${op.summary ? markdownInline(op.summary) : ''}</td><td>${messageLinks(op.messages)}</td><td>${op.reply ? messageLinks(op.reply.messages) : ''}</td></tr>`;
}

export function renderAsyncApiHtml(doc: AsyncApiDocument, directions: Map<string, Direction>): string {
  const ops = Object.entries(doc.operations);
  const requests = ops.filter(([, op]) => op.action === 'receive');
  const streams = ops.filter(([, op]) => op.action === 'send');
  const opTable = (list: typeof ops, replyHead: string) =>
    `<table><thead><tr><th>operation</th><th>title</th><th>summary</th><th>messages</th><th>${replyHead}</th></tr></thead><tbody>${list.map(([n, op]) => operationRow(n, op)).join('')}</tbody></table>`;
  const messages = Object.entries(doc.components.messages);
  const byDirection = (d: Direction) => messages.filter(([n]) => directions.get(n) === d).map(([n, m]) => messageSection(doc, n, m, d)).join('\n');
  const channels = Object.entries(doc.channels)
    .map(([n, c]) => `<p><strong>${escapeHtml(c.title ?? n)}</strong>: <code>${escapeHtml(c.address)}</code>${c.description ? ` — ${markdownInline(c.description)}` : ''}</p>`)
    .join('');
  const schemas = Object.entries(doc.components.schemas)
    .map(([n, s]) => `<section class="schema" id="${anchor('schema', n)}"><h3><code>${escapeHtml(n)}</code></h3>${schemaTable(s)}</section>`)
    .join('\n');
  const title = `${doc.info.title} ${doc.info.version}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff}
main{max-width:1100px;margin:0 auto;padding:24px 32px 64px}
nav{background:#0d2538;color:#fff;padding:12px 32px}nav a{color:#cfe3f5;margin-right:18px;text-decoration:none}
h1{font-size:28px;margin:8px 0 4px}h2{border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:40px}
h3 small{font-weight:normal;color:#57606a;font-size:13px;margin-left:8px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f5f7;padding:1px 4px;border-radius:3px}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;overflow:auto}pre code{background:none;padding:0}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:14px}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}tr.alt td{background:#fbfbe8;font-style:italic}.c{color:#57606a;font-size:12px}
section.message,section.schema{border-top:1px dashed #d0d7de;padding-top:8px}.ex{margin-bottom:2px;color:#57606a}
</style>
</head>
<body>
<nav><a href="#overview">Overview</a><a href="#requests">Requests</a><a href="#streams">Streams</a><a href="#client-messages">Client messages</a><a href="#server-messages">Server messages</a><a href="#schemas">Schemas</a></nav>
<main>
<h1>${escapeHtml(doc.info.title)}</h1>
<p>Version ${escapeHtml(doc.info.version)} · AsyncAPI ${escapeHtml(doc.asyncapi)}</p>
<section id="overview">
${channels}
${markdown(doc.info.description ?? '')}
</section>
<h2 id="requests">Requests (client → server, each answered by one reply or error)</h2>
${opTable(requests, 'reply')}
<h2 id="streams">Streams and other server messages</h2>
${opTable(streams, '')}
<h2 id="client-messages">Client messages</h2>
${byDirection('client')}
<h2 id="server-messages">Server messages</h2>
${byDirection('server')}
<h2 id="schemas">Schemas</h2>
${schemas}
</main>
</body>
</html>
`;
}
