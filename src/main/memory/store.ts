import { LRUCache } from 'lru-cache';
import { AppError } from '../../shared/errors';
import type {
  MemoryCounters,
  Codec,
  JsonValue,
  MemoryEntryView,
  MemoryTier,
  QuotaUse,
  StoredTier,
} from '../../shared/contract/memory';
import type { EventBus } from '../core/eventBus';
import type { Db } from '../storage/database';
import type { Clock } from './clock';
import { compress, decompress } from './codec';
import { HotTier } from './hotTier';
import type { MemoryLimits } from './limits';
import { foldAccents } from '../../shared/text';
import { scopeToken, searchableText } from './text';

export interface EntryRow {
  id: number;
  user_id: string;
  session_id: string;
  key: string;
  tier: StoredTier;
  codec: Codec;
  value: Buffer | string;
  size: number;
  stored_bytes: number;
  created_at: number;
  updated_at: number;
  accessed_at: number;
  expires_at: number | null;
  source_session_id: string | null;
  source_turn_id: string | null;
}

export type EntryMeta = Omit<EntryRow, 'value'>;

export interface SessionRow {
  id: number;
  title: string | null;
  created_at: number;
  summarized_at: number | null;
}

/** What the search index holds, encoded in its rowid so one FTS table serves all three. */
export const searchSource = { entry: 0, event: 1, summary: 2 } as const;
export type SearchSource = keyof typeof searchSource;

export function searchRowid(source: SearchSource, id: number): number {
  return id * 4 + searchSource[source];
}

export type Metrics = MemoryCounters;

/** Every column of `memory_entries` but the value, for listings that must not load values. */
export const ENTRY_META_COLUMNS =
  'id, user_id, session_id, key, tier, codec, size, stored_bytes, created_at, updated_at, accessed_at, expires_at, source_session_id, source_turn_id';

const DEMOTION_BATCH = 64;
const INDEX_BATCH = 500;
const INDEX_DELAY_MS = 500;

/**
 * State and steps shared by the session service, the memory service and maintenance: the
 * connection, the usage ledger that quotas are checked against inside each write's transaction,
 * demotion to the cold tier, the search index and the hot cache.
 */
export class MemoryStore {
  readonly hot: HotTier;
  readonly metrics: Metrics = {
    hits: { hot: 0, warm: 0, cold: 0 },
    misses: 0,
    compressions: 0,
    cleanups: 0,
    summaries: 0,
    quotaWarnings: 0,
  };
  /** Sessions in use (scope key → last touch); they are never summarized. */
  readonly openSessions = new Map<string, number>();
  /** Session rows by scope key, so a chat turn does not look its session up twice. */
  readonly sessionRows = new LRUCache<string, SessionRow>({ max: 1024 });
  private readonly warned = new Set<string>();
  private indexTimer: unknown = null;
  /** Whether writes may be waiting for the search index (true at start: a crash may have left some). */
  private indexDirty = true;
  /** Entries written since the last index flush. */
  private readonly unindexedEntries = new Set<number>();
  /** Whether the "unindexed since" marker is committed, so a crash cannot lose the set above. */
  private markerCommitted = false;
  private readonly entryForIndex;

  private readonly usageStatement;
  private readonly adjustStatement;
  private readonly chargeStatement;
  private readonly indexStatement;
  private readonly unindexStatement;
  private readonly demotionCandidates;
  private readonly demoteStatement;
  private readonly expiredOfUser;
  private readonly staleSummariesOfUser;
  private readonly deleteEntryStatement;
  private readonly deleteSummaryStatement;
  private readonly metaGet;
  private readonly metaSet;
  private readonly pendingEvents;

  constructor(
    readonly db: Db,
    readonly limits: MemoryLimits,
    readonly clock: Clock,
    readonly events: EventBus,
  ) {
    this.hot = new HotTier(limits.hotSessionBytes, limits.hotCapBytes);
    this.usageStatement = db.prepare<[string, string], { bytes: number; entries: number }>(
      'SELECT bytes, entries FROM memory_usage WHERE user_id = ? AND tier = ?',
    );
    this.adjustStatement = db.prepare(
      `INSERT INTO memory_usage (user_id, tier, bytes, entries) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, tier) DO UPDATE SET bytes = bytes + excluded.bytes, entries = entries + excluded.entries`,
    );
    this.chargeStatement = db.prepare<[string, string, number, number], { bytes: number }>(
      `INSERT INTO memory_usage (user_id, tier, bytes, entries) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, tier) DO UPDATE SET bytes = bytes + excluded.bytes, entries = entries + excluded.entries
       RETURNING bytes`,
    );
    this.indexStatement = db.prepare('INSERT INTO memory_fts (rowid, scope, text) VALUES (?, ?, ?)');
    this.unindexStatement = db.prepare('DELETE FROM memory_fts WHERE rowid = ?');
    this.demotionCandidates = db.prepare<[string, number], EntryRow>(
      `SELECT * FROM memory_entries WHERE user_id = ? AND tier = 'warm' AND id != ? ORDER BY accessed_at LIMIT ${DEMOTION_BATCH}`,
    );
    this.demoteStatement = db.prepare(
      "UPDATE memory_entries SET tier = 'cold', codec = ?, value = ?, stored_bytes = ? WHERE id = ?",
    );
    this.expiredOfUser = db.prepare<[string, number, number], EntryMeta>(
      `SELECT ${ENTRY_META_COLUMNS} FROM memory_entries
       WHERE user_id = ? AND ((expires_at IS NOT NULL AND expires_at <= ?) OR (tier = 'cold' AND accessed_at <= ?))`,
    );
    this.staleSummariesOfUser = db.prepare<[string, number], { id: number; stored_bytes: number }>(
      'SELECT id, stored_bytes FROM memory_summaries WHERE user_id = ? AND created_at <= ?',
    );
    this.deleteEntryStatement = db.prepare('DELETE FROM memory_entries WHERE id = ?');
    this.deleteSummaryStatement = db.prepare('DELETE FROM memory_summaries WHERE id = ?');
    this.entryForIndex = db.prepare<[number], { user_id: string; key: string; value: Buffer | string; codec: Codec }>(
      'SELECT user_id, key, value, codec FROM memory_entries WHERE id = ?',
    );
    this.metaGet = db.prepare<[string], { value: number }>('SELECT value FROM memory_meta WHERE name = ?');
    this.metaSet = db.prepare(
      'INSERT INTO memory_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.pendingEvents = db.prepare<[number, number], { seq: number; kind: string; content: string; user_id: string }>(
      `SELECT e.seq, e.kind, e.content, s.user_id FROM memory_events e JOIN memory_sessions s ON s.id = e.session_row
       WHERE e.seq > ? ORDER BY e.seq LIMIT ?`,
    );
    this.recoverUnindexed();
  }

  now(): number {
    return this.clock.now();
  }

  // ---- usage ledger -------------------------------------------------------------------------

  usage(userId: string, tier: StoredTier): { bytes: number; entries: number } {
    return this.usageStatement.get(userId, tier) ?? { bytes: 0, entries: 0 };
  }

  adjustUsage(userId: string, tier: StoredTier, bytes: number, entries: number): void {
    if (bytes !== 0 || entries !== 0) this.adjustStatement.run(userId, tier, bytes, entries);
  }

  /**
   * Adds a write's bytes to the ledger and returns the new use. Over the quota, the charge is
   * undone, room is made as `ensureRoom` does (or `quota_exceeded` thrown), and it is charged again.
   * One statement on the common path: the check and the update are the same row.
   */
  charge(userId: string, tier: StoredTier, bytes: number, entries: number, protectedEntryId = -1): number {
    const after = this.chargeStatement.get(userId, tier, bytes, entries)!.bytes;
    if (bytes <= 0 || after <= this.quotaLimit(tier)) return after;
    this.adjustUsage(userId, tier, -bytes, -entries);
    this.ensureRoom(userId, tier, bytes, protectedEntryId);
    return this.chargeStatement.get(userId, tier, bytes, entries)!.bytes;
  }

  quotaLimit(tier: StoredTier): number {
    return tier === 'warm' ? this.limits.warmUserBytes : this.limits.coldUserBytes;
  }

  /**
   * Makes room for `needBytes` more in a customer's tier, inside the caller's transaction: expired
   * rows are deleted, and for warm the least recently read entries are demoted to cold. Throws
   * `quota_exceeded` naming the quota when the write still cannot fit; the caller's transaction
   * then rolls back, so nothing changes.
   */
  ensureRoom(userId: string, tier: StoredTier, needBytes: number, protectedEntryId = -1): number {
    const limit = this.quotaLimit(tier);
    const usedBefore = this.usage(userId, tier).bytes;
    if (usedBefore + needBytes <= limit) return usedBefore;
    this.deleteExpiredOfUser(userId);
    if (tier === 'warm') {
      for (let round = 0; this.usage(userId, 'warm').bytes + needBytes > limit && round < 10_000; round++) {
        const candidates = this.demotionCandidates.all(userId, protectedEntryId);
        if (candidates.length === 0) break;
        try {
          for (const row of candidates) {
            this.demote(row);
            if (this.usage(userId, 'warm').bytes + needBytes <= limit) break;
          }
        } catch (error) {
          if (error instanceof AppError && error.code === 'quota_exceeded') break;
          throw error;
        }
      }
    }
    const used = this.usage(userId, tier).bytes;
    if (used + needBytes > limit) {
      throw new AppError(
        'quota_exceeded',
        `The ${tier} memory quota of customer ${userId} is full: ${used} of ${limit} bytes are used and this write needs ${needBytes} more. Forget something or raise the quota in Settings.`,
        { quota: tier, limit, used, requested: needBytes, userId },
      );
    }
    return used;
  }

  /** Moves one warm entry to cold, compressed; the caller holds the transaction. */
  demote(row: EntryRow): number {
    const stored = compress(decompress(row.value, row.codec));
    this.ensureRoom(row.user_id, 'cold', stored.length);
    this.demoteStatement.run('brotli', stored, stored.length, row.id);
    this.adjustUsage(row.user_id, 'warm', -row.stored_bytes, -1);
    this.adjustUsage(row.user_id, 'cold', stored.length, 1);
    this.hot.deleteEntry(HotTier.scopeKey(row.user_id, row.session_id || null), row.key);
    this.metrics.compressions++;
    return row.stored_bytes - stored.length;
  }

  deleteEntry(row: EntryMeta): void {
    this.deleteEntryStatement.run(row.id);
    this.unindex('entry', row.id);
    this.adjustUsage(row.user_id, row.tier, -row.stored_bytes, -1);
    this.hot.deleteEntry(HotTier.scopeKey(row.user_id, row.session_id || null), row.key);
  }

  /** Deletes a customer's expired entries and stale summaries; returns the bytes freed. */
  deleteExpiredOfUser(userId: string): { deleted: number; bytes: number } {
    const now = this.now();
    let deleted = 0;
    let bytes = 0;
    for (const row of this.expiredOfUser.all(userId, now, now - this.limits.coldRetentionMs)) {
      this.deleteEntry(row);
      deleted++;
      bytes += row.stored_bytes;
    }
    for (const summary of this.staleSummariesOfUser.all(userId, now - this.limits.coldRetentionMs)) {
      this.deleteSummary(userId, summary);
      deleted++;
      bytes += summary.stored_bytes;
    }
    return { deleted, bytes };
  }

  deleteSummary(userId: string, summary: { id: number; stored_bytes: number }): void {
    this.deleteSummaryStatement.run(summary.id);
    this.unindex('summary', summary.id);
    this.adjustUsage(userId, 'cold', -summary.stored_bytes, -1);
  }

  // ---- search index -------------------------------------------------------------------------

  index(source: SearchSource, id: number, userId: string, text: string): void {
    this.indexStatement.run(searchRowid(source, id), scopeToken(userId), text);
  }

  unindex(source: SearchSource, id: number): void {
    this.unindexStatement.run(searchRowid(source, id));
  }

  /**
   * Called before an entry write: makes sure SQLite records since when entries may be unindexed
   * (one small write per flush cycle, not per entry), so a restart after a crash re-indexes them.
   */
  markIndexPending(): void {
    if (this.markerCommitted) return;
    this.metaSet.run('entries_unindexed_since', this.now());
    // Inside a caller's transaction the marker could still roll back: write it again next time.
    if (!this.db.inTransaction) this.markerCommitted = true;
  }

  /** Queues a written entry for (re)indexing; search flushes the queue first. */
  queueIndex(entryId: number): void {
    this.unindexedEntries.add(entryId);
    this.indexDirty = true;
  }

  /** At start: entries written since the marker of a run that did not flush are indexed again. */
  private recoverUnindexed(): void {
    const since = this.metaGet.get('entries_unindexed_since')?.value ?? 0;
    if (since <= 0) return;
    // An hour of margin covers a clock set back a little between writes.
    for (const { id } of this.db.prepare('SELECT id FROM memory_entries WHERE updated_at >= ?').all(since - 3600_000) as { id: number }[]) {
      this.unindexedEntries.add(id);
    }
    this.markerCommitted = true;
  }

  /** Re-indexes queued entries (or drops them from the index if they are gone). */
  private indexQueuedEntries(maxRows: number): number {
    const batch: number[] = [];
    for (const id of this.unindexedEntries) {
      if (batch.length >= maxRows) break;
      batch.push(id);
    }
    if (batch.length === 0) return 0;
    this.db.transaction(() => {
      for (const id of batch) {
        this.unindex('entry', id);
        const row = this.entryForIndex.get(id);
        if (row) this.index('entry', id, row.user_id, foldAccents(`${row.key} ${searchableText(parseJson(decompress(row.value, row.codec)))}`));
      }
      if (batch.length === this.unindexedEntries.size) this.metaSet.run('entries_unindexed_since', 0);
    })();
    for (const id of batch) this.unindexedEntries.delete(id);
    if (this.unindexedEntries.size === 0) this.markerCommitted = false;
    return batch.length;
  }

  /**
   * Messages are indexed in batches after they are committed (appendEvent stays one cheap insert);
   * a watermark in SQLite says how far, so a crash only delays indexing. Search flushes first.
   */
  private indexPendingEvents(maxRows: number): number {
    return this.db.transaction(() => {
      const through = this.metaGet.get('events_indexed_through')?.value ?? 0;
      const rows = this.pendingEvents.all(through, maxRows);
      for (const row of rows) {
        if (row.kind !== 'message' && row.kind !== 'summary') continue;
        this.index('event', row.seq, row.user_id, foldAccents(searchableText(parseJson(row.content))));
      }
      if (rows.length > 0) this.metaSet.run('events_indexed_through', rows[rows.length - 1]!.seq);
      return rows.length;
    })();
  }

  /** Brings the search index up to date with every committed write, in bounded batches. */
  indexAllPending(): void {
    this.clearIndexTimer();
    if (!this.indexDirty) return;
    for (let batch = 0; batch < 100_000 && this.indexPendingEvents(INDEX_BATCH) + this.indexQueuedEntries(INDEX_BATCH) > 0; batch++);
    this.indexDirty = false;
  }

  /**
   * Indexes new writes shortly after a burst, off the write's own path, one batch per timer tick
   * so the main thread is never held long.
   */
  scheduleIndexing(): void {
    this.indexDirty = true;
    if (this.indexTimer !== null) return;
    this.indexTimer = this.clock.setTimer(() => {
      this.indexTimer = null;
      if (!this.db.open) return;
      const done = this.indexPendingEvents(INDEX_BATCH) + this.indexQueuedEntries(INDEX_BATCH);
      if (done > 0) this.scheduleIndexing();
      else this.indexDirty = false;
    }, INDEX_DELAY_MS);
  }

  clearIndexTimer(): void {
    if (this.indexTimer !== null) this.clock.clearTimer(this.indexTimer);
    this.indexTimer = null;
  }

  // ---- quota warnings -----------------------------------------------------------------------

  quotaUse(userId: string, tier: StoredTier): QuotaUse {
    const limit = this.quotaLimit(tier);
    const used = this.usage(userId, tier).bytes;
    return { quota: tier, limit, used, ratio: limit > 0 ? used / limit : 1 };
  }

  /** Emits `memory.quotaWarning` once each time a quota crosses the warning ratio (after commit). */
  checkQuotas(userId: string, sessionId: string | null): void {
    for (const tier of ['warm', 'cold'] as const) this.warnIfNear(userId, sessionId, this.quotaUse(userId, tier));
    if (sessionId !== null) {
      const used = this.hot.scopeUse(HotTier.scopeKey(userId, sessionId));
      const limit = this.limits.hotSessionBytes;
      this.warnIfNear(userId, sessionId, { quota: 'hot', limit, used, ratio: used / limit });
    }
  }

  /** After a write: re-checks quotas when this one is near its limit or was warned about. */
  noteUsage(userId: string, sessionId: string | null, tier: StoredTier, usedAfter: number): void {
    const near =
      usedAfter >= this.quotaLimit(tier) * this.limits.warnRatio ||
      (sessionId !== null && this.hot.scopeUse(HotTier.scopeKey(userId, sessionId)) >= this.limits.hotSessionBytes * this.limits.warnRatio);
    if (near || this.warned.has(JSON.stringify([userId, tier, null]))) this.checkQuotas(userId, sessionId);
  }

  forgetWarnings(userId: string): void {
    for (const key of [...this.warned]) if (JSON.parse(key)[0] === userId) this.warned.delete(key);
  }

  private warnIfNear(userId: string, sessionId: string | null, use: QuotaUse): void {
    const key = JSON.stringify([userId, use.quota, use.quota === 'hot' ? sessionId : null]);
    if (use.ratio < this.limits.warnRatio) {
      this.warned.delete(key);
      return;
    }
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.metrics.quotaWarnings++;
    this.events.emit('memory.quotaWarning', { ...use, userId, sessionId });
  }

  // ---- sessions in use ----------------------------------------------------------------------

  touchSession(scopeKey: string): void {
    this.openSessions.set(scopeKey, this.now());
  }

  /** Forgets sessions idle past the limit (the hourly cleanup calls it, so the map stays small). */
  pruneOpenSessions(): void {
    const now = this.now();
    for (const [key, touched] of this.openSessions) if (now - touched >= this.limits.sessionIdleMs) this.openSessions.delete(key);
  }

  isSessionOpen(userId: string, sessionId: string): boolean {
    const key = HotTier.scopeKey(userId, sessionId);
    const touched = this.openSessions.get(key);
    if (touched === undefined) return false;
    if (this.now() - touched < this.limits.sessionIdleMs) return true;
    this.openSessions.delete(key);
    return false;
  }
}

/** The inspector's view of a row (tier `hot` when cached). */
export function entryView(row: EntryMeta, tier: MemoryTier): MemoryEntryView {
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
  };
}

export function parseJson(text: string): JsonValue {
  return JSON.parse(text) as JsonValue;
}
