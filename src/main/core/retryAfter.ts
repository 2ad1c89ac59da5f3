/**
 * A `Retry-After` header (delta-seconds or an HTTP date) as milliseconds from `now`; null when
 * absent or unreadable. The store client and the Gemini client both honour it.
 */
export function parseRetryAfter(value: string | string[] | null | undefined, now: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
