import { randomUUID } from 'node:crypto';
import type { DeletedCounts, HistoryPage, SessionEvent, SessionView } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { Clock } from '../../core/clock';
import { HEAP_FACTOR, HotTier, type HotEvents } from '../hotTier';
import type { MemoryLimits } from '../limits';
import type { SearchIndex } from '../search/searchIndex';
import type { QuotaWatch } from '../usage/quotaWatch';
import { validId, validLimit } from '../validate';
import { storedEvent, validEvent, type EventInput } from './events';
import type { SessionRow, SessionStore, StoredEvents } from './sessionStore';

export type { EventInput } from './events';

/** A session with its events, oldest first (ADK's `Session`). The events are frozen: they are shared with the hot tier. */
export interface Session {
  userId: string;
  sessionId: string;
  title: string | null;
  createdAt: number;
  lastUpdateTime: number;
  events: SessionEvent[];
}

/** Deletes a session with everything kept for it; the composition provides it (it spans every part). */
export type SessionEraser = (userId: string, sessionId: string) => DeletedCounts;

/** Heap estimate of a cached event: its JSON plus the fixed fields. */
function heapBytesOf(contentJson: string): number {
  return (contentJson.length + 128) * HEAP_FACTOR;
}

/**
 * Conversations (ADK-shaped): create, get with the last N events, list, delete, append. Each
 * active session's last events stay in the hot tier, so a chat turn reads its history from memory.
 */
export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly hot: HotTier,
    private readonly limits: Readonly<MemoryLimits>,
    private readonly clock: Clock,
    private readonly search: SearchIndex,
    private readonly quotas: QuotaWatch,
    private readonly eraseSession: SessionEraser,
  ) {}

  createSession(input: { userId: string; sessionId?: string; title?: string }): Session {
    const userId = validId(input.userId, 'userId');
    const sessionId = input.sessionId === undefined ? randomUUID() : validId(input.sessionId, 'sessionId');
    if (input.title !== undefined && (typeof input.title !== 'string' || input.title.length > 200)) {
      throw new AppError('invalid_request', 'title must be text of at most 200 characters');
    }
    const now = this.clock.now();
    try {
      this.store.create(userId, sessionId, input.title ?? null, now);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AppError('conflict', `The session ${sessionId} already exists for this customer.`);
      }
      throw error;
    }
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    this.hot.setEvents(scopeKey, { kind: 'events', bytes: 1, events: [], sizes: [], complete: true });
    this.store.touch(scopeKey);
    return { userId, sessionId, title: input.title ?? null, createdAt: now, lastUpdateTime: now, events: [] };
  }

  /**
   * The session with its events, oldest first: the last `numRecentEvents`, and/or those after
   * `afterTimestamp`. Served from the hot window when it covers the request, else by an indexed
   * `ORDER BY seq DESC LIMIT n`; contents are parsed when first read.
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
    this.store.touch(scopeKey);
    const window = this.hot.getEvents(scopeKey);
    const coversRecent = numRecentEvents !== undefined && numRecentEvents <= (window?.events.length ?? -1) && afterTimestamp === undefined;
    let events: SessionEvent[];
    if (window && (window.complete || coversRecent)) {
      let served: readonly SessionEvent[] = window.events;
      if (afterTimestamp !== undefined) served = served.filter((event) => event.timestamp > afterTimestamp);
      events = numRecentEvents === undefined ? [...served] : numRecentEvents === 0 ? [] : served.slice(-numRecentEvents);
    } else if (afterTimestamp !== undefined) {
      events = this.store.lastAfter(row.id, afterTimestamp, numRecentEvents ?? -1).events;
    } else if (numRecentEvents === undefined) {
      const read = this.store.all(row.id);
      events = read.events;
      if (!window) this.cacheWindow(scopeKey, read, true);
    } else if (numRecentEvents === 0) {
      events = [];
    } else {
      // One indexed read of exactly what was asked; fewer rows than asked means it is everything.
      const read = this.store.last(row.id, numRecentEvents);
      events = read.events;
      if (!window) this.cacheWindow(scopeKey, read, events.length < numRecentEvents);
    }
    const last = events.at(-1);
    return { userId, sessionId, title: row.title, createdAt: row.created_at, lastUpdateTime: last?.timestamp ?? row.created_at, events };
  }

  listSessions(input: { userId: string }): SessionView[] {
    const userId = validId(input.userId, 'userId');
    return this.store.list(userId).map((row) => ({
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
    return this.eraseSession(validId(input.userId, 'userId'), validId(input.sessionId, 'sessionId'));
  }

  /** Marks a session as no longer in use, so it may be summarized once old enough. */
  closeSession(input: { userId: string; sessionId: string }): void {
    this.store.close(HotTier.scopeKey(input.userId, input.sessionId));
  }

  /**
   * Stores one event in its own transaction, acknowledged once committed. Partial (streaming)
   * events and events whose id is already stored are not stored; `stored` says which happened.
   */
  appendEvent(input: { userId: string; sessionId: string; event: EventInput }): { event: SessionEvent; stored: boolean } {
    const { userId, sessionId, scopeKey, row } = this.requireSession(input.userId, input.sessionId);
    const { event, json, partial } = validEvent(input.event, this.clock.now());
    if (partial) return { event, stored: false };
    const bytes = Buffer.byteLength(json) + event.id.length + event.author.length;
    const { inserted, usedAfter } = this.store.append(userId, row.id, event, json, bytes);
    this.store.touch(scopeKey);
    if (!inserted) return { event, stored: false };
    const window = this.hot.peekEvents(scopeKey);
    if (window)
      this.extendWindow(scopeKey, window, storedEvent(event.id, event.author, event.kind, json, event.turnId, event.timestamp), heapBytesOf(json));
    if (event.kind === 'message' || event.kind === 'summary') this.search.eventsAppended();
    this.quotas.noteUsage(userId, sessionId, 'warm', usedAfter, scopeKey);
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
    const page = this.store.before(row.id, before, limit + 1);
    // Oldest first: with one more than the page, the extra one is the first.
    if (page.events.length <= limit) return { events: page.events, nextCursor: null };
    return { events: page.events.slice(1), nextCursor: String(page.seqs[1]) };
  }

  private requireSession(userIdInput: string, sessionIdInput: string): { userId: string; sessionId: string; scopeKey: string; row: SessionRow } {
    const userId = validId(userIdInput, 'userId');
    const sessionId = validId(sessionIdInput, 'sessionId');
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    const row = this.store.find(userId, sessionId, scopeKey);
    if (!row) throw new AppError('not_found', `There is no session ${sessionId} for this customer.`, { userId, sessionId });
    return { userId, sessionId, scopeKey, row };
  }

  /** Caches the last events read from SQLite; `complete` when they are every stored event. */
  private cacheWindow(scopeKey: string, read: StoredEvents, complete: boolean): void {
    const keep = this.limits.recentEventsCached;
    const from = Math.max(0, read.events.length - keep);
    const sizes = read.contentLengths.slice(from).map((length) => (length + 128) * HEAP_FACTOR);
    this.hot.setEvents(scopeKey, {
      kind: 'events',
      bytes: sizes.reduce((sum, size) => sum + size, 1),
      // A copy: the caller owns the array it was given.
      events: read.events.slice(from),
      sizes,
      complete: complete && from === 0,
    });
  }

  /**
   * Adds a committed event to the session's hot window. The window's arrays belong to the hot tier
   * (readers get copies), so they change in place; a new item carries the new byte count to the
   * cache. Past twice `recentEventsCached` events it is cut back to that many at once: dropping
   * the oldest one at a time would copy both arrays on every append.
   */
  private extendWindow(scopeKey: string, window: HotEvents, event: SessionEvent, heapBytes: number): void {
    const events = window.events as SessionEvent[];
    const sizes = window.sizes as number[];
    const keep = this.limits.recentEventsCached;
    let bytes = window.bytes + heapBytes;
    let complete = window.complete;
    events.push(event);
    sizes.push(heapBytes);
    if (events.length > 2 * keep) {
      const drop = events.length - keep;
      events.splice(0, drop);
      for (const size of sizes.splice(0, drop)) bytes -= size;
      complete = false;
    }
    this.hot.setEvents(scopeKey, { kind: 'events', bytes, events, sizes, complete });
  }
}
