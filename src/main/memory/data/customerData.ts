import type { CustomerExport, DeletedCounts } from '@shared/contract/memory';
import type { Db } from '../../storage/database';
import type { Clock } from '../../core/clock';
import { noChangeFeed, type ChangeFeed } from '../changeFeed';
import type { CustomerStore } from '../customers/customerStore';
import { entryView, valueOf, type EntryStore } from '../entries/entryStore';
import type { MemoryEmitter } from '../events';
import { HotTier } from '../hotTier';
import type { SessionStore } from '../sessions/sessionStore';
import type { SummaryStore } from '../summaries/summaryStore';
import type { UsageLedger } from '../usage/ledger';
import type { QuotaWatch } from '../usage/quotaWatch';

/**
 * A customer's data as a whole: the export (everything kept about them, decoded, as JSON a person
 * can read) and erasure (of a customer, or of one session), each across every part of memory.
 */
export class CustomerData {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly entries: EntryStore,
    private readonly sessions: SessionStore,
    private readonly summaries: SummaryStore,
    private readonly ledger: UsageLedger,
    private readonly quotas: QuotaWatch,
    private readonly hot: HotTier,
    private readonly events: MemoryEmitter,
    private readonly customers: CustomerStore,
    /** Told about every customer erased here, inside the erasure's transaction (sync's outbox). */
    private readonly feed: ChangeFeed = noChangeFeed,
  ) {}

  export(userId: string): CustomerExport {
    const memories = this.entries.allOf(userId).map((row) => ({
      ...entryView(row, row.tier),
      value: valueOf(row),
      scope: row.session_id === '' ? ('customer' as const) : ('session' as const),
    }));
    const sessions = this.sessions.sessionsOf(userId).map((session) => {
      const { events } = this.sessions.all(session.id);
      return {
        userId,
        sessionId: session.session_id,
        title: session.title,
        createdAt: session.created_at,
        lastEventAt: events.at(-1)?.timestamp ?? null,
        eventCount: events.length,
        summarizedAt: session.summarized_at,
        events,
        summaries: this.summaries.archivedOf(session.id),
      };
    });
    const customer = this.customers.get(userId);
    return { userId, exportedAt: new Date(this.clock.now()).toISOString(), memories, sessions, ...(customer ? { customer } : {}) };
  }

  /**
   * An erasure made at another desk at `erasedAt` (epoch ms), arriving here: everything of the
   * customer goes as `erase` does, but for the conversations this desk began after it, with their
   * events, summaries and session memories (they are new since, not what was asked to be erased).
   * Nothing is shared back. Customer-wide memories and the record stamped after the erasure are
   * the caller's to keep (`Replica.eraseCustomer`).
   */
  eraseFromHub(userId: string, erasedAt: number): void {
    const sessions = this.sessions.sessionsOf(userId);
    if (!sessions.some((session) => session.created_at > erasedAt)) {
      this.erase(userId, null, true);
      return;
    }
    this.db
      .transaction(() => {
        for (const session of sessions) if (session.created_at <= erasedAt) this.erase(userId, session.session_id, true);
        // The customer-wide memories (session '') and what names the customer outside memory.
        const entries = this.entries.erase(userId, '');
        for (const { tier, bytes, n } of entries.released) if (n > 0) this.ledger.adjust(userId, tier, -bytes, -n);
        this.eraseRecord(userId);
      })
      .immediate();
    this.hot.dropScope(HotTier.scopeKey(userId, null));
    this.quotas.forget(userId);
    this.events.emit('changed', { userId, sessionId: null, key: null, change: 'deleteCustomer' });
  }

  /**
   * Deletes, in one transaction, everything of a customer (`sessionId` null) or of one session:
   * memory entries, sessions with their events and summaries, their search-index rows and usage
   * (and, for a customer, their record: name, phone, membership number);
   * then what the caches hold of them. A customer's erasure is shared with the other desks unless
   * it came from them (`fromHub`, inside the caller's transaction).
   */
  erase(userId: string, sessionId: string | null, fromHub = false): DeletedCounts {
    const counts = this.db
      .transaction((): DeletedCounts => {
        const sessionRows = this.sessions.rowsOf(userId, sessionId);
        const entries = this.entries.erase(userId, sessionId);
        const summaries = this.summaries.erase(sessionRows);
        const sessions = this.sessions.erase(sessionRows);
        if (sessionId === null) {
          this.ledger.deleteUser(userId);
          this.eraseRecord(userId);
          if (!fromHub && this.feed.active) this.feed.customerErase(userId);
        } else {
          for (const { tier, bytes, n } of entries.released) if (n > 0) this.ledger.adjust(userId, tier, -bytes, -n);
          if (sessions.events > 0) this.ledger.adjust(userId, 'warm', -sessions.eventBytes, -sessions.events);
          if (summaries.summaries > 0) this.ledger.adjust(userId, 'cold', -summaries.bytes, -summaries.summaries);
        }
        return { memories: entries.memories, sessions: sessions.sessions, events: sessions.events, summaries: summaries.summaries };
      })
      .immediate();

    if (sessionId === null) {
      this.hot.dropUser(userId);
      this.sessions.forgetUser(userId);
      this.quotas.forget(userId);
    } else {
      const scopeKey = HotTier.scopeKey(userId, sessionId);
      this.hot.dropScope(scopeKey);
      this.sessions.forgetSession(scopeKey);
    }
    this.events.emit('changed', { userId, sessionId, key: null, change: sessionId === null ? 'deleteCustomer' : 'deleteSession' });
    return counts;
  }

  /** What names the customer outside memory's tiers: their record, and the identity migration's report of their old ids (phone numbers as typed). */
  private eraseRecord(userId: string): void {
    this.customers.erase(userId);
    this.db.prepare('DELETE FROM identity_merges WHERE customer_id = ?').run(userId);
  }
}
