import { LRUCache } from 'lru-cache';
import type { MemoryValueView, SessionEvent } from '@shared/contract/memory';

/** A cached memory entry: the frozen answer every reader shares, and its row id. */
export interface HotEntry {
  kind: 'entry';
  /** Set by the tier: the scope the item belongs to. */
  scopeKey?: string;
  id: number;
  bytes: number;
  result: Readonly<MemoryValueView>;
}

/** The last events of a session, oldest first; `complete` when it holds every stored event. */
export interface HotEvents {
  kind: 'events';
  scopeKey?: string;
  bytes: number;
  events: readonly SessionEvent[];
  /** Heap estimate of each event, parallel to `events`. */
  sizes: readonly number[];
  complete: boolean;
}

type HotItem = HotEntry | HotEvents;

/** JS strings and objects take about twice their JSON bytes in the heap. */
export const HEAP_FACTOR = 2;
const EVENTS_SLOT = '\u0000events';
/** Scope keys by customer and session (bounded: cleared when large). */
const scopeKeys = new Map<string, Map<string, string>>();

/**
 * The hot tier: one byte-sized `lru-cache` over recently used entries and each active session's
 * last events, with a total cap, and a cap per scope (a session, or a customer's session-less
 * memories): a scope over its cap gives up its oldest items first. It is only a cache: every value
 * in it was committed to SQLite first.
 */
export class HotTier {
  private readonly cache: LRUCache<string, HotItem>;
  /** Cache keys and bytes of each scope, for its cap and for dropping a whole scope. */
  private readonly scopes = new Map<string, { keys: Set<string>; bytes: number }>();

  constructor(
    private readonly scopeCapBytes: number,
    private readonly capBytes: number,
  ) {
    this.cache = new LRUCache<string, HotItem>({
      maxSize: capBytes,
      sizeCalculation: (item) => item.bytes,
      noDisposeOnSet: true,
      dispose: (item, cacheKey) => this.release(item.scopeKey!, cacheKey, item.bytes),
    });
  }

  /** `JSON.stringify([userId, sessionId ?? ''])`, remembered for recent scopes (it is built on every call). */
  static scopeKey(userId: string, sessionId: string | null | undefined): string {
    const session = sessionId ?? '';
    let ofUser = scopeKeys.get(userId);
    if (!ofUser) {
      if (scopeKeys.size >= 4096) scopeKeys.clear();
      ofUser = new Map();
      scopeKeys.set(userId, ofUser);
    }
    let key = ofUser.get(session);
    if (key === undefined) {
      if (ofUser.size >= 1024) ofUser.clear();
      key = JSON.stringify([userId, session]);
      ofUser.set(session, key);
    }
    return key;
  }

  getEntry(scopeKey: string, key: string): HotEntry | undefined {
    const item = this.cache.get(scopeKey + key);
    return item?.kind === 'entry' ? item : undefined;
  }

  peekEntry(scopeKey: string, key: string): HotEntry | undefined {
    const item = this.cache.peek(scopeKey + key);
    return item?.kind === 'entry' ? item : undefined;
  }

  setEntry(scopeKey: string, key: string, entry: HotEntry): void {
    this.set(scopeKey, scopeKey + key, entry);
  }

  deleteEntry(scopeKey: string, key: string): void {
    this.cache.delete(scopeKey + key);
  }

  getEvents(scopeKey: string): HotEvents | undefined {
    const item = this.cache.get(scopeKey + EVENTS_SLOT);
    return item?.kind === 'events' ? item : undefined;
  }

  /** The session's window without counting it as a use (the write that follows does). */
  peekEvents(scopeKey: string): HotEvents | undefined {
    const item = this.cache.peek(scopeKey + EVENTS_SLOT);
    return item?.kind === 'events' ? item : undefined;
  }

  setEvents(scopeKey: string, events: HotEvents): void {
    this.set(scopeKey, scopeKey + EVENTS_SLOT, events);
  }

  dropScope(scopeKey: string): void {
    const scope = this.scopes.get(scopeKey);
    if (scope) for (const cacheKey of [...scope.keys]) this.cache.delete(cacheKey);
  }

  /** Drops every scope of a customer (customer-wide and each session). */
  dropUser(userId: string): void {
    const prefix = JSON.stringify([userId]).slice(0, -1) + ',';
    for (const scopeKey of [...this.scopes.keys()]) if (scopeKey.startsWith(prefix)) this.dropScope(scopeKey);
  }

  scopeUse(scopeKey: string): number {
    return this.scopes.get(scopeKey)?.bytes ?? 0;
  }

  /** Cached entries, for listing the hot tier. */
  *entries(): Generator<HotEntry> {
    for (const item of this.cache.values()) if (item.kind === 'entry') yield item;
  }

  figures(): { bytes: number; entries: number } {
    let entries = 0;
    for (const item of this.cache.values()) entries += item.kind === 'entry' ? 1 : item.events.length;
    return { bytes: this.cache.calculatedSize, entries };
  }

  clear(): void {
    this.cache.clear();
  }

  private set(scopeKey: string, cacheKey: string, item: HotItem): void {
    if (item.bytes > this.scopeCapBytes || item.bytes > this.capBytes) {
      this.cache.delete(cacheKey);
      return;
    }
    let scope = this.scopes.get(scopeKey);
    if (!scope) {
      scope = { keys: new Set(), bytes: 0 };
      this.scopes.set(scopeKey, scope);
    }
    const previous = this.cache.peek(cacheKey);
    if (previous) scope.bytes -= previous.bytes;
    if (scope.bytes + item.bytes > this.scopeCapBytes) {
      // Over the scope's cap: its oldest cached items go first (insertion order approximates use).
      for (const oldest of scope.keys) {
        if (scope.bytes + item.bytes <= this.scopeCapBytes) break;
        if (oldest !== cacheKey) this.cache.delete(oldest);
      }
      // Evicting the scope's last item removed it from the map; it stays registered.
      this.scopes.set(scopeKey, scope);
    }
    scope.keys.add(cacheKey);
    scope.bytes += item.bytes;
    item.scopeKey = scopeKey;
    this.cache.set(cacheKey, item);
  }

  private release(scopeKey: string, cacheKey: string, bytes: number): void {
    const scope = this.scopes.get(scopeKey);
    if (!scope) return;
    scope.keys.delete(cacheKey);
    scope.bytes -= bytes;
    if (scope.keys.size === 0) this.scopes.delete(scopeKey);
  }
}

/** Freezes a parsed JSON value so the one cached copy can be handed to every reader. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
