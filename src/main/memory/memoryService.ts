import type {
  CustomerExport,
  DeletedCounts,
  JsonValue,
  MaintenanceReport,
  MaintenanceTask,
  MemoryEntryView,
  MemoryPage,
  MemoryScope,
  MemoryStats,
  MemoryTier,
  MemoryValueView,
  SearchHit,
  SessionEvent,
  StoredTier,
  SummaryRecord,
  SummaryView,
} from '../../shared/contract/memory';
import { AppError } from '../../shared/errors';
import { compress, decompress } from './codec';
import { erase } from './erase';
import { HEAP_FACTOR, HotTier, deepFreeze } from './hotTier';
import { ENTRY_META_COLUMNS, entryView, parseJson, searchSource, type EntryMeta, type EntryRow, type MemoryStore } from './store';
import { foldAccents } from '../../shared/text';
import { ftsQuery, preview, searchableText } from './text';
import { jsonText, validId, validKey, validLimit, validScope } from './validate';

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


/** Runs maintenance on demand; the scheduler provides it once it exists. */
export type MaintenanceRunner = (task: MaintenanceTask) => Promise<MaintenanceReport>;

type Statement<P extends unknown[], R> = { get(...params: P): R | undefined; all(...params: P): R[]; run(...params: P): unknown };

/** Key → JSON memories per customer (and optionally per session), across the hot, warm and cold tiers. */
export class MemoryService {
  private readonly selectRow: Statement<[string, string, string], EntryRow>;
  private readonly selectMeta: Statement<[string, string, string], EntryMeta>;
  private readonly insertRow;
  private readonly updateRow;
  private readonly touchRow;
  private readonly promoteRow;
  private readonly listStatements = new Map<string, Statement<unknown[], EntryMeta>>();
  private readonly writeTransaction;
  private maintenance: MaintenanceRunner | null = null;
  private readonly searchStatement;
  private readonly hitEntry;
  private readonly hitEvent;
  private readonly hitSummary;

  constructor(private readonly store: MemoryStore) {
    const { db } = store;
    this.selectRow = db.prepare('SELECT * FROM memory_entries WHERE user_id = ? AND session_id = ? AND key = ?');
    this.selectMeta = db.prepare(`SELECT ${ENTRY_META_COLUMNS} FROM memory_entries WHERE user_id = ? AND session_id = ? AND key = ?`);
    this.insertRow = db.prepare(
      `INSERT INTO memory_entries (user_id, session_id, key, tier, codec, value, size, stored_bytes, created_at, updated_at,
         accessed_at, expires_at, source_session_id, source_turn_id)
       VALUES (@user_id, @session_id, @key, @tier, @codec, @value, @size, @stored_bytes, @created_at, @updated_at,
         @accessed_at, @expires_at, @source_session_id, @source_turn_id)`,
    );
    this.updateRow = db.prepare(
      `UPDATE memory_entries SET tier = @tier, codec = @codec, value = @value, size = @size, stored_bytes = @stored_bytes,
         updated_at = @updated_at, accessed_at = @accessed_at, expires_at = @expires_at,
         source_session_id = @source_session_id, source_turn_id = @source_turn_id WHERE id = @id`,
    );
    this.searchStatement = db.prepare<[string, number], { rowid: number }>(
      'SELECT rowid FROM memory_fts WHERE memory_fts MATCH ? ORDER BY rank LIMIT ?',
    );
    this.hitEntry = db.prepare<[number], EntryRow>('SELECT * FROM memory_entries WHERE id = ?');
    this.hitEvent = db.prepare<[number], { event_id: string; content: string; timestamp: number; user_id: string; session_id: string }>(
      `SELECT e.event_id, e.content, e.timestamp, s.user_id, s.session_id FROM memory_events e
       JOIN memory_sessions s ON s.id = e.session_row WHERE e.seq = ?`,
    );
    this.hitSummary = db.prepare<[number], { summary: string; created_at: number; user_id: string; session_id: string }>(
      `SELECT m.summary, m.created_at, m.user_id, s.session_id FROM memory_summaries m
       JOIN memory_sessions s ON s.id = m.session_row WHERE m.id = ?`,
    );
    this.touchRow = db.prepare('UPDATE memory_entries SET accessed_at = ? WHERE id = ?');
    this.promoteRow = db.prepare("UPDATE memory_entries SET tier = 'warm', codec = 'none', value = ?, stored_bytes = ?, accessed_at = ? WHERE id = ?");
    this.writeTransaction = db.transaction((row: EntryRow): { id: number; usedAfter: number } => {
      const existing = this.selectMeta.get(row.user_id, row.session_id, row.key);
      // A rewrite in the same tier is charged only the difference.
      const sameTier = existing !== undefined && existing.tier === row.tier;
      if (existing && !sameTier) store.adjustUsage(row.user_id, existing.tier, -existing.stored_bytes, -1);
      const need = sameTier ? row.stored_bytes - existing.stored_bytes : row.stored_bytes;
      const usedAfter = store.charge(row.user_id, row.tier, need, sameTier ? 0 : 1, existing?.id ?? -1);
      let id: number;
      if (existing) {
        id = existing.id;
        row.created_at = existing.created_at;
        this.updateRow.run({ ...row, id });
      } else {
        id = Number(this.insertRow.run(row).lastInsertRowid);
      }
      store.queueIndex(id);
      return { id, usedAfter };
    });
  }

  /** Lets the scheduler serve `runMaintenance`; set once by the composition. */
  attachMaintenance(runner: MaintenanceRunner): void {
    this.maintenance = runner;
  }

  /** Stores a value; acknowledged only once committed to SQLite. */
  memorize(scope: MemoryScope, key: string, value: unknown, options: MemorizeOptions = {}): MemoryValueView {
    const { userId, sessionId } = validScope(scope);
    const validatedKey = validKey(key);
    const json = jsonText(value);
    return this.write(userId, sessionId, validatedKey, json.value, json.text, options);
  }

  /** Appends to (without duplicating items already there) or replaces a list value. */
  memorizeList(
    scope: MemoryScope,
    key: string,
    items: unknown[],
    options: MemorizeOptions & { mode: 'append' | 'replace' },
  ): MemoryValueView {
    const { userId, sessionId } = validScope(scope);
    const validatedKey = validKey(key);
    if (!Array.isArray(items)) throw new AppError('invalid_request', 'items must be a list');
    const added = jsonText(items, 'items').value as JsonValue[];
    return this.store.db.transaction(() => {
      let list = added;
      if (options.mode === 'append') {
        const row = this.selectRow.get(userId, sessionId ?? '', validatedKey);
        if (row) {
          const current = parseJson(decompress(row.value, row.codec));
          if (!Array.isArray(current)) {
            throw new AppError('conflict', `The memory "${validatedKey}" is not a list, so nothing can be appended to it.`);
          }
          const seen = new Set(current.map((item) => JSON.stringify(item)));
          list = [...current, ...added.filter((item) => !seen.has(JSON.stringify(item)))];
        }
      }
      return this.write(userId, sessionId, validatedKey, list, JSON.stringify(list), options);
    }).immediate();
  }

  /** The value and the tier it was served from; `not_found` when absent or expired. */
  getMemory(scope: MemoryScope, key: string): MemoryValueView {
    const { userId, sessionId } = validScope(scope);
    const validatedKey = validKey(key);
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    const now = this.store.now();
    const cached = this.store.hot.getEntry(scopeKey, validatedKey);
    if (cached && (cached.result.expiresAt === null || cached.result.expiresAt > now)) {
      this.store.metrics.hits.hot++;
      if (now - cached.result.accessedAt <= this.store.limits.accessRefreshMs) return cached.result;
      this.touchRow.run(now, cached.id);
      const refreshed = Object.freeze({ ...cached.result, accessedAt: now });
      this.store.hot.setEntry(scopeKey, validatedKey, { ...cached, result: refreshed });
      return refreshed;
    }
    const row = this.selectRow.get(userId, sessionId ?? '', validatedKey);
    if (!row || this.isExpired(row, now)) {
      if (row) this.store.db.transaction(() => this.store.deleteEntry(row)).immediate();
      this.store.metrics.misses++;
      throw new AppError('not_found', `Nothing is remembered under "${validatedKey}" for this customer.`, {
        userId,
        sessionId,
        key: validatedKey,
      });
    }
    const servedFrom: StoredTier = row.tier;
    this.store.metrics.hits[servedFrom]++;
    const text = decompress(row.value, row.codec);
    if (row.tier === 'cold' && row.size < this.store.limits.warmEntryMaxBytes) this.promote(row, text, now);
    else if (now - row.accessed_at > this.store.limits.accessRefreshMs) {
      this.touchRow.run(now, row.id);
      row.accessed_at = now;
    }
    const value = parseJson(text);
    if (row.size < this.store.limits.hotEntryMaxBytes) this.cacheHot(scopeKey, row, deepFreeze(value));
    return { ...entryView(row, servedFrom), value };
  }

  forget(scope: MemoryScope, key: string): { deleted: boolean } {
    const { userId, sessionId } = validScope(scope);
    const validatedKey = validKey(key);
    const deleted = this.store.db.transaction(() => {
      const row = this.selectMeta.get(userId, sessionId ?? '', validatedKey);
      if (row) this.store.deleteEntry(row);
      return row !== undefined;
    }).immediate();
    this.store.hot.deleteEntry(HotTier.scopeKey(userId, sessionId), validatedKey);
    if (deleted) {
      this.store.checkQuotas(userId, sessionId);
      this.store.events.emit('memory.changed', { userId, sessionId, key: validatedKey, change: 'forget' });
    }
    return { deleted };
  }

  /**
   * Accent-insensitive full-text search over the customer's memories, messages and conversation
   * summaries. With a `sessionId`, only that session's items and the customer-wide memories.
   */
  searchMemory(scope: MemoryScope, query: string, limit = 20): SearchHit[] {
    const { userId, sessionId } = validScope(scope);
    const max = validLimit(limit, 20, 100);
    if (typeof query !== 'string' || query.length > 200) throw new AppError('invalid_request', 'query must be text of at most 200 characters');
    const match = ftsQuery(userId, query);
    if (match === null) return [];
    this.store.indexAllPending();
    const rowids = this.searchStatement.all(match, sessionId === null ? max : max * 4);
    const hits: SearchHit[] = [];
    for (const { rowid } of rowids) {
      const hit = this.resolveHit(rowid);
      if (!hit || hit.userId !== userId) continue;
      if (sessionId !== null && hit.sessionId !== null && hit.sessionId !== sessionId) continue;
      hits.push(hit);
      if (hits.length >= max) break;
    }
    return hits;
  }

  /** The customer's most recent conversation summary (the agent's context policy uses it), or null. */
  latestSummary(userId: string): SummaryRecord | null {
    const id = validId(userId, 'userId');
    const row = this.store.db
      .prepare<[string], { summary: string }>('SELECT summary FROM memory_summaries WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1')
      .get(id);
    return row ? (JSON.parse(row.summary) as SummaryRecord) : null;
  }

  /** A customer's stored conversation summaries, newest first (one session's when `sessionId` is given). */
  listSummaries(userIdInput: string, sessionIdInput?: string): SummaryView[] {
    const userId = validId(userIdInput, 'userId');
    const sessionId = sessionIdInput === undefined ? null : validId(sessionIdInput, 'sessionId');
    const rows = this.store.db
      .prepare<[string, string | null, string | null], { summary: string; session_id: string; event_count: number; first_timestamp: number; last_timestamp: number; created_at: number; stored_bytes: number }>(
        `SELECT s.summary, m.session_id, s.event_count, s.first_timestamp, s.last_timestamp, s.created_at, s.stored_bytes
         FROM memory_summaries s JOIN memory_sessions m ON m.id = s.session_row
         WHERE s.user_id = ? AND (? IS NULL OR m.session_id = ?) ORDER BY s.created_at DESC, s.id DESC LIMIT 200`,
      )
      .all(userId, sessionId, sessionId);
    return rows.map((row) => ({
      ...(JSON.parse(row.summary) as SummaryRecord),
      sessionId: row.session_id,
      eventCount: row.event_count,
      firstTimestamp: row.first_timestamp,
      lastTimestamp: row.last_timestamp,
      createdAt: row.created_at,
      storedBytes: row.stored_bytes,
    }));
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
      const match = userId === undefined ? textOnlyMatch(query.query) : ftsQuery(userId, query.query);
      if (match === null) return { items: [], nextCursor: null };
      this.store.indexAllPending();
      filter(`id IN (SELECT rowid / 4 FROM memory_fts WHERE memory_fts MATCH ? AND rowid % 4 = ${searchSource.entry})`, match);
    }
    const sql = `SELECT ${ENTRY_META_COLUMNS} FROM memory_entries ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY user_id, session_id, key LIMIT ?`;
    let statement = this.listStatements.get(sql);
    if (!statement) {
      statement = this.store.db.prepare(sql) as unknown as Statement<unknown[], EntryMeta>;
      this.listStatements.set(sql, statement);
    }
    const rows = statement.all(...params, limit + 1);
    const page = rows.slice(0, limit);
    const items = page.map((row) => entryView(row, this.isHot(row) ? 'hot' : row.tier));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.user_id, last.session_id, last.key]) : null };
  }

  stats(): MemoryStats {
    const { store } = this;
    const usage = store.db.prepare('SELECT user_id, tier, bytes, entries FROM memory_usage ORDER BY user_id').all() as {
      user_id: string;
      tier: StoredTier;
      bytes: number;
      entries: number;
    }[];
    const customers = new Map<string, MemoryStats['customers'][number]>();
    const tiers: MemoryStats['tiers'] = { hot: store.hot.figures(), warm: { bytes: 0, entries: 0 }, cold: { bytes: 0, entries: 0 } };
    for (const row of usage) {
      let customer = customers.get(row.user_id);
      if (!customer) {
        customer = { userId: row.user_id, warm: { bytes: 0, entries: 0 }, cold: { bytes: 0, entries: 0 } };
        customers.set(row.user_id, customer);
      }
      customer[row.tier] = { bytes: row.bytes, entries: row.entries };
      tiers[row.tier].bytes += row.bytes;
      tiers[row.tier].entries += row.entries;
    }
    const lastRuns: MemoryStats['lastRuns'] = {};
    for (const row of store.db.prepare('SELECT task, last_run_at FROM memory_jobs').all() as { task: MaintenanceTask; last_run_at: number }[]) {
      lastRuns[row.task] = row.last_run_at;
    }
    const memory = process.memoryUsage();
    const { limits } = store;
    return {
      ...structuredClone(store.metrics),
      tiers,
      customers: [...customers.values()],
      limits: {
        hotSessionBytes: limits.hotSessionBytes,
        hotCapBytes: limits.hotCapBytes,
        warmUserBytes: limits.warmUserBytes,
        coldUserBytes: limits.coldUserBytes,
        warmTtlDays: limits.warmTtlMs / 86_400_000,
        coldRetentionDays: limits.coldRetentionMs / 86_400_000,
      },
      lastRuns,
      process: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external },
    };
  }

  /** Deletes every row of a customer in every tier, summaries and search index included, in one transaction. */
  deleteUserData(userId: string): DeletedCounts {
    return erase(this.store, validId(userId, 'userId'), null);
  }

  /** Everything kept about a customer, decoded, as JSON a person can read. */
  exportUserData(userId: string): CustomerExport {
    const id = validId(userId, 'userId');
    const { db } = this.store;
    const rows = db.prepare('SELECT * FROM memory_entries WHERE user_id = ? ORDER BY session_id, key').all(id) as EntryRow[];
    const memories = rows.map((row) => ({
      ...entryView(row, row.tier),
      value: parseJson(decompress(row.value, row.codec)),
      scope: row.session_id === '' ? ('customer' as const) : ('session' as const),
    }));
    const sessions = (
      db.prepare('SELECT id, session_id, title, created_at, summarized_at FROM memory_sessions WHERE user_id = ? ORDER BY created_at, id').all(id) as {
        id: number;
        session_id: string;
        title: string | null;
        created_at: number;
        summarized_at: number | null;
      }[]
    ).map((session) => {
      const events = (
        db.prepare('SELECT event_id, author, kind, content, turn_id, timestamp FROM memory_events WHERE session_row = ? ORDER BY seq').all(session.id) as EventRow[]
      ).map(eventFromRow);
      const summaries = (
        db.prepare('SELECT summary, codec, transcript FROM memory_summaries WHERE session_row = ? ORDER BY id').all(session.id) as {
          summary: string;
          codec: 'none' | 'brotli' | 'gzip';
          transcript: Buffer;
        }[]
      ).map((row) => ({
        ...(JSON.parse(row.summary) as SummaryRecord),
        events: JSON.parse(decompress(row.transcript, row.codec)) as SessionEvent[],
      }));
      return {
        userId: id,
        sessionId: session.session_id,
        title: session.title,
        createdAt: session.created_at,
        lastEventAt: events.at(-1)?.timestamp ?? null,
        eventCount: events.length,
        summarizedAt: session.summarized_at,
        events,
        summaries,
      };
    });
    return { userId: id, exportedAt: new Date(this.store.now()).toISOString(), memories, sessions };
  }

  runMaintenance(task: MaintenanceTask): Promise<MaintenanceReport> {
    if (!this.maintenance) throw new AppError('storage_unavailable', 'Memory maintenance is not running.');
    return this.maintenance(task);
  }

  private write(
    userId: string,
    sessionId: string | null,
    key: string,
    value: JsonValue,
    text: string,
    options: MemorizeOptions,
  ): MemoryValueView {
    const { store } = this;
    const { limits } = store;
    const size = Buffer.byteLength(text) + Buffer.byteLength(key);
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
    const tier: StoredTier = size < limits.warmEntryMaxBytes ? 'warm' : 'cold';
    const stored = tier === 'warm' ? text : compress(text);
    if (tier === 'cold') store.metrics.compressions++;
    const now = store.now();
    const row: EntryRow = {
      id: -1,
      user_id: userId,
      session_id: sessionId ?? '',
      key,
      tier,
      codec: tier === 'warm' ? 'none' : 'brotli',
      value: stored,
      size,
      stored_bytes: typeof stored === 'string' ? Buffer.byteLength(stored) : stored.length,
      created_at: now,
      updated_at: now,
      accessed_at: now,
      expires_at: options.ttlMs === undefined ? null : now + options.ttlMs,
      source_session_id: options.provenance?.sessionId ?? sessionId,
      source_turn_id: options.provenance?.turnId ?? null,
    };
    store.markIndexPending();
    const { id, usedAfter } = this.writeTransaction.immediate(row);
    row.id = id;
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    // The cached copy is parsed from the stored text, so the caller's object stays its own.
    if (size < limits.hotEntryMaxBytes) this.cacheHot(scopeKey, row, deepFreeze(parseJson(text)));
    else this.store.hot.deleteEntry(scopeKey, key);
    store.scheduleIndexing();
    store.events.emit('memory.changed', { userId, sessionId, key, change: 'put' });
    store.noteUsage(userId, sessionId, tier, usedAfter);
    return { ...entryView(row, tier), value };
  }

  private cacheHot(scopeKey: string, row: EntryMeta, value: JsonValue): void {
    this.store.hot.setEntry(scopeKey, row.key, {
      kind: 'entry',
      id: row.id,
      bytes: row.size * HEAP_FACTOR,
      result: Object.freeze({ ...entryView(row, 'hot'), value }),
    });
  }

  /** Brings a small cold entry back to warm on read, when warm has room without demoting others. */
  private promote(row: EntryRow, text: string, now: number): void {
    const { store } = this;
    const bytes = Buffer.byteLength(text);
    store.db.transaction(() => {
      if (store.usage(row.user_id, 'warm').bytes + bytes > store.limits.warmUserBytes) return;
      this.promoteRow.run(text, bytes, now, row.id);
      store.adjustUsage(row.user_id, 'cold', -row.stored_bytes, -1);
      store.adjustUsage(row.user_id, 'warm', bytes, 1);
      Object.assign(row, { tier: 'warm', codec: 'none', stored_bytes: bytes, accessed_at: now });
    }).immediate();
  }

  private isExpired(row: EntryMeta, now: number): boolean {
    if (row.expires_at !== null && row.expires_at <= now) return true;
    return row.tier === 'cold' && now - row.accessed_at >= this.store.limits.coldRetentionMs;
  }

  private isHot(row: EntryMeta): boolean {
    return this.store.hot.peekEntry(HotTier.scopeKey(row.user_id, row.session_id || null), row.key) !== undefined;
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
    for (const entry of this.store.hot.entries()) {
      const { value: _value, ...view } = entry.result;
      if (userId !== undefined && view.userId !== userId) continue;
      if (sessionId !== undefined && view.sessionId !== sessionId) continue;
      if (after && compareTuples(tuple(view), after) <= 0) continue;
      if (filters.keyContains !== undefined && !view.key.includes(filters.keyContains)) continue;
      if (filters.minBytes !== undefined && view.sizeBytes < filters.minBytes) continue;
      if (filters.updatedBefore !== undefined && view.updatedAt > filters.updatedBefore) continue;
      if (wanted !== null && !foldAccents(`${view.key} ${searchableText(entry.result.value)}`).includes(wanted)) continue;
      items.push({ ...view, tier: 'hot' });
    }
    items.sort((a, b) => compareTuples(tuple(a), tuple(b)));
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: items.length > limit && last ? encodeCursor(tuple(last)) : null };
  }

  private resolveHit(rowid: number): SearchHit | null {
    const id = Math.floor(rowid / 4);
    const source = rowid - id * 4;
    if (source === searchSource.entry) {
      const row = this.hitEntry.get(id);
      if (!row) return null;
      return {
        kind: 'memory',
        userId: row.user_id,
        sessionId: row.session_id === '' ? null : row.session_id,
        ref: row.key,
        text: preview(`${row.key}: ${searchableText(parseJson(decompress(row.value, row.codec)))}`),
        timestamp: row.updated_at,
      };
    }
    if (source === searchSource.event) {
      const row = this.hitEvent.get(id);
      if (!row) return null;
      return {
        kind: 'message',
        userId: row.user_id,
        sessionId: row.session_id,
        ref: row.event_id,
        text: preview(searchableText(parseJson(row.content))),
        timestamp: row.timestamp,
      };
    }
    const row = this.hitSummary.get(id);
    if (!row) return null;
    return {
      kind: 'summary',
      userId: row.user_id,
      sessionId: row.session_id,
      ref: String(id),
      text: preview((JSON.parse(row.summary) as SummaryRecord).summary),
      timestamp: row.created_at,
    };
  }
}

export interface EventRow {
  event_id: string;
  author: string;
  kind: SessionEvent['kind'];
  content: string;
  turn_id: string | null;
  timestamp: number;
}

export function eventFromRow(row: EventRow): SessionEvent {
  return {
    id: row.event_id,
    author: row.author,
    kind: row.kind,
    content: parseJson(row.content),
    turnId: row.turn_id,
    timestamp: row.timestamp,
  };
}

function textOnlyMatch(query: string): string | null {
  const match = ftsQuery('', query);
  return match === null ? null : match.replace(/^scope:"[^"]*" AND /, '');
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
