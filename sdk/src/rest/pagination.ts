/** Cursor pagination as the REST contract defines it: pass a page's `nextCursor` to get the next; `null` ends. */

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Yields every item of every page, fetching each page only when the previous one is used up. */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.data;
    if (page.nextCursor === null) return;
    // A server that hands back a cursor it already gave would loop forever; stop instead.
    if (seen.has(page.nextCursor)) throw new Error(`pagination cursor repeated: ${page.nextCursor}`);
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}
