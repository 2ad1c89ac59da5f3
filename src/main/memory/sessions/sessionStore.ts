import { LRUCache } from 'lru-cache';
import type { EventKind, JsonValue, SearchHit, SessionEvent } from '@shared/contract/memory';
import type { Db } from '../../storage/database';
import { Statements } from '../statements';
import type { Clock } from '../../core/clock';
import { HotTier } from '../hotTier';
import type { MemoryLimits } from '../limits';
import type { SearchIndex } from '../search/searchIndex';
import { preview, searchableText } from '../text';
import { UsageLedger } from '../usage/ledger';
import { storedEvent } from './events';

/** A row of `memory_sessions` as the services use it. */
export interface SessionRow {
  id: number;
  title: string | null;
  created_at: number;
  summarized_at: number | null;
}

/** A row of `memory_events`; `content` is the event's JSON. */
export interface EventRow {
  seq: number;
  event_id: string;
  author: string;
  kind: EventKind;
  content: string;
  turn_id: string | null;
  timestamp: number;
}

/** A session with what a listing shows of it. */
export interface SessionListRow {
  id: number;
  session_id: string;
  title: string | null;
  created_at: number;
  summarized_at: number | null;
  event_count: number;
  last_event_at: number | null;
}

export function eventFromRow(row: EventRow): SessionEvent {
  return storedEvent(row.event_id, row.author, row.kind, row.content, row.turn_id, row.timestamp);
}

const EVENT_COLUMNS = 'seq, event_id, author, kind, content, turn_id, timestamp';
type RawEvent = [seq: number, eventId: string, author: string, kind: EventKind, content: string, turnId: string | null, timestamp: number];

/** The searchable text of an event, or null for kinds that are not searched. */
function eventSearchText(kind: string, contentJson: string): string | null {
  return kind === 'message' || kind === 'summary' ? searchableText(JSON.parse(contentJson) as JsonValue) : null;
}

/**
 * The sessions and their events (`memory_sessions`, `memory_events`), which sessions are in use,
 * and a cache of session rows so a chat turn does not look its session up twice.
 */
export class SessionStore {
  private readonly sql: Statements;
  /** Sessions in use (scope key → last touch); they are never summarized. */
  private readonly openSessions = new Map<string, number>();
  /** Session rows by scope key. */
  private readonly rows = new LRUCache<string, SessionRow>({ max: 1024 });
  private readonly selectSession;
  private readonly insertSession;
  private readonly insertEvent;
  private readonly lastEvents;
  private readonly lastEventsAfter;
  private readonly allEvents;
  private readonly eventsBefore;
  private readonly appendWithRoom;
  private readonly eventsAfterStatement;
  private readonly lastSeqStatement;
  private readonly hitStatement;

  constructor(
    db: Db,
    private readonly limits: Readonly<MemoryLimits>,
    private readonly clock: Clock,
    private readonly ledger: UsageLedger,
    private readonly search: SearchIndex,
  ) {
    this.sql = new Statements(db);
    this.selectSession = db.prepare<[string, string], SessionRow>(
      'SELECT id, title, created_at, summarized_at FROM memory_sessions WHERE user_id = ? AND session_id = ?',
    );
    this.insertSession = db.prepare<[string, string, string | null, number]>(
      'INSERT INTO memory_sessions (user_id, session_id, title, created_at) VALUES (?, ?, ?, ?)',
    );
    // Charged to the customer's warm quota by the ledger's insert trigger.
    this.insertEvent = db.prepare<[number, string, string, string, string, string | null, number, number]>(
      `INSERT INTO memory_events (session_row, event_id, author, kind, content, turn_id, timestamp, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_row, event_id) DO NOTHING`,
    );
    this.lastEvents = db
      .prepare<[number, number], RawEvent>(`SELECT ${EVENT_COLUMNS} FROM memory_events WHERE session_row = ? ORDER BY seq DESC LIMIT ?`)
      .raw(true);
    this.lastEventsAfter = db
      .prepare<[number, number, number], RawEvent>(
        `SELECT ${EVENT_COLUMNS} FROM memory_events WHERE session_row = ? AND timestamp > ? ORDER BY seq DESC LIMIT ?`,
      )
      .raw(true);
    this.allEvents = db.prepare<[number], RawEvent>(`SELECT ${EVENT_COLUMNS} FROM memory_events WHERE session_row = ? ORDER BY seq`).raw(true);
    this.eventsBefore = db
      .prepare<[number, number, number], RawEvent>(
        `SELECT ${EVENT_COLUMNS} FROM memory_events WHERE session_row = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
      )
      .raw(true);
    this.appendWithRoom = db.transaction((userId: string, sessionRow: number, event: SessionEvent, json: string, bytes: number) => {
      ledger.makeRoomFor(userId, 'warm', bytes);
      try {
        return this.insertEvent.run(sessionRow, event.id, event.author, event.kind, json, event.turnId, event.timestamp, bytes).changes > 0;
      } catch (error) {
        throw UsageLedger.refusedInsert(error) ? ledger.quotaExceeded(userId, 'warm', bytes) : error;
      }
    });
    this.eventsAfterStatement = db.prepare<[number, number], { seq: number; kind: string; content: string; user_id: string }>(
      `SELECT e.seq, e.kind, e.content, s.user_id FROM memory_events e JOIN memory_sessions s ON s.id = e.session_row
       WHERE e.seq > ? ORDER BY e.seq LIMIT ?`,
    );
    this.lastSeqStatement = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM memory_events');
    this.hitStatement = db.prepare<[number], { event_id: string; content: string; timestamp: number; user_id: string; session_id: string }>(
      `SELECT e.event_id, e.content, e.timestamp, s.user_id, s.session_id FROM memory_events e
       JOIN memory_sessions s ON s.id = e.session_row WHERE e.seq = ?`,
    );
  }

  // ---- sessions -----------------------------------------------------------------------------

  /** Creates a session row; throws SQLite's unique-constraint error when it exists. */
  create(userId: string, sessionId: string, title: string | null, now: number): void {
    this.insertSession.run(userId, sessionId, title, now);
  }

  /** The session's row (cached), or undefined. */
  find(userId: string, sessionId: string, scopeKey: string): SessionRow | undefined {
    let row = this.rows.get(scopeKey);
    if (!row) {
      row = this.selectSession.get(userId, sessionId);
      if (row) this.rows.set(scopeKey, row);
    }
    return row;
  }

  list(userId: string): SessionListRow[] {
    return this.sql
      .get<[string], SessionListRow>(
        `SELECT s.id, s.session_id, s.title, s.created_at, s.summarized_at,
           (SELECT count(*) FROM memory_events e WHERE e.session_row = s.id) AS event_count,
           (SELECT timestamp FROM memory_events e WHERE e.session_row = s.id ORDER BY seq DESC LIMIT 1) AS last_event_at
         FROM memory_sessions s WHERE s.user_id = ? ORDER BY s.created_at DESC, s.id DESC`,
      )
      .all(userId);
  }

  // ---- events -------------------------------------------------------------------------------

  /**
   * Stores one event, committed with its charge to the customer's warm quota (one statement: the
   * ledger's insert trigger charges it); an event id already stored adds nothing and charges
   * nothing. When the trigger refuses it (over the quota, or the customer's first charge), room
   * is made (expired rows, demoted entries) and the event stored in one transaction, or
   * `quota_exceeded` thrown.
   */
  append(userId: string, sessionRow: number, event: SessionEvent, json: string, bytes: number): { inserted: boolean; usedAfter: number } {
    let inserted: boolean;
    try {
      inserted = this.insertEvent.run(sessionRow, event.id, event.author, event.kind, json, event.turnId, event.timestamp, bytes).changes > 0;
    } catch (error) {
      if (!UsageLedger.refusedInsert(error)) throw error;
      inserted = this.appendWithRoom.immediate(userId, sessionRow, event, json, bytes);
    }
    return inserted ? { inserted, usedAfter: this.ledger.inserted(userId, 'warm', bytes) } : { inserted, usedAfter: 0 };
  }

  /** The last `count` events, oldest first. */
  last(sessionRow: number, count: number): StoredEvents {
    return stored(this.lastEvents.all(sessionRow, count), true);
  }

  /** The last `count` (-1: all) events after a time, oldest first. */
  lastAfter(sessionRow: number, afterTimestamp: number, count: number): StoredEvents {
    return stored(this.lastEventsAfter.all(sessionRow, afterTimestamp, count), true);
  }

  /** Every event, oldest first. */
  all(sessionRow: number): StoredEvents {
    return stored(this.allEvents.all(sessionRow), false);
  }

  /** Up to `count` events before `seq`, oldest first. */
  before(sessionRow: number, seq: number, count: number): StoredEvents {
    return stored(this.eventsBefore.all(sessionRow, seq, count), true);
  }

  /** A message as a search hit, or null when it is gone. */
  hit(seq: number): SearchHit | null {
    const row = this.hitStatement.get(seq);
    if (!row) return null;
    return {
      kind: 'message',
      userId: row.user_id,
      sessionId: row.session_id,
      ref: row.event_id,
      text: preview(searchableText(JSON.parse(row.content) as JsonValue)),
      timestamp: row.timestamp,
    };
  }

  /** Events after `seq` for the search index, with the text of the searched kinds. */
  eventsForIndex(afterSeq: number, limit: number): { seq: number; userId: string; text: string | null }[] {
    return this.eventsAfterStatement
      .all(afterSeq, limit)
      .map((row) => ({ seq: row.seq, userId: row.user_id, text: eventSearchText(row.kind, row.content) }));
  }

  lastSeq(): number {
    return this.lastSeqStatement.get()?.seq ?? 0;
  }

  // ---- summarization ------------------------------------------------------------------------

  /** Sessions after `afterId` with the time of their last event (null without events), 100 at a time. */
  summaryCandidates(afterId: number): { id: number; user_id: string; session_id: string; last: number | null }[] {
    return this.sql
      .get<[number], { id: number; user_id: string; session_id: string; last: number | null }>(
        `SELECT s.id, s.user_id, s.session_id,
           (SELECT timestamp FROM memory_events e WHERE e.session_row = s.id ORDER BY seq DESC LIMIT 1) AS last
         FROM memory_sessions s WHERE s.id > ? ORDER BY s.id LIMIT 100`,
      )
      .all(afterId);
  }

  /** A session's events, oldest first, with their seqs and charged bytes. */
  eventsToArchive(sessionRow: number): { seq: number; bytes: number; event: SessionEvent }[] {
    return this.sql
      .get<[number], EventRow & { bytes: number }>(`SELECT ${EVENT_COLUMNS}, bytes FROM memory_events WHERE session_row = ? ORDER BY seq`)
      .all(sessionRow)
      .map((row) => ({ seq: row.seq, bytes: row.bytes, event: eventFromRow(row) }));
  }

  /** How many events a session has and the newest one's seq (to see whether it changed). */
  eventSpan(sessionRow: number): { count: number; lastSeq: number | null } {
    const row = this.sql
      .get<[number], { count: number; lastSeq: number | null }>(
        'SELECT count(*) AS count, max(seq) AS lastSeq FROM memory_events WHERE session_row = ?',
      )
      .get(sessionRow);
    return row ?? { count: 0, lastSeq: null };
  }

  /**
   * Deletes a session's events once archived, inside the caller's transaction: unindexed, and
   * their bytes released from the warm quota; the session is marked summarized.
   */
  deleteArchivedEvents(userId: string, sessionRow: number, archived: readonly { seq: number; bytes: number }[]): void {
    this.search.unindexAll(
      'event',
      archived.map((event) => event.seq),
    );
    this.sql.get('DELETE FROM memory_events WHERE session_row = ?').run(sessionRow);
    this.sql.get('UPDATE memory_sessions SET summarized_at = ? WHERE id = ?').run(this.clock.now(), sessionRow);
    this.ledger.adjust(userId, 'warm', -archived.reduce((sum, event) => sum + event.bytes, 0), -archived.length);
    this.search.eventsDeleted();
  }

  /** Marks a session summarized without events to archive (another desk's conversation), inside the caller's transaction. */
  markSummarized(sessionRow: number, at: number): void {
    this.sql.get('UPDATE memory_sessions SET summarized_at = ? WHERE id = ?').run(at, sessionRow);
  }

  // ---- a customer's data (export, erase) ----------------------------------------------------

  /** A customer's sessions, oldest first, for the export. */
  sessionsOf(userId: string): { id: number; session_id: string; title: string | null; created_at: number; summarized_at: number | null }[] {
    return this.sql
      .get<[string], { id: number; session_id: string; title: string | null; created_at: number; summarized_at: number | null }>(
        'SELECT id, session_id, title, created_at, summarized_at FROM memory_sessions WHERE user_id = ? ORDER BY created_at, id',
      )
      .all(userId);
  }

  /** Session row ids of a customer, or of one session. */
  rowsOf(userId: string, sessionId: string | null): number[] {
    const rows =
      sessionId === null
        ? this.sql.get<[string], { id: number }>('SELECT id FROM memory_sessions WHERE user_id = ?').all(userId)
        : this.sql
            .get<[string, string], { id: number }>('SELECT id FROM memory_sessions WHERE user_id = ? AND session_id = ?')
            .all(userId, sessionId);
    return rows.map((row) => row.id);
  }

  /**
   * Deletes sessions and their events, inside the caller's transaction (summaries must be gone
   * already); returns what went, for the counts and the ledger.
   */
  erase(sessionRows: readonly number[]): { sessions: number; events: number; eventBytes: number } {
    const result = { sessions: 0, events: 0, eventBytes: 0 };
    const seqsOf = this.sql.get<[number], { seq: number; bytes: number }>('SELECT seq, bytes FROM memory_events WHERE session_row = ?');
    const deleteEvents = this.sql.get<[number]>('DELETE FROM memory_events WHERE session_row = ?');
    const deleteSession = this.sql.get<[number]>('DELETE FROM memory_sessions WHERE id = ?');
    for (const sessionRow of sessionRows) {
      const events = seqsOf.all(sessionRow);
      this.search.unindexAll(
        'event',
        events.map((event) => event.seq),
      );
      result.events += events.length;
      for (const event of events) result.eventBytes += event.bytes;
      deleteEvents.run(sessionRow);
      result.sessions += deleteSession.run(sessionRow).changes;
    }
    if (result.events > 0) this.search.eventsDeleted();
    return result;
  }

  // ---- sessions in use ----------------------------------------------------------------------

  touch(scopeKey: string): void {
    this.openSessions.set(scopeKey, this.clock.now());
  }

  /** Marks a session as no longer in use, so it may be summarized once old enough. */
  close(scopeKey: string): void {
    this.openSessions.delete(scopeKey);
  }

  isOpen(userId: string, sessionId: string): boolean {
    const key = HotTier.scopeKey(userId, sessionId);
    const touched = this.openSessions.get(key);
    if (touched === undefined) return false;
    if (this.clock.now() - touched < this.limits.sessionIdleMs) return true;
    this.openSessions.delete(key);
    return false;
  }

  /** Forgets sessions idle past the limit (the hourly cleanup calls it, so the map stays small). */
  pruneIdle(): void {
    const now = this.clock.now();
    for (const [key, touched] of this.openSessions) if (now - touched >= this.limits.sessionIdleMs) this.openSessions.delete(key);
  }

  /** Forgets the cached row of a session (it changed). */
  forgetRow(scopeKey: string): void {
    this.rows.delete(scopeKey);
  }

  /** Forgets what is cached about one session (it is gone). */
  forgetSession(scopeKey: string): void {
    this.openSessions.delete(scopeKey);
    this.rows.delete(scopeKey);
  }

  /** Forgets what is cached about every session of a customer. */
  forgetUser(userId: string): void {
    const ofUser = (key: string): boolean => (JSON.parse(key) as string[])[0] === userId;
    for (const key of [...this.openSessions.keys()]) if (ofUser(key)) this.openSessions.delete(key);
    for (const key of [...this.rows.keys()]) if (ofUser(key)) this.rows.delete(key);
  }
}

/** Events read from SQLite, with their seqs and content JSON lengths alongside (for paging and the hot tier's sizes). */
export interface StoredEvents {
  events: SessionEvent[];
  seqs: number[];
  contentLengths: number[];
}

function stored(rows: RawEvent[], newestFirst: boolean): StoredEvents {
  const count = rows.length;
  const result: StoredEvents = { events: new Array<SessionEvent>(count), seqs: new Array<number>(count), contentLengths: new Array<number>(count) };
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    const at = newestFirst ? count - 1 - i : i;
    result.events[at] = storedEvent(row[1], row[2], row[3], row[4], row[5], row[6]);
    result.seqs[at] = row[0];
    result.contentLengths[at] = row[4].length;
  }
  return result;
}
