import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { foldAccents } from '@shared/text';
import type { Db } from '../../storage/database';
import { Statements } from '../statements';
import type { Clock } from '../../core/clock';
import { foldedWords, words } from '../text';

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

/** What the index holds, encoded in its rowid so one FTS table serves all three. */
export const searchSource = { entry: 0, event: 1, summary: 2 } as const;
export type SearchSource = keyof typeof searchSource;

export function searchRowid(source: SearchSource, id: number): number {
  return id * 4 + searchSource[source];
}

/** The row a search rowid stands for. */
export function fromSearchRowid(rowid: number): { source: SearchSource; id: number } {
  const id = Math.floor(rowid / 4);
  const code = rowid - id * 4;
  return { source: code === searchSource.entry ? 'entry' : code === searchSource.event ? 'event' : 'summary', id };
}

/**
 * The two columns of an index row. `scope` holds every word prefixed with the customer's token,
 * so a search within one customer reads only that customer's postings (and ranks them by that
 * customer's term frequencies) however many customers the file holds. `text` holds the plain
 * words, for the inspector's search across all customers.
 */
export function indexColumns(userId: string, text: string): { scope: string; text: string } {
  const folded = foldAccents(text);
  const token = scopeToken(userId);
  const terms = foldedWords(folded);
  let scoped = '';
  for (const term of terms) scoped += (scoped ? ' ' : '') + token + term;
  return { scope: scoped, text: terms.join(' ') };
}

/** Rows the index is built from; their owners (entries, sessions, summaries) provide them. */
export interface IndexSources {
  /** The searchable text of one entry, or null when it is gone. */
  entryText(id: number): { userId: string; text: string } | null;
  /** Entries changed at or after a time (a run that crashed may not have indexed them). */
  entryIdsUpdatedSince(time: number): number[];
  /** Entry ids after `id`, ascending (rebuilding the index). */
  entryIdsAfter(id: number, limit: number): number[];
  /** Events after `seq`, ascending; `text` is null for kinds that are not searched. */
  eventsAfter(seq: number, limit: number): { seq: number; userId: string; text: string | null }[];
  /** The newest event's seq, 0 when there is none. */
  lastEventSeq(): number;
  /** Summaries after `id`, ascending, with their searchable text (rebuilding the index). */
  summariesAfter(id: number, limit: number): { id: number; userId: string; text: string }[];
}

const INDEX_BATCH = 500;
const INDEX_DELAY_MS = 500;
/** After a failed background batch (full disk, damaged file), the next try. */
const INDEX_RETRY_MS = 30_000;
const REBUILD_DELAY_MS = 5;
/** The layout of `indexColumns`; files indexed before it (customer token + plain text) are rebuilt in the background. */
const FORMAT = 2;

type Meta =
  | 'events_indexed_through'
  | 'entries_unindexed_since'
  | 'search_format'
  | 'rebuild_entries_after'
  | 'rebuild_events_after'
  | 'rebuild_events_through'
  | 'rebuild_summaries_after';

/**
 * The search index (`memory_fts`, contentless FTS5) and its watermarks in `memory_meta`. Entries
 * and messages are indexed in batches after they are committed, so a write stays one cheap
 * transaction; every search first brings the index up to date, and watermarks in SQLite make
 * sure a crash only delays indexing.
 */
export class SearchIndex {
  private readonly sql: Statements;
  /** Cancels the pending batch timer; null when none is set. */
  private indexTimer: (() => void) | null = null;
  /** Whether writes may be waiting (true at start: a crash may have left some). */
  private dirty = true;
  /** Entries written since the last flush. */
  private readonly unindexedEntries = new Set<number>();
  /** Whether the "unindexed since" marker is committed, so a crash cannot lose the set above. */
  private markerCommitted = false;
  /** While an index of the previous layout is being rebuilt; searches also match the old rows then. */
  private rebuilding = false;
  private readonly insertStatement;
  private readonly deleteStatement;
  private readonly metaGet;
  private readonly metaSet;
  private readonly metaDelete;
  private readonly rankedStatement;
  /** The last background batch failed. */
  private failing = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly sources: IndexSources,
    /**
     * Told when a background batch fails (a full disk, a damaged file); the batch is tried again
     * later. `repeated`: the batch before failed too (the fault lasts).
     */
    private readonly onError: (error: unknown, repeated: boolean) => void = () => undefined,
  ) {
    this.sql = new Statements(db);
    this.insertStatement = db.prepare<[number, string, string]>('INSERT INTO memory_fts (rowid, scope, text) VALUES (?, ?, ?)');
    this.deleteStatement = db.prepare<[number]>('DELETE FROM memory_fts WHERE rowid = ?');
    this.metaGet = db.prepare<[Meta], { value: number }>('SELECT value FROM memory_meta WHERE name = ?');
    this.metaSet = db.prepare<[Meta, number]>(
      'INSERT INTO memory_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.metaDelete = db.prepare<[Meta]>('DELETE FROM memory_meta WHERE name = ?');
    this.rankedStatement = db.prepare<[string, number], { rowid: number }>(
      'SELECT rowid FROM memory_fts WHERE memory_fts MATCH ? ORDER BY rank LIMIT ?',
    );
  }

  /**
   * At start (once the sources exist): entries a crashed run had not indexed are queued again,
   * and an index of the previous layout starts rebuilding in the background.
   */
  recover(): void {
    this.checkFormat();
    this.recoverUnindexed();
  }

  // ---- writing ------------------------------------------------------------------------------

  /** Indexes one row now, inside the caller's transaction (summaries, which are written rarely). */
  index(source: SearchSource, id: number, userId: string, text: string): void {
    const columns = indexColumns(userId, text);
    this.insertStatement.run(searchRowid(source, id), columns.scope, columns.text);
  }

  unindex(source: SearchSource, id: number): void {
    this.deleteStatement.run(searchRowid(source, id));
  }

  unindexAll(source: SearchSource, ids: Iterable<number>): void {
    for (const id of ids) this.deleteStatement.run(searchRowid(source, id));
  }

  /**
   * Called before an entry write: makes sure SQLite records since when entries may be unindexed
   * (one small write per flush cycle, not per entry), so a restart after a crash re-indexes them.
   */
  markEntriesPending(): void {
    if (this.markerCommitted) return;
    this.metaSet.run('entries_unindexed_since', this.clock.now());
    // Inside a caller's transaction the marker could still roll back: write it again next time.
    if (!this.db.inTransaction) this.markerCommitted = true;
  }

  /** Queues a written entry for (re)indexing shortly; search flushes the queue first. */
  entryWritten(entryId: number): void {
    this.unindexedEntries.add(entryId);
    this.schedule();
  }

  /** A searchable event was committed: it is indexed with the next batch. */
  eventsAppended(): void {
    this.schedule();
  }

  /**
   * Events were deleted: if the newest ones went, the next events reuse their seqs, so the
   * watermark comes down to the newest remaining event and those are indexed too.
   */
  eventsDeleted(): void {
    const through = this.metaGet.get('events_indexed_through')?.value ?? 0;
    const last = this.sources.lastEventSeq();
    if (last < through) this.metaSet.run('events_indexed_through', last);
  }

  /** Brings the index up to date with every committed write, in bounded batches. */
  flush(): void {
    if (this.dirty) {
      this.clearTimer();
      for (let batch = 0; batch < 100_000 && this.indexPendingEvents(INDEX_BATCH) + this.indexQueuedEntries(INDEX_BATCH) > 0; batch++);
      this.dirty = false;
      // The rebuild, if any, goes on in the background.
      if (this.rebuilding) this.arm(REBUILD_DELAY_MS);
    }
  }

  /** Stops the timer and indexes what is pending (when the file is still open). */
  close(): void {
    try {
      if (this.db.open) this.flush();
    } catch (error) {
      // A full disk or a read-only (damaged) file: what is not indexed is found again at the next start.
      this.onError(error, this.failing);
    } finally {
      this.clearTimer();
    }
  }

  // ---- searching ----------------------------------------------------------------------------

  /**
   * An FTS5 query for every word of `query` within one customer, or across customers when
   * `userId` is null; null if the query has no words. Whole words only: a prefix term
   * makes FTS5 merge every matching term's list.
   */
  match(userId: string | null, query: string): string | null {
    const terms = words(query).slice(0, 16);
    if (terms.length === 0) return null;
    const plain = terms.map((term) => `text:"${term}"`).join(' AND ');
    if (userId === null) return plain;
    const token = scopeToken(userId);
    const scoped = terms.map((term) => `scope:"${token}${term}"`).join(' AND ');
    // Rows of the previous layout hold the token alone in `scope` and the words in `text`.
    return this.rebuilding ? `(${scoped}) OR (scope:"${token}" AND ${plain})` : scoped;
  }

  /** Best matches first (bm25), at most `limit`; the index is brought up to date first. */
  ranked(match: string, limit: number): { source: SearchSource; id: number }[] {
    this.flush();
    return this.rankedStatement.all(match, limit).map((row) => fromSearchRowid(row.rowid));
  }

  /**
   * A condition on `memory_entries.id` for entries matching `match`, to embed in a listing
   * query (one statement, so paging stays an index walk); the index is brought up to date first.
   */
  entryCondition(match: string): { sql: string; param: string } {
    this.flush();
    return {
      sql: `id IN (SELECT rowid / 4 FROM memory_fts WHERE memory_fts MATCH ? AND rowid % 4 = ${searchSource.entry})`,
      param: match,
    };
  }

  // ---- batches ------------------------------------------------------------------------------

  private schedule(): void {
    this.dirty = true;
    this.arm(INDEX_DELAY_MS);
  }

  private arm(delay: number): void {
    if (this.indexTimer !== null) return;
    this.indexTimer = this.clock.schedule(() => this.tick(), delay);
  }

  /** One batch per tick, so the main thread is never held long; then the rebuild, if any, one step at a time. */
  private tick(): void {
    this.indexTimer = null;
    if (!this.db.open) return;
    try {
      this.indexBatch();
      this.failing = false;
    } catch (error) {
      // A timer callback must never throw (it would end the process): the index is derived, so the
      // batch waits and is tried again; searches flush first and report the fault themselves.
      this.onError(error, this.failing);
      this.failing = true;
      this.arm(INDEX_RETRY_MS);
    }
  }

  private indexBatch(): void {
    if (this.dirty) {
      if (this.indexPendingEvents(INDEX_BATCH) + this.indexQueuedEntries(INDEX_BATCH) > 0) {
        this.arm(INDEX_DELAY_MS);
        return;
      }
      this.dirty = false;
    }
    if (this.rebuilding) {
      this.rebuildStep(INDEX_BATCH);
      if (this.rebuilding) this.arm(REBUILD_DELAY_MS);
    }
  }

  private clearTimer(): void {
    this.indexTimer?.();
    this.indexTimer = null;
  }

  /** At start: entries written since the marker of a run that did not flush are indexed again. */
  private recoverUnindexed(): void {
    const since = this.metaGet.get('entries_unindexed_since')?.value ?? 0;
    if (since <= 0) return;
    // An hour of margin covers a clock set back a little between writes.
    for (const id of this.sources.entryIdsUpdatedSince(since - 3600_000)) this.unindexedEntries.add(id);
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
      for (const id of batch) this.reindexEntry(id);
      if (batch.length === this.unindexedEntries.size) this.metaSet.run('entries_unindexed_since', 0);
    })();
    for (const id of batch) this.unindexedEntries.delete(id);
    if (this.unindexedEntries.size === 0) this.markerCommitted = false;
    return batch.length;
  }

  private reindexEntry(id: number): void {
    this.unindex('entry', id);
    const entry = this.sources.entryText(id);
    if (entry) this.index('entry', id, entry.userId, entry.text);
  }

  /** Messages after the watermark, in one transaction with the watermark's move. */
  private indexPendingEvents(maxRows: number): number {
    return this.db.transaction(() => {
      const through = this.metaGet.get('events_indexed_through')?.value ?? 0;
      const rows = this.sources.eventsAfter(through, maxRows);
      for (const row of rows) if (row.text !== null) this.index('event', row.seq, row.userId, row.text);
      if (rows.length > 0) this.metaSet.run('events_indexed_through', rows[rows.length - 1]!.seq);
      return rows.length;
    })();
  }

  // ---- layout upgrade -----------------------------------------------------------------------

  /** A file indexed with the previous layout is rebuilt row by row in the background; an empty one just takes the new layout. */
  private checkFormat(): void {
    this.db
      .transaction(() => {
        const format = this.metaGet.get('search_format')?.value ?? 1;
        if (format >= FORMAT) return;
        if (this.metaGet.get('rebuild_entries_after') === undefined) {
          const empty = this.sql.get('SELECT rowid FROM memory_fts LIMIT 1').get() === undefined;
          if (empty) {
            this.metaSet.run('search_format', FORMAT);
            return;
          }
          this.metaSet.run('rebuild_entries_after', 0);
          this.metaSet.run('rebuild_events_after', 0);
          this.metaSet.run('rebuild_events_through', this.metaGet.get('events_indexed_through')?.value ?? 0);
          this.metaSet.run('rebuild_summaries_after', 0);
        }
        this.rebuilding = true;
      })
      .immediate();
    if (this.rebuilding) this.arm(REBUILD_DELAY_MS);
  }

  /** One bounded step of the rebuild: entries, then indexed events, then summaries, each from its cursor. */
  private rebuildStep(maxRows: number): number {
    return this.db
      .transaction(() => {
        const entriesAfter = this.metaGet.get('rebuild_entries_after')?.value ?? -1;
        if (entriesAfter >= 0) {
          const ids = this.sources.entryIdsAfter(entriesAfter, maxRows);
          for (const id of ids) this.reindexEntry(id);
          this.metaSet.run('rebuild_entries_after', ids.length < maxRows ? -1 : ids[ids.length - 1]!);
          return Math.max(ids.length, 1);
        }
        const eventsAfter = this.metaGet.get('rebuild_events_after')?.value ?? -1;
        if (eventsAfter >= 0) {
          const through = this.metaGet.get('rebuild_events_through')?.value ?? 0;
          const rows = this.sources.eventsAfter(eventsAfter, maxRows).filter((row) => row.seq <= through);
          for (const row of rows) {
            this.unindex('event', row.seq);
            if (row.text !== null) this.index('event', row.seq, row.userId, row.text);
          }
          this.metaSet.run('rebuild_events_after', rows.length < maxRows ? -1 : rows[rows.length - 1]!.seq);
          return Math.max(rows.length, 1);
        }
        const summariesAfter = this.metaGet.get('rebuild_summaries_after')?.value ?? -1;
        if (summariesAfter >= 0) {
          const rows = this.sources.summariesAfter(summariesAfter, maxRows);
          for (const row of rows) {
            this.unindex('summary', row.id);
            this.index('summary', row.id, row.userId, row.text);
          }
          this.metaSet.run('rebuild_summaries_after', rows.length < maxRows ? -1 : rows[rows.length - 1]!.id);
          return Math.max(rows.length, 1);
        }
        for (const name of ['rebuild_entries_after', 'rebuild_events_after', 'rebuild_events_through', 'rebuild_summaries_after'] as const) {
          this.metaDelete.run(name);
        }
        this.metaSet.run('search_format', FORMAT);
        this.rebuilding = false;
        return 0;
      })
      .immediate();
  }
}
