// @ts-check
/**
 * The live market page (/docs/market). Public part: the order book (a checksum-verified local
 * copy), the trades, a depth chart and a candle chart of one instrument, all from the public
 * WebSocket channels (the candle chart starts from the REST history). Private part, once a key
 * is pasted in: the account's open orders, fills and balances from the private channels, and an
 * order ticket that places and cancels orders over REST, signed in the browser.
 */
import { drawCandles, drawDepth } from './charts.js';
import { CandleSeries } from './candles.js';
import { isPositiveDecimal } from './decimal.js';
import { depthCurve } from './depth.js';
import { LocalBook } from './local-book.js';
import { MarketSocket } from './market-socket.js';
import { createSigner, loginArgs, signedHeaders } from './signing.js';

const BOOK_DEPTH = 25;
const BOOK_ROWS = 12;
const CANDLE_SLOTS = 60;
const LIST_LIMIT = 50;
const INTERVAL_MS = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000 };
const LIVE_STATUSES = new Set(['new', 'partially_filled']);
const CREDENTIALS_KEY = 'live-market-credentials';

/** @template {HTMLElement} T @param {string} id @returns {T} */
const $ = (id) => /** @type {T} */ (document.getElementById(id));

/** @param {unknown[]} cells @param {string} [className] */
function row(cells, className) {
  const tr = document.createElement('tr');
  if (className) tr.className = className;
  for (const value of cells) {
    const td = document.createElement('td');
    if (value instanceof Node) td.append(value);
    else td.textContent = String(value ?? '');
    tr.append(td);
  }
  return tr;
}

/** @param {number} ms */
const timeOfDay = (ms) => new Date(ms).toISOString().slice(11, 19);

// ---------------------------------------------------------------- state

const state = {
  symbol: new URLSearchParams(location.search).get('symbol') ?? 'BTC-USD',
  interval: /** @type {keyof typeof INTERVAL_MS} */ ('1m'),
  book: new LocalBook(),
  bookChecks: 0,
  resyncing: false,
  /** @type {{ tradeId: number, price: string, quantity: string, takerSide: string, ts: number }[]} */ trades: [],
  candles: new CandleSeries(CANDLE_SLOTS),
  /** Server time minus this clock, so signed timestamps fall inside the server's window. */
  clockOffsetMs: 0,
  /** @type {import('./signing.js').Signer | undefined} */ signer: undefined,
  /** @type {Map<string, any>} */ orders: new Map(),
  ordersSeq: -1,
  /** @type {Map<string, any>} */ balances: new Map(),
  balancesSeq: -1,
  /** @type {any[]} */ fills: [],
  /** Client order ids of the orders this page placed. */
  /** @type {Set<string>} */ placedHere: new Set(),
};

// ---------------------------------------------------------------- REST

class ApiError extends Error {
  /** @param {number} status @param {any} problem */
  constructor(status, problem) {
    super(`${status} ${problem?.code ?? ''}: ${problem?.detail ?? problem?.title ?? ''}`);
    this.problem = problem;
  }
}

/**
 * A REST call; signed when a signer is given. Resolves with the parsed body, rejects with the
 * problem details of an error status.
 * @param {string} method @param {string} pathWithQuery @param {unknown} [body] @param {import('./signing.js').Signer} [signer]
 */
async function rest(method, pathWithQuery, body, signer) {
  const text = body === undefined ? '' : JSON.stringify(body);
  /** @type {Record<string, string>} */
  const headers = text ? { 'Content-Type': 'application/json' } : {};
  if (signer) Object.assign(headers, await signedHeaders(signer, Date.now() + state.clockOffsetMs, method, pathWithQuery, text));
  const res = await fetch(pathWithQuery, { method, headers, ...(text && { body: text }) });
  const answer = res.status === 204 ? undefined : await res.json();
  if (!res.ok) throw new ApiError(res.status, answer);
  return answer;
}

async function calibrateClock() {
  const sent = Date.now();
  const { serverTime } = await rest('GET', '/v1/time');
  state.clockOffsetMs = serverTime - Math.round((sent + Date.now()) / 2);
}

// ---------------------------------------------------------------- rendering

let renderQueued = false;
/** Coalesces bursts of frames into one redraw. */
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    renderMarket();
  }, 50);
}

function renderMarket() {
  const bids = state.book.bids();
  const asks = state.book.asks();
  $('book-asks').replaceChildren(...asks.slice(0, BOOK_ROWS).reverse().map(([p, q]) => row([p, q], 'ask')));
  $('book-bids').replaceChildren(...bids.slice(0, BOOK_ROWS).map(([p, q]) => row([p, q], 'bid')));
  const status = $('book-status');
  status.dataset.bookSeq = String(state.book.bookSeq);
  status.dataset.synced = String(state.book.synced);
  status.textContent = state.book.synced ? `bookSeq ${state.book.bookSeq} · checksum verified ${state.bookChecks} times` : 'resynchronising…';
  drawDepth(/** @type {SVGSVGElement} */ (/** @type {unknown} */ ($('depth-chart'))), depthCurve(bids, asks));
  drawCandles(/** @type {SVGSVGElement} */ (/** @type {unknown} */ ($('candle-chart'))), state.candles.list(), CANDLE_SLOTS);
  $('trades-body').replaceChildren(
    ...state.trades.map((t) => {
      const tr = row([timeOfDay(t.ts), t.price, t.quantity, t.takerSide], t.takerSide === 'buy' ? 'bid' : 'ask');
      tr.dataset.tradeId = String(t.tradeId);
      return tr;
    }),
  );
}

/** @param {any} t */
function renderTicker(t) {
  $('ticker-last').textContent = t.last ?? '–';
  $('ticker-range').textContent = t.high ? `${t.low} – ${t.high}` : '–';
  $('ticker-volume').textContent = t.volume ?? '–';
  $('ticker-spread').textContent = t.bestBid && t.bestAsk ? `${t.bestBid} / ${t.bestAsk}` : '–';
}

function renderAccount() {
  $('balances-body').replaceChildren(...[...state.balances.values()].sort((a, b) => (a.asset < b.asset ? -1 : 1)).map((b) => row([b.asset, b.total, b.available, b.hold])));
  $('orders-body').replaceChildren(
    ...[...state.orders.values()]
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((o) => {
        const cancel = document.createElement('button');
        cancel.type = 'button';
        cancel.className = 'cancel';
        cancel.textContent = 'Cancel';
        cancel.addEventListener('click', () => void cancelOrder(o.orderId, cancel));
        const tr = row([o.orderId, o.clientOrderId ?? '', o.symbol, o.side, o.type, o.price ?? 'market', o.quantity, o.filledQuantity, o.status, cancel], o.side === 'buy' ? 'bid' : 'ask');
        tr.dataset.orderId = o.orderId;
        return tr;
      }),
  );
  $('fills-body').replaceChildren(
    ...state.fills.map((f) => {
      const tr = row([timeOfDay(f.ts), f.orderId, f.symbol, f.side, f.price, f.quantity, `${f.fee} ${f.feeAsset}`, f.liquidity], f.side === 'buy' ? 'bid' : 'ask');
      tr.dataset.orderId = f.orderId;
      return tr;
    }),
  );
}

/** @param {'connecting' | 'open' | 'closed'} s @param {number} [closeCode] */
function renderConnection(s, closeCode) {
  const pill = $('connection');
  pill.dataset.state = s;
  if (s === 'closed') {
    // Kept after the page reconnects (the "reconnecting…" state may last only a moment): how many
    // times the connection dropped, and the last close code (4001: the signed-in key was revoked).
    pill.dataset.drops = String(Number(pill.dataset.drops ?? '0') + 1);
    pill.dataset.closeCode = String(closeCode ?? '');
  }
  pill.textContent = { connecting: 'connecting…', open: 'live', closed: 'reconnecting…' }[s];
}

/** @param {string} id @param {string} text @param {'ok' | 'error'} kind */
function say(id, text, kind) {
  const el = $(id);
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = false;
}

// ---------------------------------------------------------------- WebSocket

const socket = new MarketSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`, {
  onState: renderConnection,
  onOpen: () => void subscribeAll(),
  onFrame,
});

const publicSubscriptions = () => [
  { channel: 'book', symbol: state.symbol, depth: BOOK_DEPTH },
  { channel: 'trades', symbol: state.symbol },
  { channel: 'ticker', symbol: state.symbol },
  { channel: 'candles', symbol: state.symbol, interval: state.interval },
];

async function subscribeAll() {
  state.book.reset();
  scheduleRender();
  await Promise.all(publicSubscriptions().map((args) => socket.request('subscribe', args)));
  if (!state.signer) return;
  try {
    await calibrateClock();
    await logIn(state.signer);
    signedIn(state.signer);
  } catch (error) {
    // The key no longer signs in (revoked, say): stop trying on every reconnect, and stop showing
    // an account the page no longer follows. The market goes on.
    state.signer = undefined;
    $('account').hidden = true;
    say('account-status', `Signed out: ${/** @type {Error} */ (error).message}`, 'error');
  }
}

async function resyncBook() {
  if (state.resyncing) return;
  state.resyncing = true;
  const args = publicSubscriptions()[0];
  state.book.reset();
  scheduleRender();
  await socket.request('unsubscribe', args);
  await socket.request('subscribe', args);
  state.resyncing = false;
}

/** @param {import('./market-socket.js').Frame} frame */
function onFrame(frame) {
  if ('symbol' in frame && frame.type !== 'orders.rejected' && frame.type !== 'fills' && frame.symbol !== state.symbol) return; // a previous instrument's, still in flight
  switch (frame.type) {
    case 'book.snapshot':
    case 'book.update': {
      const result = frame.type === 'book.snapshot' ? state.book.applySnapshot(/** @type {any} */ (frame)) : state.book.applyUpdate(/** @type {any} */ (frame));
      if (result === 'applied') state.bookChecks++;
      else if (result !== 'stale') void resyncBook();
      return scheduleRender();
    }
    case 'trades':
      state.trades = [...[...frame.trades].reverse(), ...state.trades].slice(0, LIST_LIMIT);
      return scheduleRender();
    case 'ticker':
      return renderTicker(frame);
    case 'candle':
      if (frame.interval !== state.interval) return;
      state.candles.upsert(/** @type {any} */ (frame));
      return scheduleRender();
    case 'orders.snapshot':
      state.orders = new Map(frame.orders.map((/** @type {any} */ o) => [o.orderId, o]));
      state.ordersSeq = frame.seq;
      return renderAccount();
    case 'orders.update':
      if (frame.seq <= state.ordersSeq) return;
      state.ordersSeq = frame.seq;
      if (LIVE_STATUSES.has(frame.order.status)) state.orders.set(frame.order.orderId, frame.order);
      else state.orders.delete(frame.order.orderId);
      return renderAccount();
    case 'orders.rejected':
      // This page's own orders have their answer from REST already; these are the other clients'.
      if (state.placedHere.has(frame.clientOrderId)) return;
      return say('order-event', `An order ${frame.clientOrderId ?? ''} from another client was rejected: ${frame.code} ${frame.message}`, 'error');
    case 'balances.snapshot':
      state.balances = new Map(frame.balances.map((/** @type {any} */ b) => [b.asset, b]));
      state.balancesSeq = frame.seq;
      return renderAccount();
    case 'balances.update':
      if (frame.seq <= state.balancesSeq) return;
      state.balancesSeq = frame.seq;
      state.balances.set(frame.balance.asset, frame.balance);
      return renderAccount();
    case 'fills':
      addFills([frame.fill]);
      return renderAccount();
    default:
      return; // welcome, heartbeat
  }
}

/** @param {any[]} fills */
function addFills(fills) {
  const key = (/** @type {any} */ f) => `${f.symbol}:${f.tradeId}:${f.orderId}`;
  const seen = new Set(state.fills.map(key));
  state.fills = [...state.fills, ...fills.filter((f) => !seen.has(key(f)))].sort((a, b) => b.seq - a.seq).slice(0, LIST_LIMIT);
}

// ---------------------------------------------------------------- public controls

async function loadCandleHistory() {
  const width = INTERVAL_MS[state.interval];
  const end = Date.now() + state.clockOffsetMs + width;
  const path = `/v1/instruments/${encodeURIComponent(state.symbol)}/candles?interval=${state.interval}&start=${end - CANDLE_SLOTS * width}&end=${end}`;
  try {
    const history = await rest('GET', path);
    for (const c of history.data) state.candles.upsert(c);
  } catch {
    // The live candles still come; only the history is missing.
  }
  scheduleRender();
}

/** @param {() => void} change applies the new symbol or interval */
async function resubscribePublic(change) {
  const before = publicSubscriptions();
  change();
  state.book.reset();
  state.trades = [];
  state.candles.reset();
  renderTicker({});
  scheduleRender();
  await Promise.all(before.map((args) => socket.request('unsubscribe', args)));
  await loadCandleHistory();
  await Promise.all(publicSubscriptions().map((args) => socket.request('subscribe', args)));
}

async function loadInstruments() {
  const select = /** @type {HTMLSelectElement} */ ($('symbol'));
  const { data } = await rest('GET', '/v1/instruments');
  select.replaceChildren(
    ...data.map((/** @type {any} */ i) => {
      const option = document.createElement('option');
      option.value = i.symbol;
      option.textContent = `${i.symbol} (${i.status})`;
      option.selected = i.symbol === state.symbol;
      return option;
    }),
  );
  /** @type {HTMLInputElement} */ ($('order-symbol')).value = state.symbol;
}

// ---------------------------------------------------------------- private part

/** @param {import('./signing.js').Signer} signer */
async function logIn(signer) {
  const reply = await socket.request('login', await loginArgs(signer, Date.now() + state.clockOffsetMs));
  if (reply.type === 'error') throw new Error(`${reply.code}: ${reply.message}`);
  const subscribed = await Promise.all(['orders', 'balances', 'fills'].map((channel) => socket.request('subscribe', { channel })));
  const refused = subscribed.find((f) => f.type === 'error');
  if (refused) throw new Error(`${refused.code}: ${refused.message}`);
  const recent = await rest('GET', '/v1/fills?limit=20', undefined, signer);
  addFills(recent.data);
  renderAccount();
}

/** @param {import('./signing.js').Signer} signer */
function signedIn(signer) {
  say('account-status', `Signed in with ${signer.keyId} (${signer.kind === 'hmac' ? 'HMAC' : 'Ed25519'} key).`, 'ok');
  $('account').hidden = false;
}

/** @param {string} keyId @param {string} secret */
async function connectAccount(keyId, secret) {
  if (state.signer) {
    // This connection is logged in with another key: start afresh with the new one.
    sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify({ keyId, secret }));
    return location.reload();
  }
  try {
    const signer = await createSigner(keyId, secret);
    await calibrateClock();
    state.signer = signer;
    await logIn(signer);
    sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify({ keyId, secret }));
    signedIn(signer);
  } catch (error) {
    state.signer = undefined;
    say('account-status', `Cannot sign in: ${/** @type {Error} */ (error).message}`, 'error');
  }
}

function disconnectAccount() {
  sessionStorage.removeItem(CREDENTIALS_KEY);
  state.signer = undefined;
  location.reload(); // drops the logged-in connection and everything the page holds for the key
}

async function createDemoAccount() {
  try {
    const created = await rest('POST', '/v1/demo/accounts');
    /** @type {HTMLInputElement} */ ($('key-id')).value = created.keyId;
    /** @type {HTMLTextAreaElement} */ ($('secret')).value = created.secret;
    say('account-status', `Created account ${created.accountId}. Its secret is shown only now: keep it if you want to use the account elsewhere.`, 'ok');
  } catch (error) {
    say('account-status', `Cannot create a demo account: ${/** @type {Error} */ (error).message}`, 'error');
  }
}

/** @param {HTMLFormElement} form */
async function placeOrder(form) {
  // The ticket is only shown while signed in, but a reconnect that fails to sign in again can
  // sign the page out under it: say so rather than do nothing.
  if (!state.signer) return say('order-result', 'Not signed in: connect a key first.', 'error');
  const data = new FormData(form);
  const type = String(data.get('type'));
  const price = String(data.get('price') ?? '').trim();
  const quantity = String(data.get('quantity') ?? '').trim();
  if (!isPositiveDecimal(quantity) || (type === 'limit' && !isPositiveDecimal(price))) {
    return say('order-result', 'Enter a positive quantity (and price, for a limit order) as a decimal number.', 'error');
  }
  const clientOrderId = `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  state.placedHere.add(clientOrderId);
  // A market order takes what is there now and cancels the rest (IOC); a limit order rests (GTC).
  const body = { symbol: state.symbol, side: String(data.get('side')), type, ...(type === 'limit' ? { price, timeInForce: 'GTC' } : { timeInForce: 'IOC' }), quantity, clientOrderId };
  try {
    const { order, fills } = await rest('POST', '/v1/orders', body, state.signer);
    say('order-result', `Order ${order.orderId} (${clientOrderId}): ${order.status}${fills.length ? `, ${fills.length} fill(s)` : ''}.`, 'ok');
  } catch (error) {
    say('order-result', `Refused: ${/** @type {Error} */ (error).message}`, 'error');
  }
}

/** @param {string} orderId @param {HTMLButtonElement} button */
async function cancelOrder(orderId, button) {
  if (!state.signer) return;
  button.disabled = true;
  try {
    const { order } = await rest('DELETE', `/v1/orders/${encodeURIComponent(orderId)}`, undefined, state.signer);
    say('order-result', `Order ${order.orderId}: ${order.status}.`, 'ok');
  } catch (error) {
    button.disabled = false;
    say('order-result', `Cannot cancel ${orderId}: ${/** @type {Error} */ (error).message}`, 'error');
  }
}

// ---------------------------------------------------------------- wiring

$('symbol').addEventListener('change', (event) => {
  const symbol = /** @type {HTMLSelectElement} */ (event.target).value;
  /** @type {HTMLInputElement} */ ($('order-symbol')).value = symbol;
  history.replaceState(null, '', `?symbol=${encodeURIComponent(symbol)}`);
  void resubscribePublic(() => (state.symbol = symbol));
});
$('interval').addEventListener('change', (event) => {
  const interval = /** @type {keyof typeof INTERVAL_MS} */ (/** @type {HTMLSelectElement} */ (event.target).value);
  void resubscribePublic(() => (state.interval = interval));
});
$('order-type').addEventListener('change', (event) => {
  /** @type {HTMLInputElement} */ ($('order-price')).disabled = /** @type {HTMLSelectElement} */ (event.target).value !== 'limit';
});
$('credentials').addEventListener('submit', (event) => {
  event.preventDefault();
  void connectAccount(/** @type {HTMLInputElement} */ ($('key-id')).value.trim(), /** @type {HTMLTextAreaElement} */ ($('secret')).value.trim());
});
$('create-demo').addEventListener('click', () => void createDemoAccount());
$('disconnect').addEventListener('click', disconnectAccount);
$('order-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void placeOrder(/** @type {HTMLFormElement} */ (event.target));
});

async function main() {
  renderMarket();
  await Promise.all([loadInstruments(), calibrateClock(), loadCandleHistory()]);
  // A key used earlier in this tab signs in again once the connection is open (subscribeAll).
  const saved = JSON.parse(sessionStorage.getItem(CREDENTIALS_KEY) ?? 'null');
  if (saved) {
    /** @type {HTMLInputElement} */ ($('key-id')).value = saved.keyId;
    /** @type {HTMLTextAreaElement} */ ($('secret')).value = saved.secret;
    state.signer = await createSigner(saved.keyId, saved.secret).catch(() => undefined);
  }
  socket.start();
}

void main();
