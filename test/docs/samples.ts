/**
 * Finds the runnable samples in the guides: a fenced block right after a
 * `<!-- sample: NAME -->` line. The same marker is what the docs site labels as "tested".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_MARKER } from '../../scripts/codegen/docs-site.js';

export type SampleLanguage = 'sh' | 'ts' | 'python';

export interface Sample { file: string; line: number; name: string; language: SampleLanguage; code: string }

const LANGUAGES: Record<string, SampleLanguage> = { sh: 'sh', bash: 'sh', shell: 'sh', ts: 'ts', typescript: 'ts', py: 'python', python: 'python' };

/** Every sample of one Markdown text; a marker not followed by a runnable fenced block throws. */
export function extractSamples(markdown: string, file: string): Sample[] {
  const lines = markdown.split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = SAMPLE_MARKER.exec(lines[i]!);
    if (!marker) continue;
    const fence = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`${file}:${i + 1}: sample "${marker[1]}" is not followed by a fenced code block`);
    const language = LANGUAGES[fence[2]!.toLowerCase()];
    if (!language) throw new Error(`${file}:${i + 2}: sample "${marker[1]}" is in "${fence[2]}", which the sample runner cannot run (sh, ts, python)`);
    const body: string[] = [];
    let j = i + 2;
    for (; j < lines.length && !lines[j]!.startsWith(fence[1]!); j++) body.push(lines[j]!);
    if (j >= lines.length) throw new Error(`${file}:${i + 2}: sample "${marker[1]}" has no closing fence`);
    samples.push({ file, line: i + 1, name: marker[1]!, language, code: `${body.join('\n')}\n` });
    i = j;
  }
  return samples;
}

/** The samples of every docs/*.md, with names unique across all of them. */
export function docsSamples(docsDir: string): Sample[] {
  const all = readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .flatMap((f) => extractSamples(readFileSync(join(docsDir, f), 'utf8'), `docs/${f}`));
  const seen = new Map<string, Sample>();
  for (const s of all) {
    const other = seen.get(s.name);
    if (other) throw new Error(`sample name "${s.name}" is used twice: ${other.file}:${other.line} and ${s.file}:${s.line}`);
    seen.set(s.name, s);
  }
  return all;
}
