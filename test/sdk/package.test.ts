/**
 * The publishable package: the build emits ESM with declarations into one self-contained tree
 * (the generated contract types included), which a consumer outside the repository can
 * typecheck against and run, here against a live service.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let work: string;
let pkg: string;
let svc: TestService;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sdk-package-'));
  // Install the package as npm would: package.json, README and the built tree, nothing else.
  pkg = join(work, 'consumer/node_modules/@trading-api/sdk');
  mkdirSync(pkg, { recursive: true });
  await run(process.execPath, [TSC, '-p', join(ROOT, 'sdk/tsconfig.build.json'), '--outDir', join(pkg, 'dist')]);
  cpSync(join(ROOT, 'sdk/package.json'), join(pkg, 'package.json'));
  cpSync(join(ROOT, 'sdk/README.md'), join(pkg, 'README.md'));
  for (const dep of ['openapi-fetch', 'ws', '@types/node']) {
    mkdirSync(dirname(join(work, 'consumer/node_modules', dep)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), join(work, 'consumer/node_modules', dep));
  }
  svc = await startTestService();
}); // no time limit of its own: the whole SDK build takes long with every core busy (vitest.config.ts bounds a hung hook)

afterAll(async () => {
  await svc?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the built package', () => {
  it('emits ESM and declarations whose relative imports all stay inside the package', () => {
    const files = filesUnder(join(pkg, 'dist'));
    expect(files.map((f) => relative(pkg, f))).toEqual(
      expect.arrayContaining(['dist/sdk/src/index.js', 'dist/sdk/src/index.d.ts', 'dist/generated/openapi.d.ts', 'dist/generated/asyncapi.js']),
    );
    for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/\brequire\(/);
      for (const [, spec] of text.matchAll(/from '(\.[^']+)'/g)) {
        const target = resolve(dirname(file), spec!.replace(/\.js$/, file.endsWith('.d.ts') ? '.d.ts' : '.js'));
        expect(target.startsWith(join(pkg, 'dist')), `${relative(pkg, file)} imports ${spec}`).toBe(true);
        expect(files).toContain(target);
      }
    }
  });

  it('typechecks a consumer against the declarations and runs it against a live service', async () => {
    const consumer = join(work, 'consumer');
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(consumer, 'main.ts'),
      `import { RestClient, WsClient, crc32, type paths, type BookSnapshot, type Order, type WebSocketConstructor } from '@trading-api/sdk';
type TimePath = keyof paths;
const path: TimePath = '/v1/time';
const rest = new RestClient({ baseUrl: process.argv[2] });
const { serverTime } = await rest.getServerTime();
const symbols: string[] = [];
for await (const i of rest.iterateInstruments({ limit: 1 })) symbols.push(i.symbol);
// With 'global', the runtime's own WebSocket instead of the ws package.
const globalWebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
const ws = new WsClient({ baseUrl: process.argv[2], ...(process.argv[3] === 'global' && { WebSocket: globalWebSocket }) });
const book = await ws.book(symbols[0]!, 5);
const snapshot: Pick<BookSnapshot, 'symbol'> = { symbol: book.symbol };
const status: Order['status'] = 'new';
const synced = book.synced;
await ws.close();
console.log(JSON.stringify({ path, serverTime, symbols, synced, snapshot, status, crc: crc32(new TextEncoder().encode('abc')), implementation: process.argv[3] === 'global' ? typeof globalWebSocket : 'ws' }));
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'], skipLibCheck: false, lib: ['ES2023'] }, files: ['main.ts'] }),
    );
    await run(process.execPath, [TSC, '-p', join(consumer, 'tsconfig.json')], { cwd: consumer });
    const { stdout } = await run(process.execPath, [join(consumer, 'out/main.js'), svc.baseUrl], { cwd: consumer });
    const out = JSON.parse(stdout) as { serverTime: number; symbols: string[]; synced: boolean; crc: number };
    expect(out.symbols).toEqual(['BTC-USD', 'ETH-BTC', 'ETH-USD']);
    expect(out.synced).toBe(true);
    expect(Math.abs(out.serverTime - Date.now())).toBeLessThan(60_000);
    expect(out.crc).toBe(0x352441c2);

    // The same program on the runtime's global WebSocket (Node 20 exposes it behind a flag).
    const global = await run(process.execPath, ['--experimental-websocket', join(consumer, 'out/main.js'), svc.baseUrl, 'global'], { cwd: consumer });
    expect(JSON.parse(global.stdout)).toMatchObject({ synced: true, implementation: 'function', symbols: out.symbols });
  });
});
