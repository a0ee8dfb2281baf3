// The operator status page: signs GET /v1/operator/status with the operator's HMAC key (the
// scheme of docs/authentication.md, through WebCrypto) and renders it; refreshes every 5 s.
const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();

function base64urlToBytes(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function signedGet(path, creds) {
  const timestamp = String(Date.now());
  const bodyHash = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array())), (b) => b.toString(16).padStart(2, '0')).join('');
  const key = await crypto.subtle.importKey('raw', base64urlToBytes(creds.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}\nGET\n${path}\n${bodyHash}`));
  const res = await fetch(path, { headers: { 'X-API-Key': creds.keyId, 'X-API-Timestamp': timestamp, 'X-API-Signature': btoa(String.fromCharCode(...new Uint8Array(signature))) } });
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.status} ${body.code ?? ''}: ${body.detail ?? ''}`);
  return body;
}

function rows(table, data, cells) {
  const tbody = $(table).querySelector('tbody');
  tbody.replaceChildren(...data.map((item) => {
    const tr = document.createElement('tr');
    for (const value of cells(item)) {
      const td = document.createElement('td');
      td.textContent = String(value);
      tr.append(td);
    }
    return tr;
  }));
}

function render(s) {
  $('updated').textContent = new Date().toISOString();
  $('ready').textContent = s.ready ? 'ready' : 'NOT READY';
  $('ready').className = s.ready ? 'good' : 'bad';
  rows('checks', Object.entries(s.checks), ([name, c]) => [name, c.ok ? 'ok' : 'FAILING', c.detail ?? '']);
  rows('journal', Object.entries(s.journal), ([name, value]) => [name, value]);
  $('ws-connections').textContent = String(s.sessions.wsConnections);
  $('ws-subscriptions').textContent = String(s.sessions.wsSubscriptions);
  rows('fix-sessions', s.sessions.fix, (f) => [f.senderCompId, f.loggedOn ? 'yes' : 'no']);
  rows('rejects', s.recentRejects, (r) => [new Date(r.at).toISOString(), r.channel, r.command, r.code, r.accountId ?? '']);
}

async function refresh() {
  const creds = JSON.parse(sessionStorage.getItem('ops-creds') ?? 'null');
  if (!creds) return;
  try {
    render(await signedGet('/v1/operator/status', creds));
    $('error').hidden = true;
    $('status').hidden = false;
  } catch (error) {
    $('error').textContent = `Cannot read the status: ${error.message}`;
    $('error').hidden = false;
  }
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('ops-creds', JSON.stringify({ keyId: $('key-id').value.trim(), secret: $('secret').value.trim() }));
  void refresh();
});
$('refresh').addEventListener('click', () => void refresh());
setInterval(() => void refresh(), 5000);
void refresh();
