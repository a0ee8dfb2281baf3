/**
 * The hosted documentation site, rendered at `npm run generate` time so the server only serves
 * static files:
 *   generated/docs/index.html           the landing page (/docs)
 *   generated/docs/guides/<slug>.html   every docs/*.md as a page (/docs/guides/<slug>)
 *   generated/docs/style.css            the one stylesheet (self-served: no CDN, works offline)
 * The REST (rest.html) and WebSocket (websocket.html) references beside them come from their own
 * generators. Links between guides (`errors.md#CODE`) become links between pages.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Marked, type Tokens } from 'marked';

/** Where the server mounts what this module writes; the links in the pages depend on it. */
export const DOCS_BASE = '/docs';
export const guideUrl = (slug: string) => `${DOCS_BASE}/guides/${slug}`;
/** The live market page, and where the browser code of web/ is served from. */
export const MARKET_URL = `${DOCS_BASE}/market`;
export const ASSETS_BASE = `${DOCS_BASE}/assets`;

/** How the landing page and the sidebar group the guides; a guide not named here goes under "More". */
export const GUIDE_GROUPS: readonly { title: string; slugs: readonly string[] }[] = [
  { title: 'Get started', slugs: ['quickstart', 'trading-api', 'typescript-sdk', 'python-sdk', 'live-market'] },
  { title: 'Essentials', slugs: ['authentication', 'rate-limits', 'errors', 'trading-rules'] },
  { title: 'Streaming, FIX and OTC', slugs: ['websocket', 'fix-rules-of-engagement', 'otc-rfq'] },
  { title: 'Releases', slugs: ['versioning', 'changelog'] },
  { title: 'Running and developing the platform', slugs: ['operations', 'architecture', 'sdk', 'benchmarks'] },
];

/** The marker before a fenced block that test/docs/samples.test.ts runs against a live server. */
export const SAMPLE_MARKER = /^<!--\s*sample:\s*([a-z0-9][a-z0-9-]*)\s*-->\s*$/;

export interface Guide { slug: string; title: string; markdown: string }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** GitHub's heading anchors, so `authentication.md#lockout` links work here as they do there. */
export function headingSlug(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * User guides that live beside their package rather than in docs/ (each package ships its
 * README), published on the site under a slug of their own. Links to the file become links to the page.
 */
export const PACKAGE_GUIDES: readonly { slug: string; file: string }[] = [
  { slug: 'typescript-sdk', file: 'sdk/README.md' },
  { slug: 'python-sdk', file: 'sdk-python/README.md' },
];

/** docs/*.md and the package guides that exist: everything the site publishes as a guide. */
export function loadSiteGuides(root: string): Guide[] {
  const packaged = PACKAGE_GUIDES.filter((p) => existsSync(join(root, p.file))).map((p) => {
    const markdown = readFileSync(join(root, p.file), 'utf8');
    return { slug: p.slug, title: /^# +(.+?) *$/m.exec(markdown)?.[1] ?? p.slug, markdown };
  });
  return [...loadGuides(join(root, 'docs')), ...packaged].sort((a, b) => (a.slug < b.slug ? -1 : 1));
}

export function loadGuides(docsDir: string): Guide[] {
  return readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => {
      const markdown = readFileSync(join(docsDir, f), 'utf8');
      const slug = f.slice(0, -'.md'.length);
      const title = /^# +(.+?) *$/m.exec(markdown)?.[1] ?? slug;
      return { slug, title, markdown };
    });
}

/** The guides in reading order, grouped as GUIDE_GROUPS says. */
export function groupGuides(guides: readonly Guide[]): { title: string; guides: Guide[] }[] {
  const bySlug = new Map(guides.map((g) => [g.slug, g]));
  const placed = new Set<string>();
  const groups = GUIDE_GROUPS.map((group) => ({
    title: group.title,
    guides: group.slugs.flatMap((slug) => {
      const g = bySlug.get(slug);
      if (!g) return [];
      placed.add(slug);
      return [g];
    }),
  }));
  const rest = guides.filter((g) => !placed.has(g.slug));
  if (rest.length > 0) groups.push({ title: 'More', guides: rest });
  return groups.filter((g) => g.guides.length > 0);
}

/**
 * Where a link written in a guide points on the site: another guide (`errors.md#X`) becomes its
 * page; a file elsewhere in the repository (`../api-spec/...`) is not served, so it has no target.
 */
export function rewriteHref(href: string, slugs: ReadonlySet<string>): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#') || href.startsWith('/')) return href;
  const [file = '', fragment] = href.split('#', 2);
  const packaged = PACKAGE_GUIDES.find((p) => file.replace(/^(\.\.?\/)+/, '') === p.file);
  if (packaged && slugs.has(packaged.slug)) return guideUrl(packaged.slug) + (fragment !== undefined ? `#${fragment}` : '');
  const m = /^(?:\.\/)?(?:docs\/)?([\w-]+)\.md(#.*)?$/.exec(href);
  if (m && slugs.has(m[1]!)) return guideUrl(m[1]!) + (m[2] ?? '');
  return undefined;
}

export interface RenderedGuide { html: string; headings: { depth: number; id: string; text: string }[] }

/** One guide's Markdown as HTML (the page body only). */
export function renderMarkdown(markdown: string, slugs: ReadonlySet<string>): RenderedGuide {
  const headings: RenderedGuide['headings'] = [];
  const used = new Map<string, number>();
  const marked = new Marked({ gfm: true, async: false });
  marked.use({
    walkTokens(token) {
      if (token.type === 'link') {
        const link = token as Tokens.Link;
        const target = rewriteHref(link.href, slugs);
        if (target === undefined) {
          // Keep the words; say where the file lives instead of linking to nothing.
          link.title = `In the repository: ${link.href.replace(/^(\.\.\/)+/, '')}`;
          link.href = '';
        } else {
          link.href = target;
        }
      }
    },
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        const text = this.parser.parseInline(tokens, this.parser.textRenderer);
        const base = headingSlug(unescapeEntities(text));
        const n = used.get(base) ?? 0;
        used.set(base, n + 1);
        const id = n === 0 ? base : `${base}-${n}`;
        headings.push({ depth, id, text: unescapeEntities(text) });
        return `<h${depth} id="${escapeHtml(id)}">${inner}<a class="anchor" href="#${escapeHtml(id)}" aria-label="Link to this section">#</a></h${depth}>\n`;
      },
      link({ href, title, tokens }) {
        const inner = this.parser.parseInline(tokens);
        if (!href) return `<span class="repo-file"${title ? ` title="${escapeHtml(title)}"` : ''}>${inner}</span>`;
        return `<a href="${escapeHtml(href)}"${title ? ` title="${escapeHtml(title)}"` : ''}>${inner}</a>`;
      },
      html({ text }) {
        const sample = SAMPLE_MARKER.exec(text.trim());
        if (sample) return `<p class="sample-note">Tested sample <code>${escapeHtml(sample[1]!)}</code>: CI runs this block against a live server.</p>\n`;
        return false;
      },
    },
  });
  const html = marked.parse(markdown) as string;
  return { html, headings };
}

function unescapeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

interface SiteInfo { restVersion: string; wsVersion: string; groups: { title: string; guides: Guide[] }[] }

interface PageOptions {
  title: string;
  body: string;
  site: SiteInfo;
  current?: string;
  /** Module scripts and stylesheets of web/ the page loads (the pages with live data). */
  scripts?: string[];
  styles?: string[];
  /** No width limit on the content (the market page's grid). */
  wide?: boolean;
}

function page(opts: PageOptions): string {
  const nav = opts.site.groups
    .map(
      (g) =>
        `<h2>${escapeHtml(g.title)}</h2><ul>${g.guides
          .map((guide) => `<li><a href="${guideUrl(guide.slug)}"${guide.slug === opts.current ? ' aria-current="page"' : ''}>${escapeHtml(guide.title)}</a></li>`)
          .join('')}</ul>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${DOCS_BASE}/style.css">
${(opts.styles ?? []).map((f) => `<link rel="stylesheet" href="${ASSETS_BASE}/${f}">\n`).join('')}${(opts.scripts ?? []).map((f) => `<script type="module" src="${ASSETS_BASE}/${f}"></script>\n`).join('')}</head>
<body>
<header class="top"><a class="brand" href="${DOCS_BASE}">Trading API docs</a><nav><a href="${guideUrl('quickstart')}">Quickstart</a><a href="${DOCS_BASE}/rest">REST reference</a><a href="${DOCS_BASE}/websocket">WebSocket reference</a><a href="${guideUrl('fix-rules-of-engagement')}">FIX</a><a href="${MARKET_URL}">Live market</a><a href="${guideUrl('changelog')}">Changelog</a></nav></header>
<div class="layout">
<aside class="sidebar">
${nav}
</aside>
<main${opts.wide ? ' class="wide"' : ''}>
${opts.body}
</main>
</div>
</body>
</html>
`;
}

interface SpecOperation { method: string; path: string; operationId: string; summary: string; tag: string }

function specOperations(spec: { paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[] }>> }): SpecOperation[] {
  const ops: SpecOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== 'object' || !op.operationId) continue;
      ops.push({ method: method.toUpperCase(), path, operationId: op.operationId, summary: op.summary ?? '', tag: op.tags?.[0] ?? 'Other' });
    }
  }
  return ops;
}

function landingBody(site: SiteInfo, operations: SpecOperation[]): string {
  const cards = [
    { href: guideUrl('quickstart'), title: 'Quickstart', text: 'Your first signed request in five minutes: curl, the TypeScript SDK, or Python.' },
    { href: `${DOCS_BASE}/rest`, title: `REST reference <small>v${escapeHtml(site.restVersion)}</small>`, text: 'Every operation, parameter, schema and error of <code>/v1</code>, from the OpenAPI contract.' },
    { href: `${DOCS_BASE}/websocket`, title: `WebSocket reference <small>v${escapeHtml(site.wsVersion)}</small>`, text: 'Market-data and private streams, order entry over <code>/v1/ws</code>, from the AsyncAPI contract.' },
    { href: `${DOCS_BASE}/sdk/`, title: 'TypeScript SDK reference', text: 'Every class, method and option of <code>@trading-api/sdk</code>, generated from its declarations.' },
    { href: guideUrl('fix-rules-of-engagement'), title: 'FIX 4.4', text: 'Session settings, logon, the messages we accept and send, and how sequence gaps are handled.' },
    { href: MARKET_URL, title: 'Live market', text: 'The book, trades, depth and candles as the WebSocket API streams them; paste a demo key to trade.' },
  ];
  const cardHtml = cards.map((c) => `<a class="card" href="${c.href}"><h3>${c.title}</h3><p>${c.text}</p></a>`).join('\n');
  const guides = site.groups
    .map((g) => `<section><h3>${escapeHtml(g.title)}</h3><ul>${g.guides.map((guide) => `<li><a href="${guideUrl(guide.slug)}">${escapeHtml(guide.title)}</a></li>`).join('')}</ul></section>`)
    .join('\n');
  const byTag = new Map<string, SpecOperation[]>();
  for (const op of operations) byTag.set(op.tag, [...(byTag.get(op.tag) ?? []), op]);
  const index = [...byTag.entries()]
    .map(
      ([tag, ops]) =>
        `<tbody><tr><th colspan="3">${escapeHtml(tag)}</th></tr>${ops
          .map((op) => `<tr><td><code>${op.method} ${escapeHtml(op.path)}</code></td><td><a href="${DOCS_BASE}/rest#operation/${encodeURIComponent(op.operationId)}"><code>${escapeHtml(op.operationId)}</code></a></td><td>${escapeHtml(op.summary)}</td></tr>`)
          .join('')}</tbody>`,
    )
    .join('\n');
  return `<h1>Trading API documentation</h1>
<p class="lead">One trading venue, three doors: <strong>REST</strong> for orders and account data, <strong>WebSocket</strong> for live books and private streams, <strong>FIX 4.4</strong> for order entry at scale. All three share one authentication scheme, one set of error codes and one order-rate budget.</p>
${STATUS_PANEL}
<div class="cards">
${cardHtml}
</div>
<h2 id="guides">Guides</h2>
<div class="guide-groups">
${guides}
</div>
<h2 id="contract">The contract</h2>
<p>The machine-readable contracts are served beside these pages: <a href="/openapi.json"><code>/openapi.json</code></a> and <a href="/openapi.yaml"><code>/openapi.yaml</code></a> (REST, OpenAPI 3.1). Generate a client from them, or use the TypeScript SDK from the quickstart.</p>
<h2 id="operations">REST operations</h2>
<table class="operations">
<thead><tr><th>method and path</th><th>operation</th><th>summary</th></tr></thead>
${index}
</table>`;
}

/** The landing page's live status (web/status.js fills it from GET /v1/status). */
const STATUS_PANEL = `<section class="status-panel" id="system-status" aria-live="polite">
<h2>System status</h2>
<p>Venue: <strong id="venue-status">loading…</strong> · mode <span id="venue-mode">–</span> · as of <time id="status-checked">–</time> · from <code>GET /v1/status</code>, refreshed every 5 s</p>
<table id="instrument-status"><thead><tr><th>instrument</th><th>status</th></tr></thead><tbody id="instrument-status-body"></tbody></table>
<noscript><p>This panel needs JavaScript; without it, ask <code>GET /v1/status</code>.</p></noscript>
</section>`;

/** The live market page's markup; web/live-market.js fills and drives it. */
function marketBody(): string {
  const interval = ['1m', '5m', '15m', '1h'].map((i) => `<option value="${i}">${i}</option>`).join('');
  return `<h1>Live market</h1>
<p>The market as the public WebSocket API streams it, drawn by a few small scripts of this site (no third-party code, nothing loaded from elsewhere). How it works and how to trade from it: <a href="${guideUrl('live-market')}">the live market guide</a>.</p>
<noscript><p><strong>This page needs JavaScript.</strong></p></noscript>
<div class="market-bar">
<label>Instrument <select id="symbol"></select></label>
<span id="connection" class="pill" data-state="connecting">connecting…</span>
<span>Last <strong id="ticker-last">–</strong></span>
<span>24 h range <strong id="ticker-range">–</strong></span>
<span>24 h volume <strong id="ticker-volume">–</strong></span>
<span>Bid / ask <strong id="ticker-spread">–</strong></span>
</div>
<div class="market-grid">
<section aria-labelledby="book-title">
<h2 id="book-title">Order book</h2>
<p class="book-status" id="book-status" data-synced="false">connecting…</p>
<table id="book"><thead><tr><th>price</th><th>quantity</th></tr></thead><tbody id="book-asks"></tbody><tbody id="book-bids"></tbody></table>
</section>
<section aria-labelledby="depth-title">
<h2 id="depth-title">Depth</h2>
<svg id="depth-chart" class="chart" viewBox="0 0 600 260" role="img" aria-label="Depth chart: cumulative bids and asks"></svg>
<h2 id="candles-title">Candles <select id="interval" aria-label="Candle interval">${interval}</select></h2>
<svg id="candle-chart" class="chart" viewBox="0 0 600 260" role="img" aria-label="Candle chart"></svg>
</section>
<section aria-labelledby="trades-title">
<h2 id="trades-title">Trades</h2>
<div class="scroll"><table id="trades"><thead><tr><th>time (UTC)</th><th>price</th><th>quantity</th><th>taker</th></tr></thead><tbody id="trades-body"></tbody></table></div>
</section>
</div>
<h2 id="your-account">Your account</h2>
<p>Paste an API key (a demo key: <code>data/demo-credentials.json</code>, or create one here). The secret stays in this tab (sessionStorage): the page signs each request with it in the browser, as the <a href="${guideUrl('authentication')}">authentication guide</a> says, and never sends it.</p>
<form id="credentials" class="credentials" autocomplete="off">
<label for="key-id">Key id</label><input id="key-id" name="keyId" placeholder="ak_…" required spellcheck="false">
<label for="secret">Secret</label><textarea id="secret" name="secret" placeholder="HMAC secret (base64url), or an Ed25519 private key (PEM)" required spellcheck="false"></textarea>
<div class="buttons"><button type="submit">Connect</button><button type="button" id="create-demo">Create a demo account</button><button type="button" id="disconnect">Forget the key</button></div>
</form>
<p id="account-status" role="status" hidden></p>
<div id="account" hidden>
<h3>Place an order</h3>
<form id="order-form" class="order-ticket" autocomplete="off">
<label>Instrument <input id="order-symbol" name="symbol" readonly></label>
<label>Side <select id="order-side" name="side"><option value="buy">buy</option><option value="sell">sell</option></select></label>
<label>Type <select id="order-type" name="type"><option value="limit">limit</option><option value="market">market</option></select></label>
<label>Price <input id="order-price" name="price" inputmode="decimal"></label>
<label>Quantity <input id="order-quantity" name="quantity" inputmode="decimal"></label>
<button type="submit">Place order</button>
</form>
<p id="order-result" role="status" hidden></p>
<p id="order-event" role="status" hidden></p>
<div class="account-grid">
<section><h2>Balances</h2><table id="balances"><thead><tr><th>asset</th><th>total</th><th>available</th><th>hold</th></tr></thead><tbody id="balances-body"></tbody></table></section>
<section class="full"><h2>Open orders</h2><table id="orders"><thead><tr><th>order</th><th>client id</th><th>instrument</th><th>side</th><th>type</th><th>price</th><th>quantity</th><th>filled</th><th>status</th><th></th></tr></thead><tbody id="orders-body"></tbody></table></section>
<section class="full"><h2>Fills</h2><table id="fills"><thead><tr><th>time (UTC)</th><th>order</th><th>instrument</th><th>side</th><th>price</th><th>quantity</th><th>fee</th><th>liquidity</th></tr></thead><tbody id="fills-body"></tbody></table></section>
</div>
</div>`;
}

export const STYLESHEET = `:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg-soft:#f6f8fa;--accent:#0b5cad;--band:#0d2538}
*{box-sizing:border-box}
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
a{color:var(--accent)}
header.top{display:flex;align-items:center;gap:24px;background:var(--band);padding:12px 24px;flex-wrap:wrap}
header.top a{color:#dbe9f6;text-decoration:none}
header.top a.brand{color:#fff;font-weight:600;font-size:18px}
header.top nav{display:flex;gap:18px;flex-wrap:wrap}
.layout{display:flex;max-width:1280px;margin:0 auto}
aside.sidebar{flex:0 0 240px;padding:20px 16px;border-right:1px solid var(--line);font-size:14px}
aside.sidebar h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:18px 0 6px}
aside.sidebar ul{list-style:none;margin:0;padding:0}
aside.sidebar li{margin:3px 0}
aside.sidebar a{text-decoration:none}
aside.sidebar a[aria-current=page]{font-weight:600;color:var(--fg)}
main{flex:1;min-width:0;padding:24px 40px 64px;max-width:980px}
h1{font-size:30px;line-height:1.25;margin:8px 0 12px}
h2{font-size:22px;border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:36px}
h3{font-size:18px;margin-top:28px}
h1 a.anchor,h2 a.anchor,h3 a.anchor,h4 a.anchor{visibility:hidden;margin-left:8px;text-decoration:none;color:var(--muted)}
h1:hover a.anchor,h2:hover a.anchor,h3:hover a.anchor,h4:hover a.anchor{visibility:visible}
code{font:14px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg-soft);padding:1px 4px;border-radius:4px}
pre{background:var(--bg-soft);border:1px solid var(--line);border-radius:6px;padding:12px 14px;overflow:auto;line-height:1.45}
pre code{background:none;padding:0;font-size:13px}
table{border-collapse:collapse;margin:12px 0 20px;font-size:14px;display:block;overflow-x:auto}
th,td{border:1px solid var(--line);padding:5px 10px;text-align:left;vertical-align:top}
th{background:var(--bg-soft)}
blockquote{margin:0;padding:0 16px;border-left:4px solid var(--line);color:var(--muted)}
p.lead{font-size:18px;color:#30363d}
p.sample-note{margin:16px 0 -10px;font-size:12px;color:var(--muted)}
p.sample-note code{font-size:12px}
span.repo-file{border-bottom:1px dotted var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:14px;margin:20px 0}
a.card{display:block;border:1px solid var(--line);border-radius:8px;padding:14px 16px;text-decoration:none;color:var(--fg)}
a.card:hover{border-color:var(--accent);box-shadow:0 1px 4px rgba(0,0,0,.08)}
a.card h3{margin:0 0 6px;color:var(--accent)}
a.card h3 small{font-weight:normal;color:var(--muted);font-size:13px}
a.card p{margin:0;font-size:14px;color:var(--muted)}
.guide-groups{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:8px 24px}
.guide-groups h3{margin:10px 0 4px;font-size:15px}
.guide-groups ul{margin:0;padding-left:18px}
table.operations tbody th{background:#eef3f8}
@media (max-width:800px){.layout{display:block}aside.sidebar{border-right:none;border-bottom:1px solid var(--line)}main{padding:16px}}
`;

/** Renders the whole site into generated/docs/ (the references beside it are left alone). */
export function writeDocsSite(root: string): void {
  const outDir = join(root, 'generated/docs');
  const guidesDir = join(outDir, 'guides');
  const guides = loadSiteGuides(root);
  const slugs = new Set(guides.map((g) => g.slug));
  const rest = JSON.parse(readFileSync(join(root, 'generated/openapi.json'), 'utf8')) as Parameters<typeof specOperations>[0] & { info: { version: string } };
  const ws = JSON.parse(readFileSync(join(root, 'generated/asyncapi.json'), 'utf8')) as { info: { version: string } };
  const site: SiteInfo = { restVersion: rest.info.version, wsVersion: ws.info.version, groups: groupGuides(guides) };

  // A guide deleted from docs/ must disappear from the site too.
  rmSync(guidesDir, { recursive: true, force: true });
  mkdirSync(guidesDir, { recursive: true });
  for (const guide of guides) {
    const { html } = renderMarkdown(guide.markdown, slugs);
    writeFileSync(join(guidesDir, `${guide.slug}.html`), page({ title: `${guide.title} — Trading API docs`, body: html, site, current: guide.slug }));
  }
  writeFileSync(join(outDir, 'index.html'), page({ title: 'Trading API docs', body: landingBody(site, specOperations(rest)), site, scripts: ['status.js'], styles: ['market.css'] }));
  writeFileSync(join(outDir, 'market.html'), page({ title: 'Live market — Trading API docs', body: marketBody(), site, scripts: ['live-market.js'], styles: ['market.css'], wide: true }));
  writeFileSync(join(outDir, 'style.css'), STYLESHEET);
}
