/**
 * What a person starting the service needs first: where the docs, the API and the streams are,
 * and where the demo credentials were written. Logged once as one structured line (`service
 * ready`), and on a terminal also printed as a short block of text.
 */
export interface BannerInput {
  host: string;
  httpPort: number;
  fixPort: number | undefined;
  fixCompId: string;
  mode: 'demo' | 'production';
  dataDir: string;
  /** Written in demo mode only. */
  demoCredentialsFile: string | undefined;
  operatorCredentialsFile: string;
}

export interface ServiceUrls { docs: string; rest: string; websocket: string; metrics: string; health: string; fix?: string }

/** A wildcard listen address is reached on loopback from this machine. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function serviceUrls(b: BannerInput): ServiceUrls {
  const origin = `http://${reachableHost(b.host)}:${b.httpPort}`;
  return {
    docs: `${origin}/docs`,
    rest: `${origin}/v1`,
    websocket: `ws://${reachableHost(b.host)}:${b.httpPort}/v1/ws`,
    metrics: `${origin}/metrics`,
    health: `${origin}/health/ready`,
    ...(b.fixPort !== undefined && { fix: `tcp://${reachableHost(b.host)}:${b.fixPort} (TargetCompID ${b.fixCompId})` }),
  };
}

export function bannerText(b: BannerInput): string {
  const urls = serviceUrls(b);
  const lines = [
    `Trading API is up (${b.mode} mode, data in ${b.dataDir})`,
    `  docs        ${urls.docs}`,
    `  REST        ${urls.rest}`,
    `  WebSocket   ${urls.websocket}`,
    ...(urls.fix ? [`  FIX 4.4     ${urls.fix}`] : []),
    `  metrics     ${urls.metrics}`,
    `  readiness   ${urls.health}`,
  ];
  if (b.demoCredentialsFile) lines.push(`  demo key    ${b.demoCredentialsFile}  (keyId and secret of the funded "demo" account)`);
  lines.push(`  operator    ${b.operatorCredentialsFile}`);
  const width = Math.max(...lines.map((l) => l.length));
  const rule = '-'.repeat(width);
  return `${rule}\n${lines.join('\n')}\n${rule}\n`;
}
