import type { SummaryRecord } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import { parseHlc } from '@shared/sync';
import type { Clock } from '../core/clock';
import type { Db } from '../storage/database';
import type { ChangeFeed, Origin, SharedCustomer, SharedSummary } from './changeFeed';
import { decompress } from './codec';
import type { CustomerStore } from './customers/customerStore';
import type { CustomerData } from './data/customerData';
import { storedForm, type EntryRow, type EntryStore } from './entries/entryStore';
import type { MemoryChange, MemoryEmitter } from './events';
import { HotTier } from './hotTier';
import type { MemoryLimits } from './limits';
import type { SessionStore } from './sessions/sessionStore';
import { Statements } from './statements';
import { packSummaryOnly } from './summaries/archive';
import type { SummaryStore } from './summaries/summaryStore';
import type { QuotaWatch } from './usage/quotaWatch';
import { memoryValueText } from './validate';

/** What a change from another desk did here. */
export type ApplyOutcome = 'applied' | 'quota' | 'invalid' | 'present';

/** The session id a shared summary is kept under (its conversation happened at another desk). */
export function sharedSummarySessionId(summaryId: string): string {
  return `shared-${summaryId}`;
}

export interface ReplicaParts {
  db: Db;
  clock: Clock;
  limits: Readonly<MemoryLimits>;
  entries: EntryStore;
  customers: CustomerStore;
  customerData: CustomerData;
  sessions: SessionStore;
  summaries: SummaryStore;
  hot: HotTier;
  quotas: QuotaWatch;
  events: MemoryEmitter;
}

/**
 * Memory as the sync module changes it with what other desks did (src/main/sync/apply.ts): every
 * method runs inside the caller's transaction (a page of the hub's changes with the cursor move),
 * writes through the same parts as a local change (entry store, usage ledger, search index, hot
 * cache), so tiers and quotas hold; nothing here tells the change feed, so nothing comes back
 * (no echo). It also reads and sets the sync stamps (`hlc`) of the shared rows. After the commit
 * the caller passes what changed to `announce`.
 */
export class Replica {
  private readonly sql: Statements;

  constructor(private readonly parts: ReplicaParts) {
    this.sql = new Statements(parts.db);
  }

  /** The stamp of a customer-wide entry: undefined when there is none, null when it was never shared. */
  entryStamp(customerId: string, key: string): string | null | undefined {
    return this.sql
      .get<[string, string], { hlc: string | null }>("SELECT hlc FROM memory_entries WHERE user_id = ? AND session_id = '' AND key = ?")
      .get(customerId, key)?.hlc;
  }

  /**
   * Writes a customer-wide memory another desk wrote, with its stamp and origin, as a local write
   * is stored (warm or cold by size, charged to the quota, room made by memory's rules). Over the
   * quota it is not stored (`quota`); a value memory refuses is not stored either (`invalid`).
   * The customer id and key come in their canonical form (the hub and sync check them, as
   * `@shared/identity` says); `exists` says whether `entryStamp` found the key.
   */
  putEntry(
    customerId: string,
    key: string,
    value: unknown,
    shared: { hlc: string; origin: Origin; expiresAt: number | null },
    exists: boolean,
    changes: MemoryChange[],
  ): ApplyOutcome {
    const { hlc, origin } = shared;
    const { limits, clock } = this.parts;
    if (customerId.length === 0 || customerId.length > 128 || key.length === 0 || key.length > 256) return 'invalid';
    const userId = customerId;
    const validKeyText = key;
    let text: string;
    try {
      text = memoryValueText(value).text;
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid_request') return 'invalid';
      throw error;
    }
    const textBytes = Buffer.byteLength(text);
    const size = textBytes + Buffer.byteLength(validKeyText);
    if (size > limits.coldEntryMaxBytes) return 'invalid';
    const stored = storedForm(text, textBytes, size, limits);
    const now = clock.now();
    const row: EntryRow = {
      id: -1,
      user_id: userId,
      session_id: '',
      key: validKeyText,
      ...stored,
      size,
      created_at: now,
      updated_at: now,
      accessed_at: now,
      expires_at: shared.expiresAt,
      source_session_id: null,
      source_turn_id: null,
      hlc,
      origin_desk: origin.deskName,
      origin_store: origin.store,
      origin_at: origin.at,
    };
    try {
      this.parts.entries.write(row, exists);
    } catch (error) {
      if (error instanceof AppError && error.code === 'quota_exceeded') return 'quota';
      throw error;
    }
    this.parts.hot.deleteEntry(HotTier.scopeKey(userId, null), validKeyText);
    changes.push({ userId, sessionId: null, key: validKeyText, change: 'put' });
    return 'applied';
  }

  /** Deletes a customer-wide memory another desk forgot; false when there was none. */
  deleteEntry(customerId: string, key: string, changes: MemoryChange[]): boolean {
    const row = this.parts.entries.findMeta(customerId, '', key);
    if (!row) return false;
    this.parts.entries.delete(row);
    changes.push({ userId: customerId, sessionId: null, key, change: 'forget' });
    return true;
  }

  /** The customer record's stamp: undefined without a record, null when it was never shared. */
  customerStamp(customerId: string): string | null | undefined {
    return this.parts.customers.stamp(customerId);
  }

  putCustomer(record: SharedCustomer, hlc: string, origin: Origin, changes: MemoryChange[]): void {
    this.parts.customers.applyShared(record, hlc, origin);
    changes.push({ userId: record.customerId, sessionId: null, key: null, change: 'put' });
  }

  /**
   * Erases everything of a customer as `memory.deleteCustomer` does (memories of every scope,
   * conversations, summaries, usage, the record, the caches), except what is newer than the
   * erasure (`keepAfter`): customer-wide memories and the record stamped after it stay, as on the hub.
   */
  eraseCustomer(customerId: string, keepAfter: string, changes: MemoryChange[]): void {
    const keptEntries = this.sql
      .get<[string, string], EntryRow>("SELECT * FROM memory_entries WHERE user_id = ? AND session_id = '' AND hlc IS NOT NULL AND hlc > ?")
      .all(customerId, keepAfter);
    const keptRecord = this.sql
      .get<[string, string], SharedCustomer & { hlc: string; origin_desk: string | null; origin_store: string | null; origin_at: number | null }>(
        `SELECT id AS customerId, display_name AS displayName, phone, membership_number AS membershipNumber, hlc, origin_desk, origin_store, origin_at
         FROM customers WHERE id = ? AND hlc IS NOT NULL AND hlc > ?`,
      )
      .get(customerId, keepAfter);
    this.parts.customerData.eraseFromHub(customerId, parseHlc(keepAfter).wallMs);
    for (const row of keptEntries) this.parts.entries.write({ ...row, id: -1 });
    if (keptRecord) {
      const { hlc, origin_desk, origin_store, origin_at, ...record } = keptRecord;
      this.parts.customers.applyShared(
        record,
        hlc,
        origin_desk === null ? null : { deskName: origin_desk, store: origin_store ?? '', at: origin_at ?? 0 },
      );
    }
    changes.push({ userId: customerId, sessionId: null, key: null, change: 'deleteCustomer' });
  }

  /**
   * Keeps another desk's conversation summary as a summarized conversation of the customer
   * without events (session `shared-<summaryId>`), so the profile lists it, the agent's context
   * and search find it, and erasure and retention treat it as any summary. Added once per id.
   */
  addSummary(
    customerId: string,
    summaryId: string,
    summary: SharedSummary,
    createdAt: number,
    origin: Origin,
    changes: MemoryChange[],
  ): ApplyOutcome {
    const { sessions, summaries } = this.parts;
    const sessionId = sharedSummarySessionId(summaryId);
    if (sessions.find(customerId, sessionId, HotTier.scopeKey(customerId, sessionId))) return 'present';
    const record: SummaryRecord = {
      summary: summary.text,
      key_facts: summary.facts,
      user_preferences: preferencesOf(summary.preferences),
      important_events: [],
      timestamp: new Date(createdAt).toISOString(),
    };
    const packed = packSummaryOnly(record, origin);
    try {
      return this.parts.db.transaction((): ApplyOutcome => {
        sessions.create(customerId, sessionId, null, createdAt);
        const row = sessions.find(customerId, sessionId, HotTier.scopeKey(customerId, sessionId));
        if (!row) throw new Error('the shared summary session was not stored');
        summaries.add({ sessionRow: row.id, userId: customerId, record, packed, events: [], createdAt });
        sessions.markSummarized(row.id, createdAt);
        sessions.forgetRow(HotTier.scopeKey(customerId, sessionId));
        changes.push({ userId: customerId, sessionId, key: null, change: 'maintenance' });
        return 'applied';
      })();
    } catch (error) {
      sessions.forgetRow(HotTier.scopeKey(customerId, sessionId));
      if (error instanceof AppError && error.code === 'quota_exceeded') return 'quota';
      throw error;
    }
  }

  /** After the caller's commit: the renderer hears what changed, and quotas near their limit warn. */
  announce(changes: readonly MemoryChange[]): void {
    const checked = new Set<string>();
    for (const change of changes) {
      this.parts.events.emit('changed', change);
      if (change.userId === null) continue;
      if (change.change === 'deleteCustomer') this.parts.quotas.forget(change.userId);
      else if (!checked.has(change.userId)) {
        checked.add(change.userId);
        this.parts.quotas.check(change.userId, null);
      }
    }
  }

  /**
   * Shares what this desk kept before it joined a hub: every customer record and customer-wide
   * memory not shared yet is recorded in the feed and stamped, `batch` rows per transaction.
   * With `again`, the rows shared already are recorded once more under their own stamps instead
   * (the hub lost them), so they win over nothing newer. Returns how many of each.
   */
  shareExisting(feed: ChangeFeed, batch = 500, again = false): { customers: number; memories: number } {
    const { db, customers } = this.parts;
    const result = { customers: 0, memories: 0 };
    let afterCustomer = '';
    for (let round = 0; round < 1_000_000; round++) {
      const page = customers.pageAfter(afterCustomer, batch);
      if (page.length === 0) break;
      db.transaction(() => {
        for (const record of page) {
          if (again) {
            if (record.hlc === null) continue;
            feed.customerPut(record, record.hlc);
          } else {
            if (record.hlc !== null) continue;
            customers.setStamp(record.customerId, feed.customerPut(record));
          }
          result.customers++;
        }
      }).immediate();
      afterCustomer = page[page.length - 1]!.customerId;
    }
    const selectPage = this.sql.get<
      [number, number],
      { id: number; user_id: string; key: string; value: Buffer | string; codec: EntryRow['codec']; hlc: string | null; expires_at: number | null }
    >(
      `SELECT id, user_id, key, value, codec, hlc, expires_at FROM memory_entries
        WHERE id > ? AND session_id = '' AND hlc IS ${again ? 'NOT NULL' : 'NULL'} ORDER BY id LIMIT ?`,
    );
    const setStamp = this.sql.get<[string | null, number]>('UPDATE memory_entries SET hlc = ? WHERE id = ?');
    let afterEntry = 0;
    for (let round = 0; round < 1_000_000; round++) {
      const page = selectPage.all(afterEntry, batch);
      if (page.length === 0) break;
      db.transaction(() => {
        for (const row of page) {
          const hlc = feed.memoryPut(row.user_id, row.key, decompress(row.value, row.codec), {
            expiresAt: row.expires_at,
            ...(row.hlc === null ? {} : { hlc: row.hlc }),
          });
          if (hlc === null) continue;
          if (!again) setStamp.run(hlc, row.id);
          result.memories++;
        }
      }).immediate();
      afterEntry = page[page.length - 1]!.id;
    }
    return result;
  }
}

/** "what: value" lines back into the record's preferences (a line without ": " is kept under its number). */
function preferencesOf(lines: readonly string[]): Record<string, string> {
  // Built as own properties (Object.fromEntries), so no line can reach the object's prototype.
  return Object.fromEntries(
    lines.map((line, index) => {
      const at = line.indexOf(': ');
      return at > 0 ? [line.slice(0, at), line.slice(at + 2)] : [String(index + 1), line];
    }),
  );
}
