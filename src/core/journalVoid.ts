// Undoing an append that was not acknowledged. When the write or the fsync of a journal append
// fails, the caller is told "not buffered", so the lines must not turn up later (a caller that
// retries would make duplicates). The appender truncates the file back to the length it had
// before the append; only when even the truncate fails does it fall back to a void marker, a
// line `{"nexus_void":["<id>",…]}` that tells readers (journal.ts's parseJournal) to drop the
// entries with those ids that come BEFORE the marker in the same file (the same entry written
// again after it, by a retry, stays). A leaf module: the lean hook writer uses it too.

export const VOID_KEY = 'nexus_void';

/** The id of an entry line as our writers serialize it (`…,"id":"<id>"}`), if it has one. */
export function entryIdOfLine(line: string): string | undefined {
  return /"id":"([^"\\]+)"\}\s*$/.exec(line)?.[1];
}

/** The void marker for these entry lines (no newline), or undefined when none has an id. */
export function voidMarkerLine(lines: readonly string[]): string | undefined {
  const ids = lines.map(entryIdOfLine).filter((id): id is string => id !== undefined);
  return ids.length ? JSON.stringify({ [VOID_KEY]: ids }) : undefined;
}

/** The ids a parsed journal line voids, or undefined when the line is not a void marker. */
export function voidedIds(value: unknown): string[] | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const ids = (value as Record<string, unknown>)[VOID_KEY];
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : undefined;
}
