import type { JsonValue, MemoryEntryView, MemoryPage, MemoryScope, MemoryTier, MemoryValueView, StoredTier } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import { foldAccents } from '@shared/text';
import type { Db } from '../../storage/database';
import type { Clock } from '../../core/clock';
import { decompress } from '../codec';
import type { MemoryEmitter } from '../events';
import { HEAP_FACTOR, HotTier, deepFreeze } from '../hotTier';
import type { MemoryLimits } from '../limits';
import type { Metrics } from '../metrics';
import type { SearchIndex } from '../search/searchIndex';
import { searchableText } from '../text';
import type { QuotaWatch } from '../usage/quotaWatch';
import { memoryValueText, validId, validKey, validLimit, validScope } from '../validate';
import type { ChangeFeed } from '../changeFeed';
import { entryView, learnedAt, storedForm, type EntryMeta, type EntryRow, type EntryStore } from './entryStore';

export interface MemorizeOptions {
  /** The entry is deleted this long after the write. */
  ttlMs?: number;
  /** Who wrote it: the session and turn of the agent run. */
  provenance?: { sessionId?: string; turnId?: string };
}

export interface ListMemoriesQuery {
  userId?: string;
  sessionId?: string;
  tier?: MemoryTier;
  query?: string;
  /** Only keys containing this text (exact case). */
  keyContains?: string;
  /** Only entries at least this large (uncompressed bytes). */
  minBytes?: number;
  /** Only entries last changed at or before this time (epoch ms): "older than". */
  updatedBefore?: number;
  cursor?: string;
  limit?: number;
}

/** An entry's view with its value, as one object literal (this runs on every write and read). */
function withValue(row: EntryMeta, tier: MemoryTier, value: JsonValue): MemoryValueView {
  return {
    userId: row.user_id,
    sessionId: row.session_id === '' ? null : row.session_id,
    key: row.key,
    tier,
    storedTier: row.tier,
    codec: row.codec,
    sizeBytes: row.size,
    storedBytes: row.stored_bytes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    accessedAt: row.accessed_at,
    expiresAt: row.expires_at,
    provenance: { sessionId: row.source_session_id, turnId: row.source_turn_id },
    learnedAt: learnedAt(row),
    value,
  };
}

/** The cached answer for an entry, shared by every reader: frozen, value included. */
function hotResult(row: EntryMeta, value: JsonValue): Readonly<MemoryValueView> {
  return Object.freeze(withValue(row, 'hot', value));
}

/** A cached entry's view without its value (listing the hot tier must not parse values). */
function viewOf(result: Readonly<MemoryValueView>): MemoryEntryView {
  return {
    userId: result.userId,
    sessionId: result.sessionId,
    key: result.key,
    tier: 'hot',
    storedTier: result.storedTier,
    codec: result.codec,
    sizeBytes: result.sizeBytes,
    storedBytes: result.storedBytes,
    createdAt: result.createdAt,
    updatedAt: result.updatedAt,
    accessedAt: result.accessedAt,
    expiresAt: result.expiresAt,
    provenance: result.provenance,
    learnedAt: result.learnedAt,
  };
}

/** Key → JSON memories per customer (and optionally per session), across the hot, warm and cold tiers. */
export class Entries {
  constructor(
    private readonly db: Db,
    private readonly store: EntryStore,
    private readonly limits: Readonly<MemoryLimits>,
    private readonly clock: Clock,
    private readonly hot: HotTier,
    private readonly search: SearchIndex,
    private readonly quotas: QuotaWatch,
    private readonly metrics: Metrics,
    private readonly events: MemoryEmitter,
    /** Told about customer-wide writes and forgets inside their transaction (sync's outbox). */
    private readonly feed: ChangeFeed,
  ) {
    this.sharedWrite = db.transaction((row: EntryRow, text: string) => {
      row.hlc = feed.memoryPut(row.user_id, row.key, text, { expiresAt: row.expires_at });
      return store.write(row);
    });
  }

  /** A customer-wide write of a desk with a hub: the row and its outbox record (the stamp) in one transaction; made once. */
  private readonly sharedWrite;

  /** Stores a value; acknowledged only once committed to SQLite. */
  memorize(scope: MemoryScope, key: string, value: unknown, options: MemorizeOptions = {}): MemoryValueView {
    const { userId, sessionId } = validScope(scope);
    const validatedKey = validKey(key);
    const json = memoryValueText(value);
    return this.write(userId, sessionId, validatedKey, json.value, json.text, options);
  }

  /** Appends to (without duplicating items already there) or replaces a list value. */
  memorizeList(scope: MemoryScope, key: string, items: unknown[], options: MemorizeOptions & { mode: 'append' | 'replace' }): MemoryValueView {
    const { userId, sessionId } = validScope(scope);
    const validatedKey = validKey(key);
    if (!Array.isArray(items)) throw new AppError('invalid_request', 'items must be a list');
    const added = memoryValueText(items, 'items').value as JsonValue[];
    return this.db
      .transaction(() => {
        let list = added;
        if (options.mode === 'append') {
          const row = this.store.find(userId, sessionId ?? '', validatedKey);
          if (row) {
            const current = JSON.parse(decompress(row.value, row.codec)) as JsonValue;
            if (!Array.isArray(current)) {
              throw new AppError('conflict', `The memory "${validatedKey}" is not a list, so nothing can be appended to it.`);
            }
            const seen = new Set(current.map((item) => JSON.stringify(item)));
            list = [...current, ...added.filter((item) => !seen.has(JSON.stringify(item)))];
          }
        }
        return this.write(userId, sessionId, validatedKey, list, JSON.stringify(list), options);
      })
      .immediate();
  }

  /** The value and the tier it was served from; `not_found` when absent or expired. */
  getMemory(scope: MemoryScope, key: string): MemoryValueView {
    const { userId, sessionId } = validScope(scope);
    const validatedKey = validKey(key);
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    const now = this.clock.now();
    const cached = this.hot.getEntry(scopeKey, validatedKey);
    if (cached && (cached.result.expiresAt === null || cached.result.expiresAt > now)) {
      this.metrics.hit('hot');
      if (now - cached.result.accessedAt <= this.limits.accessRefreshMs) return cached.result;
      this.store.touch(cached.id, now);
      const refreshed = Object.freeze({ ...cached.result, accessedAt: now });
      this.hot.setEntry(scopeKey, validatedKey, { ...cached, result: refreshed });
      return refreshed;
    }
    const row = this.store.find(userId, sessionId ?? '', validatedKey);
    if (!row || this.store.isExpired(row, now)) {
      if (row) this.db.transaction(() => this.store.deleteExpired(row, now)).immediate();
      this.metrics.miss();
      throw new AppError('not_found', `Nothing is remembered under "${validatedKey}" for this customer.`, {
        userId,
        sessionId,
        key: validatedKey,
      });
    }
    const servedFrom: StoredTier = row.tier;
    this.metrics.hit(servedFrom);
    const text = decompress(row.value, row.codec);
    if (row.tier === 'cold' && row.size < this.limits.warmEntryMaxBytes) this.store.promote(row, text, now);
    else if (now - row.accessed_at > this.limits.accessRefreshMs) {
      this.store.touch(row.id, now);
      row.accessed_at = now;
    }
    const value = JSON.parse(text) as JsonValue;
    if (row.size < this.limits.hotEntryMaxBytes) this.cacheHot(scopeKey, row, deepFreeze(value));
    return withValue(row, servedFrom, value);
  }

  forget(scope: MemoryScope, key: string): { deleted: boolean } {
    const { userId, sessionId } = validScope(scope);
    const validatedKey = validKey(key);
    const deleted = this.db
      .transaction(() => {
        const row = this.store.findMeta(userId, sessionId ?? '', validatedKey);
        if (row) this.store.delete(row);
        // A forget of a customer-wide memory is shared (a tombstone), even when this desk had not received the memory yet.
        if (sessionId === null && this.feed.active) this.feed.memoryForget(userId, validatedKey);
        return row !== undefined;
      })
      .immediate();
    this.hot.deleteEntry(HotTier.scopeKey(userId, sessionId), validatedKey);
    if (deleted) {
      this.quotas.check(userId, sessionId);
      this.events.emit('changed', { userId, sessionId, key: validatedKey, change: 'forget' });
    }
    return { deleted };
  }

  /** A page of entries in a stable order (customer, session, key); pass `nextCursor` for the next. */
  listMemories(query: ListMemoriesQuery = {}): MemoryPage {
    const limit = validLimit(query.limit, 50);
    const userId = query.userId === undefined ? undefined : validId(query.userId, 'userId');
    const sessionFilter = query.sessionId === undefined ? undefined : validId(query.sessionId, 'sessionId');
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.tier !== undefined && !['hot', 'warm', 'cold'].includes(query.tier)) {
      throw new AppError('invalid_request', `unknown tier ${String(query.tier)}: use hot, warm or cold`);
    }
    if (query.tier === 'hot') return this.listHot(userId, sessionFilter, after, limit, query);

    const where: string[] = [];
    const params: unknown[] = [];
    const filter = (condition: string, ...values: unknown[]): void => {
      where.push(condition);
      params.push(...values);
    };
    if (userId !== undefined) filter('user_id = ?', userId);
    if (sessionFilter !== undefined) filter('session_id = ?', sessionFilter);
    if (query.tier !== undefined) filter('tier = ?', query.tier);
    if (query.keyContains !== undefined) filter('instr(key, ?) > 0', query.keyContains);
    if (query.minBytes !== undefined) filter('size >= ?', query.minBytes);
    if (query.updatedBefore !== undefined) filter('updated_at <= ?', query.updatedBefore);
    if (after) filter('(user_id, session_id, key) > (?, ?, ?)', ...after);
    if (query.query !== undefined) {
      const match = this.search.match(userId ?? null, query.query);
      if (match === null) return { items: [], nextCursor: null };
      const condition = this.search.entryCondition(match);
      filter(condition.sql, condition.param);
    }
    const rows = this.store.page(where, params, limit + 1);
    const page = rows.slice(0, limit);
    const items = page.map((row) => entryView(row, this.isHot(row) ? 'hot' : row.tier));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.user_id, last.session_id, last.key]) : null };
  }

  private write(userId: string, sessionId: string | null, key: string, value: JsonValue, text: string, options: MemorizeOptions): MemoryValueView {
    const { limits } = this;
    const textBytes = Buffer.byteLength(text);
    const size = textBytes + Buffer.byteLength(key);
    if (size > limits.coldEntryMaxBytes) {
      throw new AppError(
        'invalid_request',
        `The value for "${key}" is ${size} bytes; the largest memory entry is ${limits.coldEntryMaxBytes} bytes.`,
        { limit: limits.coldEntryMaxBytes, size },
      );
    }
    if (options.ttlMs !== undefined && (!Number.isInteger(options.ttlMs) || options.ttlMs <= 0)) {
      throw new AppError('invalid_request', 'ttlMs must be a positive whole number of milliseconds');
    }
    const stored = storedForm(text, textBytes, size, limits);
    if (stored.tier === 'cold') this.metrics.compressed();
    const now = this.clock.now();
    const row: EntryRow = {
      id: -1,
      user_id: userId,
      session_id: sessionId ?? '',
      key,
      ...stored,
      size,
      created_at: now,
      updated_at: now,
      accessed_at: now,
      expires_at: options.ttlMs === undefined ? null : now + options.ttlMs,
      source_session_id: options.provenance?.sessionId ?? sessionId,
      source_turn_id: options.provenance?.turnId ?? null,
      hlc: null,
      origin_desk: null,
      origin_store: null,
      origin_at: null,
    };
    // A customer-wide memory of a desk with a hub: the outbox record and the row commit together.
    let written: { id: number; usedAfter: number };
    if (sessionId === null && this.feed.active) {
      // Outside the transaction, so the index's marker commits once per cycle rather than with every write.
      this.search.markEntriesPending();
      written = this.sharedWrite.immediate(row, text);
    } else written = this.store.write(row);
    const { id, usedAfter } = written;
    row.id = id;
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    // The cached copy is parsed from the stored text, so the caller's object stays its own.
    if (size < limits.hotEntryMaxBytes) this.cacheHot(scopeKey, row, deepFreeze(JSON.parse(text) as JsonValue));
    else this.hot.deleteEntry(scopeKey, key);
    this.events.emit('changed', { userId, sessionId, key, change: 'put' });
    this.quotas.noteUsage(userId, sessionId, row.tier, usedAfter, scopeKey);
    return withValue(row, row.tier, value);
  }

  private cacheHot(scopeKey: string, row: EntryMeta, value: JsonValue): void {
    this.hot.setEntry(scopeKey, row.key, { kind: 'entry', id: row.id, bytes: row.size * HEAP_FACTOR, result: hotResult(row, value) });
  }

  private isHot(row: EntryMeta): boolean {
    return this.hot.peekEntry(HotTier.scopeKey(row.user_id, row.session_id || null), row.key) !== undefined;
  }

  private listHot(
    userId: string | undefined,
    sessionId: string | undefined,
    after: [string, string, string] | null,
    limit: number,
    filters: ListMemoriesQuery,
  ): MemoryPage {
    const wanted = filters.query === undefined ? null : foldAccents(filters.query);
    const tuple = (view: MemoryEntryView): [string, string, string] => [view.userId, view.sessionId ?? '', view.key];
    const items: MemoryEntryView[] = [];
    for (const entry of this.hot.entries()) {
      const view = viewOf(entry.result);
      if (userId !== undefined && view.userId !== userId) continue;
      if (sessionId !== undefined && view.sessionId !== sessionId) continue;
      if (after && compareTuples(tuple(view), after) <= 0) continue;
      if (filters.keyContains !== undefined && !view.key.includes(filters.keyContains)) continue;
      if (filters.minBytes !== undefined && view.sizeBytes < filters.minBytes) continue;
      if (filters.updatedBefore !== undefined && view.updatedAt > filters.updatedBefore) continue;
      if (wanted !== null && !foldAccents(`${view.key} ${searchableText(entry.result.value)}`).includes(wanted)) continue;
      items.push(view);
    }
    items.sort((a, b) => compareTuples(tuple(a), tuple(b)));
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: items.length > limit && last ? encodeCursor(tuple(last)) : null };
  }
}

function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

function encodeCursor(tuple: [string, string, string]): string {
  return Buffer.from(JSON.stringify(tuple), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const tuple = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(tuple) && tuple.length === 3 && tuple.every((part) => typeof part === 'string')) {
      return tuple as [string, string, string];
    }
  } catch {
    // Falls through to the typed error below.
  }
  throw new AppError('invalid_request', 'cursor is not one this app gave out');
}
