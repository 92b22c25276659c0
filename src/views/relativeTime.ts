// "12 s ago", "5 min ago", "3 h ago", "2 d ago": short enough for a tree item's description.
import { timestampSortKey } from '../core/schema';

/** Milliseconds since the epoch of an RFC 3339 string (any fraction length), or NaN. */
export function timestampMs(ts: string): number {
  return Date.parse(`${timestampSortKey(ts).slice(0, 23)}Z`);
}

export function relativeTime(ts: string | null | undefined, now: number = Date.now()): string {
  if (!ts) return '';
  const at = timestampMs(ts);
  if (Number.isNaN(at)) return ts;
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 0) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}
