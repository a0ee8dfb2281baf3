/** Where segment files live and how they are named: by the index of their first record, zero-padded so names sort. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const SEGMENT_NAME = /^(\d{20})\.journal$/;

export function segmentFileName(firstIndex: number): string {
  return `${String(firstIndex).padStart(20, '0')}.journal`;
}

export interface SegmentFile {
  path: string;
  /** The first index according to the file name (the header must agree). */
  firstIndex: number;
}

/** The journal's segment files in record order; other files in the directory are ignored. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const segments: SegmentFile[] = [];
  for (const name of names) {
    const match = SEGMENT_NAME.exec(name);
    if (match) segments.push({ path: join(dir, name), firstIndex: Number(match[1]) });
  }
  return segments.sort((a, b) => a.firstIndex - b.firstIndex);
}
