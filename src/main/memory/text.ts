import type { JsonValue } from '@shared/contract/memory';
import { foldAccents } from '@shared/text';

const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a text as the search index sees them: folded (no accents, lowercase), split on anything but letters and digits. */
export function words(text: string): string[] {
  return foldedWords(foldAccents(text));
}

/** `words` of a text that is already folded. */
export function foldedWords(folded: string): string[] {
  return folded.match(WORD) ?? [];
}

/** The searchable text of a JSON value: its strings, numbers and object keys, capped so big values do not bloat the index. */
export function searchableText(value: JsonValue, maxChars = 8192): string {
  const parts: string[] = [];
  let length = 0;
  const visit = (node: JsonValue): void => {
    if (length >= maxChars || node === null) return;
    if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') {
      const text = String(node);
      parts.push(text);
      length += text.length + 1;
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item);
    } else {
      for (const [key, item] of Object.entries(node)) {
        parts.push(key);
        length += key.length + 1;
        visit(item);
      }
    }
  };
  visit(value);
  return parts.join(' ').slice(0, maxChars);
}

/** A short text for display, cut at a character boundary. */
export function preview(text: string, max = 200): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** A message event's own words: a string, or the `text` of `{ text }` as the runner stores it; null for anything else. */
export function messageText(content: JsonValue): string | null {
  if (typeof content === 'string') return content;
  if (content !== null && typeof content === 'object' && !Array.isArray(content) && typeof content.text === 'string') return content.text;
  return null;
}
