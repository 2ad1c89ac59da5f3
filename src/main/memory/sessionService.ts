import { randomUUID } from 'node:crypto';
import {
  eventKinds,
  type DeletedCounts,
  type EventKind,
  type HistoryPage,
  type JsonValue,
  type SessionEvent,
  type SessionView,
} from '../../shared/contract/memory';
import { AppError } from '../../shared/errors';
import { erase } from './erase';
import { HEAP_FACTOR, HotTier, deepFreeze } from './hotTier';
import { eventFromRow, type EventRow } from './memoryService';
import type { MemoryStore, SessionRow } from './store';
import { jsonText, validId, validLimit } from './validate';

/** An event as the runner hands it over; `partial` (streaming) events are not stored. */
export interface EventInput {
  id?: string;
  author: string;
  kind: EventKind;
  content: JsonValue;
  partial?: boolean;
  turnId?: string;
  timestamp?: number;
}

const EVENT_FIELDS = new Set(['id', 'author', 'kind', 'content', 'partial', 'turnId', 'timestamp']);
const KINDS = new Set<string>(eventKinds);

function eventProblem(message: string): AppError {
  return new AppError('invalid_request', `event: ${message}`);
}

function eventText(value: unknown, what: string, max: number, optional: boolean): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw eventProblem(`${what} must be text of 1 to ${max} characters`);
  return value;
}

/** Checks an event by hand (it runs on every chat turn) and gives it an id and time if it has none. */
function validEvent(input: EventInput, now: number): { event: SessionEvent; json: string; partial: boolean } {
  if (input === null || typeof input !== 'object') throw eventProblem('expected an object');
  for (const field of Object.keys(input)) if (!EVENT_FIELDS.has(field)) throw eventProblem(`unknown field ${field}`);
  const id = eventText(input.id, 'id', 128, true);
  const author = eventText(input.author, 'author', 64, false)!;
  const turnId = eventText(input.turnId, 'turnId', 128, true);
  if (!KINDS.has(input.kind)) throw eventProblem(`kind must be one of ${eventKinds.join(', ')}`);
  if (input.partial !== undefined && typeof input.partial !== 'boolean') throw eventProblem('partial must be true or false');
  if (input.timestamp !== undefined && (!Number.isInteger(input.timestamp) || input.timestamp < 0)) {
    throw eventProblem('timestamp must be a whole number of milliseconds');
  }
  if (input.content === undefined) throw eventProblem('content is missing');
  const { value: content, text: json } = jsonText(input.content, 'event content');
  return {
    event: { id: id ?? randomUUID(), author, kind: input.kind, content, turnId: turnId ?? null, timestamp: input.timestamp ?? now },
    json,
    partial: input.partial === true,
  };
}

/** A session with its events, oldest first (ADK's `Session`). The events are frozen: they are shared with the hot tier. */
export interface Session {
  userId: string;
  sessionId: string;
  title: string | null;
  createdAt: number;
  lastUpdateTime: number;
  events: SessionEvent[];
}


const EVENT_COLUMNS = 'seq, event_id, author, kind, content, turn_id, timestamp';
type SeqEventRow = EventRow & { seq: number };

/** Conversations (ADK-shaped): create, get with the last N events, list, delete, append. */
export class SessionService {
  private readonly selectSession;
  private readonly insertSession;
  private readonly insertEvent;
  private readonly lastEvents;
  private readonly lastEventsAfter;
  private readonly allEvents;
  private readonly eventsBefore;
  private readonly appendTransaction;

  constructor(private readonly store: MemoryStore) {
    const { db } = store;
    this.selectSession = db.prepare<[string, string], SessionRow>(
      'SELECT id, title, created_at, summarized_at FROM memory_sessions WHERE user_id = ? AND session_id = ?',
    );
    this.insertSession = db.prepare('INSERT INTO memory_sessions (user_id, session_id, title, created_at) VALUES (?, ?, ?, ?)');
    this.insertEvent = db.prepare(
      `INSERT INTO memory_events (session_row, event_id, author, kind, content, turn_id, timestamp, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_row, event_id) DO NOTHING`,
    );
    this.lastEvents = db.prepare<[number, number], SeqEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM memory_events WHERE session_row = ? ORDER BY seq DESC LIMIT ?`,
    );
    this.lastEventsAfter = db.prepare<[number, number, number], SeqEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM memory_events WHERE session_row = ? AND timestamp > ? ORDER BY seq DESC LIMIT ?`,
    );
    this.allEvents = db.prepare<[number], SeqEventRow>(`SELECT ${EVENT_COLUMNS} FROM memory_events WHERE session_row = ? ORDER BY seq`);
    this.eventsBefore = db.prepare<[number, number, number], SeqEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM memory_events WHERE session_row = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    );
    this.appendTransaction = db.transaction((userId: string, sessionRow: number, event: SessionEvent, json: string, bytes: number) => {
      const usedAfter = store.charge(userId, 'warm', bytes, 1);
      const inserted = this.insertEvent.run(sessionRow, event.id, event.author, event.kind, json, event.turnId, event.timestamp, bytes).changes > 0;
      // An event id already stored: nothing was added, so nothing is charged.
      if (!inserted) store.adjustUsage(userId, 'warm', -bytes, -1);
      return { inserted, usedAfter };
    });
  }

  createSession(input: { userId: string; sessionId?: string; title?: string }): Session {
    const userId = validId(input.userId, 'userId');
    const sessionId = input.sessionId === undefined ? randomUUID() : validId(input.sessionId, 'sessionId');
    if (input.title !== undefined && (typeof input.title !== 'string' || input.title.length > 200)) {
      throw new AppError('invalid_request', 'title must be text of at most 200 characters');
    }
    const now = this.store.now();
    try {
      this.insertSession.run(userId, sessionId, input.title ?? null, now);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AppError('conflict', `The session ${sessionId} already exists for this customer.`);
      }
      throw error;
    }
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    this.store.hot.setEvents(scopeKey, { kind: 'events', bytes: 1, events: [], sizes: [], complete: true });
    this.store.touchSession(scopeKey);
    return { userId, sessionId, title: input.title ?? null, createdAt: now, lastUpdateTime: now, events: [] };
  }

  /**
   * The session with its events, oldest first: the last `numRecentEvents`, and/or those after
   * `afterTimestamp`. Served from the hot window when it covers the request, else by an indexed
   * `ORDER BY seq DESC LIMIT n`.
   */
  getSession(input: { userId: string; sessionId: string; numRecentEvents?: number; afterTimestamp?: number }): Session {
    const { userId, sessionId, scopeKey, row } = this.requireSession(input.userId, input.sessionId);
    const { numRecentEvents, afterTimestamp } = input;
    if (numRecentEvents !== undefined && (!Number.isInteger(numRecentEvents) || numRecentEvents < 0)) {
      throw new AppError('invalid_request', 'numRecentEvents must be a whole number, 0 or more');
    }
    if (afterTimestamp !== undefined && !Number.isFinite(afterTimestamp)) {
      throw new AppError('invalid_request', 'afterTimestamp must be a number');
    }
    this.store.touchSession(scopeKey);
    const window = this.store.hot.getEvents(scopeKey);
    const coversRecent = numRecentEvents !== undefined && numRecentEvents <= (window?.events.length ?? -1) && afterTimestamp === undefined;
    let events: readonly SessionEvent[];
    if (window && (window.complete || coversRecent)) {
      events = window.events;
      if (afterTimestamp !== undefined) events = events.filter((event) => event.timestamp > afterTimestamp);
      if (numRecentEvents !== undefined) events = numRecentEvents === 0 ? [] : events.slice(-numRecentEvents);
    } else if (afterTimestamp !== undefined) {
      events = this.lastEventsAfter.all(row.id, afterTimestamp, numRecentEvents ?? -1).reverse().map(eventFromRow);
    } else {
      // One indexed read serves the request; a little more than asked tells whether it is everything.
      const rows = numRecentEvents === undefined ? this.allEvents.all(row.id).reverse() : this.lastEvents.all(row.id, numRecentEvents + 1);
      const complete = numRecentEvents === undefined || rows.length <= numRecentEvents;
      const served = (numRecentEvents === undefined ? rows : rows.slice(0, numRecentEvents)).reverse();
      events = served.map((event) => deepFreeze(eventFromRow(event)));
      if (!window) this.cacheWindow(scopeKey, served.slice(-this.store.limits.recentEventsCached), events, complete && served.length <= this.store.limits.recentEventsCached);
    }
    const last = events.at(-1);
    return {
      userId,
      sessionId,
      title: row.title,
      createdAt: row.created_at,
      lastUpdateTime: last?.timestamp ?? row.created_at,
      events: [...events],
    };
  }

  listSessions(input: { userId: string }): SessionView[] {
    const userId = validId(input.userId, 'userId');
    const rows = this.store.db
      .prepare(
        `SELECT s.session_id, s.title, s.created_at, s.summarized_at,
           (SELECT count(*) FROM memory_events e WHERE e.session_row = s.id) AS event_count,
           (SELECT timestamp FROM memory_events e WHERE e.session_row = s.id ORDER BY seq DESC LIMIT 1) AS last_event_at
         FROM memory_sessions s WHERE s.user_id = ? ORDER BY s.created_at DESC, s.id DESC`,
      )
      .all(userId) as {
      session_id: string;
      title: string | null;
      created_at: number;
      summarized_at: number | null;
      event_count: number;
      last_event_at: number | null;
    }[];
    return rows.map((row) => ({
      userId,
      sessionId: row.session_id,
      title: row.title,
      createdAt: row.created_at,
      lastEventAt: row.last_event_at,
      eventCount: row.event_count,
      summarizedAt: row.summarized_at,
    }));
  }

  /** Deletes the session, its events and summaries, and its session-scoped memories, in one transaction. */
  deleteSession(input: { userId: string; sessionId: string }): DeletedCounts {
    const userId = validId(input.userId, 'userId');
    const sessionId = validId(input.sessionId, 'sessionId');
    return erase(this.store, userId, sessionId);
  }

  /** Marks a session as no longer in use, so it may be summarized once old enough. */
  closeSession(input: { userId: string; sessionId: string }): void {
    this.store.openSessions.delete(HotTier.scopeKey(input.userId, input.sessionId));
  }

  /**
   * Stores one event in its own transaction, acknowledged once committed. Partial (streaming)
   * events and events whose id is already stored are not stored; `stored` says which happened.
   */
  appendEvent(input: { userId: string; sessionId: string; event: EventInput }): { event: SessionEvent; stored: boolean } {
    const { userId, sessionId, scopeKey, row } = this.requireSession(input.userId, input.sessionId);
    const { event, json, partial } = validEvent(input.event, this.store.now());
    if (partial) return { event, stored: false };
    const bytes = Buffer.byteLength(json) + event.id.length + event.author.length;
    const { inserted, usedAfter } = this.appendTransaction.immediate(userId, row.id, event, json, bytes);
    this.store.touchSession(scopeKey);
    if (!inserted) return { event, stored: false };
    const window = this.store.hot.getEvents(scopeKey);
    if (window) {
      const keep = this.store.limits.recentEventsCached;
      const full = window.events.length >= keep;
      const heapBytes = heapBytesOf(json);
      this.store.hot.setEvents(scopeKey, {
        kind: 'events',
        bytes: window.bytes + heapBytes - (full ? window.sizes[0]! : 0),
        events: [...(full ? window.events.slice(1) : window.events), deepFreeze({ ...event, content: JSON.parse(json) as JsonValue })],
        sizes: [...(full ? window.sizes.slice(1) : window.sizes), heapBytes],
        complete: window.complete && !full,
      });
    }
    if (event.kind === 'message' || event.kind === 'summary') this.store.scheduleIndexing();
    this.store.noteUsage(userId, sessionId, 'warm', usedAfter);
    return { event, stored: true };
  }

  /** Chat history paging, newest page first; each page is oldest → newest. */
  listEvents(input: { userId: string; sessionId: string; before?: string; limit?: number }): HistoryPage {
    const { row } = this.requireSession(input.userId, input.sessionId);
    const limit = validLimit(input.limit, 50);
    let before = Number.MAX_SAFE_INTEGER;
    if (input.before !== undefined) {
      if (typeof input.before !== 'string' || !/^\d{1,18}$/.test(input.before)) {
        throw new AppError('invalid_request', 'cursor is not one this app gave out');
      }
      before = Number(input.before);
    }
    const rows = this.eventsBefore.all(row.id, before, limit + 1);
    const page = rows.slice(0, limit);
    const oldest = page[page.length - 1];
    return {
      events: page.reverse().map(eventFromRow),
      nextCursor: rows.length > limit && oldest ? String(oldest.seq) : null,
    };
  }

  private requireSession(userIdInput: string, sessionIdInput: string): { userId: string; sessionId: string; scopeKey: string; row: SessionRow } {
    const userId = validId(userIdInput, 'userId');
    const sessionId = validId(sessionIdInput, 'sessionId');
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    let row = this.store.sessionRows.get(scopeKey);
    if (!row) {
      row = this.selectSession.get(userId, sessionId);
      if (!row) throw new AppError('not_found', `There is no session ${sessionId} for this customer.`, { userId, sessionId });
      this.store.sessionRows.set(scopeKey, row);
    }
    return { userId, sessionId, scopeKey, row };
  }

  private cacheWindow(scopeKey: string, rows: readonly SeqEventRow[], events: readonly SessionEvent[], complete: boolean): void {
    const sizes = rows.map((row) => heapBytesOf(row.content));
    this.store.hot.setEvents(scopeKey, {
      kind: 'events',
      bytes: sizes.reduce((sum, size) => sum + size, 1),
      events: events.slice(-rows.length),
      sizes,
      complete,
    });
  }
}

/** Heap estimate of a cached event: its JSON plus the fixed fields. */
function heapBytesOf(contentJson: string): number {
  return (contentJson.length + 128) * HEAP_FACTOR;
}
