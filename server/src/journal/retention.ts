/** Retires segments no retained snapshot needs any more. */
import { unlink } from 'node:fs/promises';
import { listSegments } from './segments.js';
import { nodeFileSystem, type JournalFileSystem } from './file-system.js';

/**
 * Deletes every segment whose records all lie below `keepFromIndex` (its successor starts at or
 * below that index). The last segment is never deleted. Returns the removed paths.
 */
export async function retireSegments(dir: string, keepFromIndex: number, fs: JournalFileSystem = nodeFileSystem): Promise<string[]> {
  const segments = await listSegments(dir);
  const removed: string[] = [];
  for (let i = 0; i + 1 < segments.length; i++) {
    if (segments[i + 1]!.firstIndex > keepFromIndex) break;
    await unlink(segments[i]!.path);
    removed.push(segments[i]!.path);
  }
  if (removed.length > 0) await fs.syncDirectory(dir);
  return removed;
}
