import type { Codec, SearchHit, SessionEvent, SummaryRecord, SummaryView } from '@shared/contract/memory';
import type { Db } from '../../storage/database';
import { Statements } from '../statements';
import type { Clock } from '../../core/clock';
import type { MemoryLimits } from '../limits';
import type { SearchIndex } from '../search/searchIndex';
import { preview } from '../text';
import type { UsageLedger } from '../usage/ledger';
import { summaryLearnedAt, summaryLine, summarySearchText, unpackArchive, type PackedSummary } from './archive';

/** A row of `memory_summaries`: one summarized conversation (see `archive.ts` for the two columns' layout). */
export interface SummaryRow {
  id: number;
  session_row: number;
  user_id: string;
  summary: string;
  codec: Codec;
  transcript: Buffer;
  transcript_bytes: number;
  event_count: number;
  first_timestamp: number;
  last_timestamp: number;
  stored_bytes: number;
  created_at: number;
}

type ViewRow = Pick<
  SummaryRow,
  'summary' | 'codec' | 'transcript' | 'event_count' | 'first_timestamp' | 'last_timestamp' | 'created_at' | 'stored_bytes'
> & {
  session_id: string;
};

/** Summaries of old conversations (`memory_summaries`), kept in the cold tier until retention ends. */
export class SummaryStore {
  private readonly sql: Statements;
  private readonly insertStatement;
  private readonly latestStatement;
  private readonly listStatement;
  private readonly hitStatement;
  private readonly staleOfUser;
  private readonly staleBatchStatement;
  private readonly deleteStatement;
  private readonly afterStatement;

  constructor(
    db: Db,
    private readonly limits: Readonly<MemoryLimits>,
    private readonly clock: Clock,
    private readonly ledger: UsageLedger,
    private readonly search: SearchIndex,
  ) {
    this.sql = new Statements(db);
    this.insertStatement = db.prepare<[number, string, string, Buffer, number, number, number, number, number, number]>(
      `INSERT INTO memory_summaries (session_row, user_id, summary, codec, transcript, transcript_bytes, event_count,
         first_timestamp, last_timestamp, stored_bytes, created_at) VALUES (?, ?, ?, 'brotli', ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.latestStatement = db.prepare<[string], Pick<SummaryRow, 'summary' | 'codec' | 'transcript'>>(
      'SELECT summary, codec, transcript FROM memory_summaries WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1',
    );
    this.listStatement = db.prepare<[string, string | null, string | null], ViewRow>(
      `SELECT s.summary, s.codec, s.transcript, m.session_id, s.event_count, s.first_timestamp, s.last_timestamp, s.created_at, s.stored_bytes
       FROM memory_summaries s JOIN memory_sessions m ON m.id = s.session_row
       WHERE s.user_id = ? AND (? IS NULL OR m.session_id = ?) ORDER BY s.created_at DESC, s.id DESC LIMIT 200`,
    );
    this.hitStatement = db.prepare<[number], { summary: string; created_at: number; user_id: string; session_id: string }>(
      `SELECT m.summary, m.created_at, m.user_id, s.session_id FROM memory_summaries m
       JOIN memory_sessions s ON s.id = m.session_row WHERE m.id = ?`,
    );
    this.staleOfUser = db.prepare<[string, number], { id: number; user_id: string; stored_bytes: number }>(
      'SELECT id, user_id, stored_bytes FROM memory_summaries WHERE user_id = ? AND created_at <= ?',
    );
    this.staleBatchStatement = db.prepare<[number, number], { id: number; user_id: string; stored_bytes: number }>(
      'SELECT id, user_id, stored_bytes FROM memory_summaries WHERE created_at <= ? LIMIT ?',
    );
    this.deleteStatement = db.prepare<[number]>('DELETE FROM memory_summaries WHERE id = ?');
    this.afterStatement = db.prepare<[number, number], Pick<SummaryRow, 'id' | 'user_id' | 'summary' | 'codec' | 'transcript'>>(
      'SELECT id, user_id, summary, codec, transcript FROM memory_summaries WHERE id > ? ORDER BY id LIMIT ?',
    );
  }

  /**
   * Stores a packed summary in the cold tier and indexes it, inside the caller's transaction
   * (which also deletes the events it replaces); `quota_exceeded` when cold has no room.
   */
  add(input: {
    sessionRow: number;
    userId: string;
    record: SummaryRecord;
    packed: PackedSummary;
    events: readonly SessionEvent[];
    /** When it was made (another desk's summary, which comes without events); now by default. */
    createdAt?: number;
  }): number {
    const { packed, events } = input;
    const createdAt = input.createdAt ?? this.clock.now();
    const storedBytes = packed.transcript.length + Buffer.byteLength(packed.summaryJson);
    this.ledger.ensureRoom(input.userId, 'cold', storedBytes);
    const id = Number(
      this.insertStatement.run(
        input.sessionRow,
        input.userId,
        packed.summaryJson,
        packed.transcript,
        packed.transcript.length,
        events.length,
        events[0]?.timestamp ?? createdAt,
        events.at(-1)?.timestamp ?? createdAt,
        storedBytes,
        createdAt,
      ).lastInsertRowid,
    );
    this.search.index('summary', id, input.userId, summarySearchText(input.record));
    this.ledger.adjust(input.userId, 'cold', storedBytes, 1);
    return storedBytes;
  }

  /** The customer's most recent summary, or null. */
  latest(userId: string): SummaryRecord | null {
    const row = this.latestStatement.get(userId);
    if (!row) return null;
    const { events: _events, ...record } = unpackArchive(row.summary, row.codec, row.transcript);
    return record;
  }

  /** A customer's summaries, newest first (one session's when `sessionId` is given). */
  list(userId: string, sessionId: string | null): SummaryView[] {
    return this.listStatement.all(userId, sessionId, sessionId).map((row) => {
      const { events: _events, ...record } = unpackArchive(row.summary, row.codec, row.transcript);
      return {
        ...record,
        sessionId: row.session_id,
        eventCount: row.event_count,
        firstTimestamp: row.first_timestamp,
        lastTimestamp: row.last_timestamp,
        createdAt: row.created_at,
        storedBytes: row.stored_bytes,
        learnedAt: summaryLearnedAt(row.summary),
      };
    });
  }

  /** A summary as a search hit, or null when it is gone. */
  hit(id: number): SearchHit | null {
    const row = this.hitStatement.get(id);
    if (!row) return null;
    return {
      kind: 'summary',
      userId: row.user_id,
      sessionId: row.session_id,
      ref: String(id),
      text: preview(summaryLine(row.summary)),
      timestamp: row.created_at,
    };
  }

  /** Summaries after `id` with their searchable text (rebuilding the search index). */
  forIndex(afterId: number, limit: number): { id: number; userId: string; text: string }[] {
    return this.afterStatement.all(afterId, limit).map((row) => ({
      id: row.id,
      userId: row.user_id,
      text: summarySearchText(unpackArchive(row.summary, row.codec, row.transcript)),
    }));
  }

  // ---- retention ----------------------------------------------------------------------------

  /** Summaries created at or before `cutoff`, a batch at a time, for the cleanup job. */
  staleBatch(cutoff: number, limit: number): { id: number; user_id: string; stored_bytes: number }[] {
    return this.staleBatchStatement.all(cutoff, limit);
  }

  /** Deletes a customer's stale summaries, inside the caller's transaction. */
  deleteStaleOf(userId: string): { deleted: number; bytes: number } {
    let deleted = 0;
    let bytes = 0;
    for (const summary of this.staleOfUser.all(userId, this.clock.now() - this.limits.coldRetentionMs)) {
      this.delete(summary);
      deleted++;
      bytes += summary.stored_bytes;
    }
    return { deleted, bytes };
  }

  /** Deletes one summary, inside the caller's transaction. */
  delete(summary: { id: number; user_id: string; stored_bytes: number }): void {
    this.deleteStatement.run(summary.id);
    this.search.unindex('summary', summary.id);
    this.ledger.adjust(summary.user_id, 'cold', -summary.stored_bytes, -1);
  }

  // ---- a customer's data (export, erase) ----------------------------------------------------

  /** The summaries of a session with their archived events, decoded, for the export. */
  archivedOf(sessionRow: number): (SummaryRecord & { events: SessionEvent[] })[] {
    return this.sql
      .get<[number], Pick<SummaryRow, 'summary' | 'codec' | 'transcript'>>(
        'SELECT summary, codec, transcript FROM memory_summaries WHERE session_row = ? ORDER BY id',
      )
      .all(sessionRow)
      .map((row) => unpackArchive(row.summary, row.codec, row.transcript));
  }

  /** Deletes the summaries of these sessions, inside the caller's transaction; returns how many and their bytes. */
  erase(sessionRows: readonly number[]): { summaries: number; bytes: number } {
    const rowsOf = this.sql.get<[number], { id: number; stored_bytes: number }>(
      'SELECT id, stored_bytes FROM memory_summaries WHERE session_row = ?',
    );
    const result = { summaries: 0, bytes: 0 };
    for (const sessionRow of sessionRows) {
      for (const row of rowsOf.all(sessionRow)) {
        this.deleteStatement.run(row.id);
        this.search.unindex('summary', row.id);
        result.summaries++;
        result.bytes += row.stored_bytes;
      }
    }
    return result;
  }
}
