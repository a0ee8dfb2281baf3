/** The changelog generator: released contracts in, docs/changelog.md out. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changelogFor, compareVersions, loadReleases, releaseNotes, renderChangelog, type OpenApiDocument, type ReleasedContract } from '../../scripts/codegen/changelog.js';

const ROOT = resolve(import.meta.dirname, '../..');
const releases = loadReleases(join(ROOT, 'api-spec/released/history'));

function operationIds(doc: OpenApiDocument): string[] {
  return Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => ((op as { operationId?: string })?.operationId ? [(op as { operationId: string }).operationId] : [])));
}

/** A derived release: a copy of `base` changed by `edit`, under a new version. */
function derive(base: ReleasedContract, version: string, edit: (doc: any) => void): ReleasedContract {
  const doc = structuredClone(base.doc) as any;
  doc.info.version = version;
  edit(doc);
  return { version, doc };
}

describe('changelog from api-spec/released/history', () => {
  it('docs/changelog.md is what the generator writes from the committed history', () => {
    expect(readFileSync(join(ROOT, 'docs/changelog.md'), 'utf8')).toBe(renderChangelog(changelogFor(releases)));
  });

  it('orders releases by version and lists the newest first', () => {
    expect(releases.map((r) => r.version)).toEqual([...releases.map((r) => r.version)].sort(compareVersions));
    const headings = [...renderChangelog(changelogFor(releases)).matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(releases.map((r) => r.version).reverse());
  });

  it('the first release lists its operations, and each later one adds exactly the operations that are new in it', () => {
    const notes = changelogFor(releases).reverse();
    releases.forEach((release, i) => {
      const before = new Set(i === 0 ? [] : operationIds(releases[i - 1]!.doc));
      const added = operationIds(release.doc).filter((id) => !before.has(id));
      const mentioned = notes[i]!.added.flatMap((line) => [...line.matchAll(/\(`(\w+)`\)/g)].map((m) => m[1]!));
      const newOperationLines = notes[i]!.added.filter((line) => i === 0 || line.includes('new operation'));
      expect(new Set(newOperationLines.flatMap((line) => [...line.matchAll(/\(`(\w+)`\)/g)].map((m) => m[1]!)))).toEqual(new Set(added));
      expect(mentioned.length).toBeGreaterThanOrEqual(added.length);
    });
  });

  it('sorts a release’s changes into breaking, deprecated, added and documentation', () => {
    const base = releases[releases.length - 1]!;
    const next = derive(base, '9.0.0', (doc) => {
      doc.paths['/v1/orders'].get.deprecated = true;
      doc.paths['/v1/orders'].get.description = 'Reworded.';
      doc.paths['/v1/orders'].get.parameters.push({ name: 'mustHave', in: 'query', required: true, schema: { type: 'string' } });
      doc.paths['/v1/orders'].get.parameters.push({ name: 'mayHave', in: 'query', required: false, schema: { type: 'string' } });
      delete doc.paths['/v1/tickers'];
      doc.paths['/v1/brand-new'] = { get: { operationId: 'brandNew', summary: 'A new thing', responses: { '200': { description: 'ok' } } } };
      doc.components.schemas.OrderRequest.properties.note = { type: 'string' };
      doc.info.description = `${doc.info.description}\n## Brand new section\nText.\n`;
    });
    const notes = releaseNotes(base, next);
    expect(notes.breaking).toContainEqual(expect.stringMatching(/^`GET \/v1\/tickers` \(`listTickers`\): removed$/));
    expect(notes.breaking).toContainEqual(expect.stringMatching(/`GET \/v1\/orders` \(`listOrders`\): .*added required query parameter `mustHave`/));
    expect(notes.deprecated).toEqual(['`GET /v1/orders` (`listOrders`): deprecated']);
    expect(notes.added).toContainEqual('`GET /v1/brand-new` (`brandNew`): new operation — A new thing');
    expect(notes.added).toContainEqual(expect.stringMatching(/`GET \/v1\/orders` \(`listOrders`\): added query parameter `mayHave`/));
    expect(notes.added).toContainEqual(expect.stringMatching(/`POST \/v1\/orders` \(`placeOrder`\): added request body field `note`/));
    expect(notes.documentation).toContain('`GET /v1/orders` (`listOrders`): descriptions or examples updated');
    expect(notes.documentation).toContain('The API overview gained the section “Brand new section”.');
    const text = renderChangelog([notes]);
    expect(text.indexOf('### Breaking changes')).toBeLessThan(text.indexOf('### Deprecated'));
    expect(text.indexOf('### Deprecated')).toBeLessThan(text.indexOf('### Added'));
  });

  it('a release with no client-visible change says so', () => {
    const base = releases[releases.length - 1]!;
    const same = derive(base, '9.0.1', () => {});
    const notes = releaseNotes(base, same);
    expect(renderChangelog([notes])).toContain(`No change visible to clients since ${base.version}.`);
  });

  it('each release reads the same whether compared alone or in the chain (the diff never alters the contracts it reads)', () => {
    const fresh = () => loadReleases(join(ROOT, 'api-spec/released/history'));
    // Each pair compared on its own freshly loaded documents...
    const isolated = fresh().map((r, i) => releaseNotes(i > 0 ? fresh()[i - 1] : undefined, fresh()[i]!));
    // ...reads the same as the chain, where each document is compared twice.
    expect(changelogFor(fresh())).toEqual(isolated.reverse());
  });
});

describe('compareVersions', () => {
  const version = fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30));
  it('orders versions by their numeric parts, not as text', () => {
    fc.assert(
      fc.property(version, version, ([a1, a2, a3], [b1, b2, b3]) => {
        const expected = Math.sign(a1 - b1 || a2 - b2 || a3 - b3);
        expect(Math.sign(compareVersions(`${a1}.${a2}.${a3}`, `${b1}.${b2}.${b3}`))).toBe(expected);
      }),
    );
    expect(compareVersions('1.10.0', '1.9.9')).toBeGreaterThan(0);
  });

  it('puts a pre-release before its release', () => {
    expect(compareVersions('2.0.0-rc.1', '2.0.0')).toBeLessThan(0);
    expect(compareVersions('2.0.0', '2.0.0-rc.1')).toBeGreaterThan(0);
  });
});
