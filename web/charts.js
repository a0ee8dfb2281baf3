// @ts-check
/**
 * The two charts, drawn as SVG with no library: a depth chart (cumulative bids and asks around
 * the spread) and a candle chart. Each call redraws the whole <svg> from the data it is given.
 * Numbers are converted to floats here, for coordinates only.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const PAD = { left: 8, right: 64, top: 10, bottom: 22 };

/** @param {string} name @param {Record<string, string | number>} attrs @param {string} [text] */
function svgElement(name, attrs, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {SVGSVGElement} svg */
function frame(svg) {
  const [, , width = 600, height = 260] = (svg.getAttribute('viewBox') ?? '0 0 600 260').split(/\s+/).map(Number);
  svg.replaceChildren();
  return { width, height, plotWidth: width - PAD.left - PAD.right, plotHeight: height - PAD.top - PAD.bottom };
}

/** @param {SVGSVGElement} svg @param {string} message */
function empty(svg, message) {
  const { width, height } = frame(svg);
  svg.append(svgElement('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'chart-empty' }, message));
}

/** @typedef {{ price: string, total: string }} DepthPoint */

/**
 * @param {SVGSVGElement} svg
 * @param {{ bids: DepthPoint[], asks: DepthPoint[] }} curve best price first on each side
 */
export function drawDepth(svg, curve) {
  if (curve.bids.length === 0 && curve.asks.length === 0) return empty(svg, 'The book is empty');
  const { width, plotWidth, plotHeight } = frame(svg);
  const prices = [...curve.bids, ...curve.asks].map((p) => Number(p.price));
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  const top = Math.max(...[...curve.bids, ...curve.asks].map((p) => Number(p.total)));
  const x = (/** @type {number} */ price) => PAD.left + (hi === lo ? plotWidth / 2 : ((price - lo) / (hi - lo)) * plotWidth);
  const y = (/** @type {number} */ total) => PAD.top + plotHeight - (top === 0 ? 0 : (total / top) * plotHeight);
  const base = PAD.top + plotHeight;

  /** A stepped area from the best price outwards: the total holds until the next level. @param {DepthPoint[]} points */
  const area = (points) => {
    if (points.length === 0) return '';
    const first = /** @type {DepthPoint} */ (points[0]);
    let d = `M${x(Number(first.price)).toFixed(1)},${base}`;
    let prevY = base;
    for (const p of points) {
      const px = x(Number(p.price)).toFixed(1);
      d += ` L${px},${prevY.toFixed(1)} L${px},${y(Number(p.total)).toFixed(1)}`;
      prevY = y(Number(p.total));
    }
    const last = /** @type {DepthPoint} */ (points[points.length - 1]);
    return `${d} L${x(Number(last.price)).toFixed(1)},${base} Z`;
  };
  svg.append(
    svgElement('line', { x1: PAD.left, y1: base, x2: PAD.left + plotWidth, y2: base, class: 'axis' }),
    svgElement('path', { d: area(curve.bids), class: 'depth-bids' }),
    svgElement('path', { d: area(curve.asks), class: 'depth-asks' }),
    svgElement('text', { x: PAD.left, y: base + 16, class: 'axis-label' }, String(lo)),
    svgElement('text', { x: PAD.left + plotWidth, y: base + 16, 'text-anchor': 'end', class: 'axis-label' }, String(hi)),
    svgElement('text', { x: width - 4, y: PAD.top + 10, 'text-anchor': 'end', class: 'axis-label' }, String(top)),
  );
  const bestBid = curve.bids[0];
  const bestAsk = curve.asks[0];
  if (bestBid && bestAsk) {
    const mid = (x(Number(bestBid.price)) + x(Number(bestAsk.price))) / 2;
    svg.append(svgElement('line', { x1: mid, y1: PAD.top, x2: mid, y2: base, class: 'mid' }));
  }
}

/** @typedef {{ start: number, open: string, high: string, low: string, close: string }} CandlePoint */

/** @param {number} ms */
const clock = (ms) => new Date(ms).toISOString().slice(11, 16);

/**
 * @param {SVGSVGElement} svg
 * @param {CandlePoint[]} candles oldest first
 * @param {number} slots how many candles the width holds
 */
export function drawCandles(svg, candles, slots = 60) {
  if (candles.length === 0) return empty(svg, 'No trades yet');
  const { width, plotWidth, plotHeight } = frame(svg);
  const lo = Math.min(...candles.map((c) => Number(c.low)));
  const hi = Math.max(...candles.map((c) => Number(c.high)));
  const y = (/** @type {number} */ price) => PAD.top + (hi === lo ? plotHeight / 2 : ((hi - price) / (hi - lo)) * plotHeight);
  const slot = plotWidth / Math.max(slots, candles.length);
  const offset = PAD.left + plotWidth - candles.length * slot; // the newest candle at the right edge
  const base = PAD.top + plotHeight;
  svg.append(svgElement('line', { x1: PAD.left, y1: base, x2: PAD.left + plotWidth, y2: base, class: 'axis' }));
  candles.forEach((c, i) => {
    const up = Number(c.close) >= Number(c.open);
    const cx = offset + i * slot + slot / 2;
    const bodyTop = y(Math.max(Number(c.open), Number(c.close)));
    const bodyHeight = Math.max(1, Math.abs(y(Number(c.open)) - y(Number(c.close))));
    const group = svgElement('g', { class: `candle ${up ? 'up' : 'down'}`, 'data-start': c.start });
    group.append(
      svgElement('title', {}, `${clock(c.start)} O ${c.open} H ${c.high} L ${c.low} C ${c.close}`),
      svgElement('line', { x1: cx, y1: y(Number(c.high)), x2: cx, y2: y(Number(c.low)), class: 'wick' }),
      svgElement('rect', { x: cx - Math.max(1, slot * 0.35), y: bodyTop, width: Math.max(2, slot * 0.7), height: bodyHeight, class: 'body' }),
    );
    svg.append(group);
  });
  const first = /** @type {CandlePoint} */ (candles[0]);
  const last = /** @type {CandlePoint} */ (candles[candles.length - 1]);
  svg.append(
    svgElement('text', { x: width - 4, y: PAD.top + 10, 'text-anchor': 'end', class: 'axis-label' }, String(hi)),
    svgElement('text', { x: width - 4, y: base, 'text-anchor': 'end', class: 'axis-label' }, String(lo)),
    svgElement('text', { x: PAD.left + plotWidth, y: base + 16, 'text-anchor': 'end', class: 'axis-label' }, clock(last.start)),
  );
  // The oldest candle's time too, where it does not run into the newest's.
  if (PAD.left + plotWidth - offset > 90) svg.append(svgElement('text', { x: offset, y: base + 16, class: 'axis-label' }, clock(first.start)));
}
