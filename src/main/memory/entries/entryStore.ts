import type { Codec, JsonValue, LearnedAt, MemoryEntryView, MemoryTier, SearchHit, StoredTier } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { Db } from '../../storage/database';
import { Statements } from '../statements';
import type { Clock } from '../../core/clock';
import { noChangeFeed, type ChangeFeed } from '../changeFeed';
import { compress, decompress } from '../codec';
import { HotTier } from '../hotTier';
import type { MemoryLimits } from '../limits';
import type { Metrics } from '../metrics';
import type { SearchIndex } from '../search/searchIndex';
import { preview, searchableText } from '../text';
import { UsageLedger } from '../usage/ledger';

/**
 * How a new value is stored: warm as plain text when the entry (`size`: value text plus key) is
 * under the warm limit, else cold, brotli-compressed. `textBytes` is the value text's UTF-8 length.
 */
export function storedForm(
  text: string,
  textBytes: number,
  size: number,
  limits: Readonly<MemoryLimits>,
): Pick<EntryRow, 'tier' | 'codec' | 'value' | 'stored_bytes'> {
  if (size < limits.warmEntryMaxBytes) return { tier: 'warm', codec: 'none', value: text, stored_bytes: textBytes };
  const value = compress(text);
  return { tier: 'cold', codec: 'brotli', value, stored_bytes: value.length };
}

/** A row of `memory_entries`: one key → JSON value of a customer (`session_id` '' when customer-wide). */
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
  /** The sync stamp (last writer wins) of a customer-wide entry; null when it was never shared. */
  hlc: string | null;
  /** Where another desk learned it (null: learned here). */
  origin_desk: string | null;
  origin_store: string | null;
  origin_at: number | null;
}

export type EntryMeta = Omit<EntryRow, 'value'>;

/** Every column but the value, for listings that must not load values. */
const META_COLUMNS =
  'id, user_id, session_id, key, tier, codec, size, stored_bytes, created_at, updated_at, accessed_at, expires_at, source_session_id, source_turn_id, hlc, origin_desk, origin_store, origin_at';

const DEMOTION_BATCH = 64;

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
    learnedAt: learnedAt(row),
  };
}

/** Where another desk learned the entry (synced from the hub); undefined (left out of the view) when it was learned here. */
export function learnedAt(row: Pick<EntryMeta, 'origin_desk' | 'origin_store' | 'origin_at'>): LearnedAt | undefined {
  return row.origin_desk === null ? undefined : { deskName: row.origin_desk, store: row.origin_store ?? '', at: row.origin_at ?? 0 };
}

export function valueOf(row: Pick<EntryRow, 'value' | 'codec'>): JsonValue {
  return JSON.parse(decompress(row.value, row.codec)) as JsonValue;
}

/**
 * Memory entries (`memory_entries`) and the moves between tiers: warm rows are plain, cold rows
 * brotli-compressed; a full warm quota demotes the least recently read entries, a read brings a
 * small cold entry back. Every change keeps the usage ledger, the search index and the hot cache
 * in step, inside the caller's transaction.
 */
export class EntryStore {
  private readonly sql: Statements;
  private readonly selectRow;
  private readonly selectMeta;
  private readonly selectExisting;
  private readonly selectById;
  private readonly insertRow;
  private readonly updateRow;
  private readonly touchRow;
  private readonly promoteRow;
  private readonly demoteRow;
  private readonly deleteRow;
  private readonly demotionCandidates;
  private readonly expiredOfUser;
  private readonly writeTransaction;

  constructor(
    private readonly db: Db,
    private readonly limits: Readonly<MemoryLimits>,
    private readonly clock: Clock,
    private readonly ledger: UsageLedger,
    private readonly search: SearchIndex,
    private readonly hot: HotTier,
    private readonly metrics: Metrics,
    /** Told when a shared entry's time-to-live passed and it was deleted (sync keeps its stamp). */
    private readonly feed: ChangeFeed = noChangeFeed,
  ) {
    this.sql = new Statements(db);
    this.selectRow = db.prepare<[string, string, string], EntryRow>('SELECT * FROM memory_entries WHERE user_id = ? AND session_id = ? AND key = ?');
    this.selectMeta = db.prepare<[string, string, string], EntryMeta>(
      `SELECT ${META_COLUMNS} FROM memory_entries WHERE user_id = ? AND session_id = ? AND key = ?`,
    );
    this.selectExisting = db.prepare<[string, string, string], { id: number; tier: StoredTier; stored_bytes: number; created_at: number }>(
      'SELECT id, tier, stored_bytes, created_at FROM memory_entries WHERE user_id = ? AND session_id = ? AND key = ?',
    );
    this.selectById = db.prepare<[number], EntryRow>('SELECT * FROM memory_entries WHERE id = ?');
    // A new key, charged to its tier's quota by the ledger's insert trigger.
    this.insertRow = db.prepare<
      [
        string,
        string,
        string,
        StoredTier,
        Codec,
        Buffer | string,
        number,
        number,
        number,
        number,
        number,
        number | null,
        string | null,
        string | null,
        string | null,
        string | null,
        string | null,
        number | null,
      ]
    >(
      `INSERT INTO memory_entries (user_id, session_id, key, tier, codec, value, size, stored_bytes, created_at, updated_at,
         accessed_at, expires_at, source_session_id, source_turn_id, hlc, origin_desk, origin_store, origin_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, session_id, key) DO NOTHING`,
    );
    this.updateRow = db.prepare<
      [
        StoredTier,
        Codec,
        Buffer | string,
        number,
        number,
        number,
        number,
        number | null,
        string | null,
        string | null,
        string | null,
        string | null,
        string | null,
        number | null,
        number,
      ]
    >(
      `UPDATE memory_entries SET tier = ?, codec = ?, value = ?, size = ?, stored_bytes = ?, updated_at = ?, accessed_at = ?,
         expires_at = ?, source_session_id = ?, source_turn_id = ?, hlc = ?, origin_desk = ?, origin_store = ?, origin_at = ? WHERE id = ?`,
    );
    this.touchRow = db.prepare<[number, number]>('UPDATE memory_entries SET accessed_at = ? WHERE id = ?');
    this.promoteRow = db.prepare<[string, number, number, number]>(
      "UPDATE memory_entries SET tier = 'warm', codec = 'none', value = ?, stored_bytes = ?, accessed_at = ? WHERE id = ?",
    );
    this.demoteRow = db.prepare<[Buffer, number, number]>(
      "UPDATE memory_entries SET tier = 'cold', codec = 'brotli', value = ?, stored_bytes = ? WHERE id = ?",
    );
    this.deleteRow = db.prepare<[number]>('DELETE FROM memory_entries WHERE id = ?');
    this.demotionCandidates = db.prepare<[string, number], EntryRow>(
      `SELECT * FROM memory_entries WHERE user_id = ? AND tier = 'warm' AND id != ? ORDER BY accessed_at LIMIT ${DEMOTION_BATCH}`,
    );
    this.expiredOfUser = db.prepare<[string, number, number], EntryMeta>(
      `SELECT ${META_COLUMNS} FROM memory_entries
       WHERE user_id = ? AND ((expires_at IS NOT NULL AND expires_at <= ?) OR (tier = 'cold' AND accessed_at <= ?))`,
    );
    this.writeTransaction = db.transaction((row: EntryRow): { id: number; usedAfter: number } => {
      const existing = this.selectExisting.get(row.user_id, row.session_id, row.key);
      if (!existing) {
        // A new key the insert trigger refused: room first (the new row is not there yet to be demoted), then the insert.
        ledger.makeRoomFor(row.user_id, row.tier, row.stored_bytes);
        const inserted = this.insertNew(row);
        if (!inserted) throw ledger.quotaExceeded(row.user_id, row.tier, row.stored_bytes);
        return inserted;
      }
      // A rewrite in the same tier is charged only the difference.
      const sameTier = existing.tier === row.tier;
      if (!sameTier) ledger.adjust(row.user_id, existing.tier, -existing.stored_bytes, -1);
      const usedAfter = ledger.charge(
        row.user_id,
        row.tier,
        sameTier ? row.stored_bytes - existing.stored_bytes : row.stored_bytes,
        sameTier ? 0 : 1,
        existing.id,
      );
      row.created_at = existing.created_at;
      this.updateRow.run(
        row.tier,
        row.codec,
        row.value,
        row.size,
        row.stored_bytes,
        row.updated_at,
        row.accessed_at,
        row.expires_at,
        row.source_session_id,
        row.source_turn_id,
        row.hlc,
        row.origin_desk,
        row.origin_store,
        row.origin_at,
        existing.id,
      );
      return { id: existing.id, usedAfter };
    });
  }

  // ---- reads --------------------------------------------------------------------------------

  find(userId: string, sessionKey: string, key: string): EntryRow | undefined {
    return this.selectRow.get(userId, sessionKey, key);
  }

  findMeta(userId: string, sessionKey: string, key: string): EntryMeta | undefined {
    return this.selectMeta.get(userId, sessionKey, key);
  }

  byId(id: number): EntryRow | undefined {
    return this.selectById.get(id);
  }

  /** Records a read (the access time drives demotion and cold retention). */
  touch(id: number, now: number): void {
    this.touchRow.run(now, id);
  }

  isExpired(row: EntryMeta, now: number): boolean {
    if (row.expires_at !== null && row.expires_at <= now) return true;
    return row.tier === 'cold' && now - row.accessed_at >= this.limits.coldRetentionMs;
  }

  /** A page of entry metadata: `where` conditions with their parameters, ordered by (customer, session, key). */
  page(where: readonly string[], params: readonly unknown[], limit: number): EntryMeta[] {
    const sql = `SELECT ${META_COLUMNS} FROM memory_entries ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY user_id, session_id, key LIMIT ?`;
    return this.sql.get<unknown[], EntryMeta>(sql).all(...params, limit);
  }

  // ---- writes -------------------------------------------------------------------------------

  /**
   * Inserts or replaces an entry, committed with its charge to the quota; returns the row id and
   * the tier's use after the write. A new key that fits is one statement (the insert trigger
   * charges it); a rewrite, or a new key that needs room, is one transaction (a savepoint inside
   * the caller's).
   */
  write(row: EntryRow, exists = false): { id: number; usedAfter: number } {
    this.search.markEntriesPending();
    // `exists`: the caller just saw the key (a change from another desk), so no insert is tried first.
    const written = (exists ? null : this.insertNew(row)) ?? this.writeTransaction.immediate(row);
    this.search.entryWritten(written.id);
    return written;
  }

  /** Inserts a new key; null when the key exists or its quota would be passed (nothing written). */
  private insertNew(row: EntryRow): { id: number; usedAfter: number } | null {
    try {
      const inserted = this.insertRow.run(
        row.user_id,
        row.session_id,
        row.key,
        row.tier,
        row.codec,
        row.value,
        row.size,
        row.stored_bytes,
        row.created_at,
        row.updated_at,
        row.accessed_at,
        row.expires_at,
        row.source_session_id,
        row.source_turn_id,
        row.hlc,
        row.origin_desk,
        row.origin_store,
        row.origin_at,
      );
      if (inserted.changes === 0) return null;
      return { id: Number(inserted.lastInsertRowid), usedAfter: this.ledger.inserted(row.user_id, row.tier, row.stored_bytes) };
    } catch (error) {
      if (UsageLedger.refusedInsert(error)) return null;
      throw error;
    }
  }

  /** Deletes an entry and everything kept for it, inside the caller's transaction. */
  delete(row: EntryMeta): void {
    this.deleteRow.run(row.id);
    this.search.unindex('entry', row.id);
    this.ledger.adjust(row.user_id, row.tier, -row.stored_bytes, -1);
    this.hot.deleteEntry(HotTier.scopeKey(row.user_id, row.session_id || null), row.key);
  }

  /**
   * Deletes an entry whose time-to-live or retention passed, inside the caller's transaction. A
   * shared entry whose TTL passed leaves its stamp with sync (every desk deletes it at that time).
   */
  deleteExpired(row: EntryMeta, now: number): void {
    this.delete(row);
    if (row.hlc !== null && row.session_id === '' && row.expires_at !== null && row.expires_at <= now && this.feed.active)
      this.feed.memoryExpired(row.user_id, row.key, row.hlc);
  }

  /** Deletes a customer's expired entries (TTL passed, or cold past retention), inside the caller's transaction. */
  deleteExpiredOf(userId: string): { deleted: number; bytes: number } {
    const now = this.clock.now();
    let deleted = 0;
    let bytes = 0;
    for (const row of this.expiredOfUser.all(userId, now, now - this.limits.coldRetentionMs)) {
      this.deleteExpired(row, now);
      deleted++;
      bytes += row.stored_bytes;
    }
    return { deleted, bytes };
  }

  // ---- tiers --------------------------------------------------------------------------------

  /** Moves one warm entry to cold, compressed; the caller holds the transaction. Returns the bytes saved. */
  demote(row: EntryRow): number {
    const stored = compress(decompress(row.value, row.codec));
    this.ledger.ensureRoom(row.user_id, 'cold', stored.length);
    this.demoteRow.run(stored, stored.length, row.id);
    this.ledger.adjust(row.user_id, 'warm', -row.stored_bytes, -1);
    this.ledger.adjust(row.user_id, 'cold', stored.length, 1);
    this.hot.deleteEntry(HotTier.scopeKey(row.user_id, row.session_id || null), row.key);
    this.metrics.compressed();
    return row.stored_bytes - stored.length;
  }

  /**
   * Demotes one entry (if still there) in its own savepoint, so a refusal (cold quota full,
   * `quota_exceeded`) undoes only this one; returns the bytes saved.
   */
  demoteById(id: number): number {
    return this.db.transaction(() => {
      const row = this.selectById.get(id);
      return row ? this.demote(row) : 0;
    })();
  }

  /** Demotes the least recently read warm entries until `fits()`, or until cold is full too. */
  demoteWarm(userId: string, protectedEntryId: number, fits: () => boolean): void {
    for (let round = 0; !fits() && round < 10_000; round++) {
      const candidates = this.demotionCandidates.all(userId, protectedEntryId);
      if (candidates.length === 0) return;
      try {
        for (const row of candidates) {
          this.demote(row);
          if (fits()) return;
        }
      } catch (error) {
        if (error instanceof AppError && error.code === 'quota_exceeded') return;
        throw error;
      }
    }
  }

  /** Brings a small cold entry back to warm on read, when warm has room without demoting others. */
  promote(row: EntryRow, text: string, now: number): void {
    const bytes = Buffer.byteLength(text);
    this.db
      .transaction(() => {
        if (this.ledger.usage(row.user_id, 'warm').bytes + bytes > this.limits.warmUserBytes) return;
        this.promoteRow.run(text, bytes, now, row.id);
        this.ledger.adjust(row.user_id, 'cold', -row.stored_bytes, -1);
        this.ledger.adjust(row.user_id, 'warm', bytes, 1);
        Object.assign(row, { tier: 'warm', codec: 'none', stored_bytes: bytes, accessed_at: now });
      })
      .immediate();
  }

  // ---- maintenance --------------------------------------------------------------------------

  /** Entries whose TTL passed by `now`, a batch at a time. */
  expiredBatch(now: number, limit: number): EntryMeta[] {
    return this.sql
      .get<[number, number], EntryMeta>(`SELECT ${META_COLUMNS} FROM memory_entries WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?`)
      .all(now, limit);
  }

  /** Cold entries with ids in (from, to] not read since `cutoff`. */
  staleColdIn(from: number, to: number, cutoff: number): EntryMeta[] {
    return this.sql
      .get<[number, number, number], EntryMeta>(
        `SELECT ${META_COLUMNS} FROM memory_entries WHERE id > ? AND id <= ? AND tier = 'cold' AND accessed_at <= ? ORDER BY id`,
      )
      .all(from, to, cutoff);
  }

  /** Warm entries with ids in (from, to] not read since `cutoff`. */
  idleWarmIn(from: number, to: number, cutoff: number): EntryMeta[] {
    return this.sql
      .get<[number, number, number], EntryMeta>(
        `SELECT ${META_COLUMNS} FROM memory_entries WHERE id > ? AND id <= ? AND tier = 'warm' AND accessed_at <= ? ORDER BY id`,
      )
      .all(from, to, cutoff);
  }

  maxId(): number {
    return this.sql.get<[], { id: number | null }>('SELECT max(id) AS id FROM memory_entries').get()?.id ?? 0;
  }

  // ---- search -------------------------------------------------------------------------------

  /** An entry's searchable text: its key and the text of its value. */
  textForIndex(id: number): { userId: string; text: string } | null {
    const row = this.sql
      .get<[number], Pick<EntryRow, 'user_id' | 'key' | 'value' | 'codec'>>('SELECT user_id, key, value, codec FROM memory_entries WHERE id = ?')
      .get(id);
    return row ? { userId: row.user_id, text: `${row.key} ${searchableText(valueOf(row))}` } : null;
  }

  idsUpdatedSince(time: number): number[] {
    return this.sql
      .get<[number], { id: number }>('SELECT id FROM memory_entries WHERE updated_at >= ?')
      .all(time)
      .map((row) => row.id);
  }

  idsAfter(id: number, limit: number): number[] {
    return this.sql
      .get<[number, number], { id: number }>('SELECT id FROM memory_entries WHERE id > ? ORDER BY id LIMIT ?')
      .all(id, limit)
      .map((row) => row.id);
  }

  /** An entry as a search hit, or null when it is gone. */
  hit(id: number): SearchHit | null {
    const row = this.selectById.get(id);
    if (!row) return null;
    return {
      kind: 'memory',
      userId: row.user_id,
      sessionId: row.session_id === '' ? null : row.session_id,
      ref: row.key,
      text: preview(`${row.key}: ${searchableText(valueOf(row))}`),
      timestamp: row.updated_at,
    };
  }

  // ---- a customer's data (export, erase) ----------------------------------------------------

  /** Every entry of a customer, ordered by session and key, for the export. */
  allOf(userId: string): EntryRow[] {
    return this.sql.get<[string], EntryRow>('SELECT * FROM memory_entries WHERE user_id = ? ORDER BY session_id, key').all(userId);
  }

  /** The values of one session's entries of a customer (decompressed), ordered by key; none for '' (customer-wide is not a session). */
  sessionValuesOf(userId: string, sessionId: string): JsonValue[] {
    if (sessionId === '') return [];
    return this.sql
      .get<[string, string], Pick<EntryRow, 'value' | 'codec'>>(
        'SELECT value, codec FROM memory_entries WHERE user_id = ? AND session_id = ? ORDER BY key',
      )
      .all(userId, sessionId)
      .map(valueOf);
  }

  /**
   * Deletes the entries of a customer (`sessionId` null) or of one session, inside the caller's
   * transaction; returns how many and the bytes they held per tier (the hot cache is the caller's).
   */
  erase(userId: string, sessionId: string | null): { memories: number; released: { tier: StoredTier; bytes: number; n: number }[] } {
    const filter = sessionId === null ? 'user_id = ?' : 'user_id = ? AND session_id = ?';
    const args = sessionId === null ? [userId] : [userId, sessionId];
    const rows = this.sql.get(`SELECT id, tier, stored_bytes FROM memory_entries WHERE ${filter}`).all(...args) as {
      id: number;
      tier: StoredTier;
      stored_bytes: number;
    }[];
    const released = { warm: { tier: 'warm' as const, bytes: 0, n: 0 }, cold: { tier: 'cold' as const, bytes: 0, n: 0 } };
    for (const row of rows) {
      this.search.unindex('entry', row.id);
      released[row.tier].bytes += row.stored_bytes;
      released[row.tier].n++;
    }
    this.sql.get(`DELETE FROM memory_entries WHERE ${filter}`).run(...args);
    return { memories: rows.length, released: [released.warm, released.cold] };
  }
}
