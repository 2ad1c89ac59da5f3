import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { JsonValue } from '../../shared/contract/memory';
import { foldAccents } from '../../shared/text';

const WORD = /[\p{L}\p{N}]+/gu;


export function words(text: string): string[] {
  return foldAccents(text).match(WORD) ?? [];
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

const scopeTokens = new LRUCache<string, string>({ max: 4096 });

/** A token naming one customer inside the index, so a search never crosses customers. */
export function scopeToken(userId: string): string {
  let token = scopeTokens.get(userId);
  if (token === undefined) {
    token = 'u' + createHash('sha256').update(userId).digest('hex').slice(0, 24);
    scopeTokens.set(userId, token);
  }
  return token;
}

/**
 * An FTS5 query for every word of `query` within one customer; null if no words. Whole words
 * only: a prefix term makes FTS5 merge every matching term's list, several times slower at 1M rows.
 */
export function ftsQuery(userId: string, query: string): string | null {
  const terms = words(query).slice(0, 16);
  if (terms.length === 0) return null;
  return [`scope:"${scopeToken(userId)}"`, ...terms.map((term) => `text:"${term}"`)].join(' AND ');
}

/** A short text for display, cut at a character boundary. */
export function preview(text: string, max = 200): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}
