// @ts-check
/**
 * The docs landing page's status panel: GET /v1/status (public, weight 1) now and every few
 * seconds, showing the venue's status and each instrument's.
 */
const REFRESH_MS = 5000;

/** @template {HTMLElement} T @param {string} id @returns {T} */
const $ = (id) => /** @type {T} */ (document.getElementById(id));

/** @param {{ status: string, mode: string, serverTime: number, instruments: { symbol: string, status: string }[] }} s */
function render(s) {
  const venue = $('venue-status');
  venue.textContent = s.status.replace('_', ' ');
  venue.dataset.status = s.status;
  $('venue-mode').textContent = s.mode;
  $('status-checked').textContent = new Date(s.serverTime).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  $('instrument-status-body').replaceChildren(
    ...s.instruments.map((i) => {
      const tr = document.createElement('tr');
      tr.dataset.symbol = i.symbol;
      const symbol = document.createElement('td');
      const link = document.createElement('a');
      link.href = `/docs/market?symbol=${encodeURIComponent(i.symbol)}`;
      link.textContent = i.symbol;
      symbol.append(link);
      const status = document.createElement('td');
      status.textContent = i.status.replace('_', ' ');
      status.dataset.status = i.status;
      tr.append(symbol, status);
      return tr;
    }),
  );
}

async function refresh() {
  try {
    const res = await fetch('/v1/status', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    render(await res.json());
  } catch {
    const venue = $('venue-status');
    venue.textContent = 'unreachable';
    venue.dataset.status = 'unreachable';
  }
}

void refresh();
setInterval(() => void refresh(), REFRESH_MS);
