import { MAX_KEY_LENGTH, reservedKeyPath, type JsonValue, type MemoryScope } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import { canonicalCustomerId, canonicalMemoryKey } from '@shared/identity';

/*
 * The same rules as the contract's zod schemas, checked by hand: these run on every read and
 * write from inside main (agent tools, runner), where a schema parse would cost more than the
 * SQLite statement itself.
 */

const MAX_ID_LENGTH = 128;
const MAX_JSON_DEPTH = 256;

function invalid(message: string): AppError {
  return new AppError('invalid_request', message);
}

/** Canonical customer ids of recent calls: the same few customers are served all day (bounded). */
const canonicalIds = new Map<string, string>();

/** A customer id in its canonical form (`@shared/identity`), whoever calls; a session id: 1 to 128 characters. */
export function validId(value: unknown, what: 'userId' | 'sessionId'): string {
  if (typeof value !== 'string') throw invalid(`${what}: expected text`);
  if (what === 'userId') {
    const known = canonicalIds.get(value);
    if (known !== undefined) return known;
    const canonical = canonicalCustomerId(value);
    if (!canonical.ok) throw invalid(`userId: ${canonical.message}`);
    if (canonicalIds.size >= 1_000) canonicalIds.clear();
    canonicalIds.set(value, canonical.id);
    return canonical.id;
  }
  if (value.length === 0) throw invalid(`${what}: it is empty`);
  if (value.length > MAX_ID_LENGTH) throw invalid(`${what}: longer than ${MAX_ID_LENGTH} characters`);
  return value;
}

export function validScope(scope: MemoryScope): { userId: string; sessionId: string | null } {
  if (scope === null || typeof scope !== 'object') throw invalid('scope: expected {userId, sessionId?}');
  return {
    userId: validId(scope.userId, 'userId'),
    sessionId: scope.sessionId === undefined ? null : validId(scope.sessionId, 'sessionId'),
  };
}

export function validKey(key: unknown): string {
  if (typeof key !== 'string') throw invalid('key: expected text');
  if (key.length === 0) throw invalid('key: it is empty');
  const canonical = canonicalMemoryKey(key);
  if (!canonical.ok) throw invalid(`key: ${canonical.message}`);
  if (canonical.key.length > MAX_KEY_LENGTH) throw invalid(`key: longer than ${MAX_KEY_LENGTH} characters`);
  return canonical.key;
}

/** Why `value` is not plain JSON (undefined, functions, NaN, class instances, cycles), or null if it is. */
function notJson(value: unknown, depth: number): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${value} is not a JSON number`;
  if (typeof value !== 'object') return `a ${typeof value} is not JSON`;
  if (depth > MAX_JSON_DEPTH) return `nested more than ${MAX_JSON_DEPTH} levels deep, or it refers to itself`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = notJson(item, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return 'only plain objects are JSON';
  for (const item of Object.values(value)) {
    const problem = notJson(item, depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** Serializes a value that must be plain JSON. */
export function jsonText(value: unknown, what = 'value'): { value: JsonValue; text: string } {
  const problem = notJson(value, 0);
  if (problem) throw invalid(`${what} is not plain JSON: ${problem}`);
  return { value: value as JsonValue, text: JSON.stringify(value) };
}

/** A memory value: plain JSON without reserved keys (`__proto__`, `constructor`, `prototype`) at any depth. */
export function memoryValueText(value: unknown, what = 'value'): { value: JsonValue; text: string } {
  const json = jsonText(value, what);
  const reserved = reservedKeyPath(value);
  if (reserved) throw invalid(`${[what, ...reserved].join('.')}: the key "${String(reserved.at(-1))}" is reserved and cannot be stored`);
  return json;
}

export function validLimit(limit: number | undefined, fallback: number, max = 500): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw invalid(`limit must be a whole number from 1 to ${max}`);
  return limit;
}
