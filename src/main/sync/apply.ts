import { canonicalCustomerId, canonicalMemoryKey } from '@shared/identity';
import { parseHlc, UUID_PATTERN, type JsonValue, type SyncChange, type SyncOp } from '@shared/sync';
import type { Logger } from '../core/logger';
import type { MemoryChange, Origin, Replica } from '../memory';
import type { Db } from '../storage/database';
import { customerHash, type Outbox } from './outbox';
import type { SyncState } from './state';

/** What one page of the hub's changes did here. */
export interface PageReport {
  applied: number;
  /** Older than what this desk has (last writer wins), erased, or already here (its own echo included). */
  skipped: number;
  /** Not stored: over a local quota (memory's rules), or refused by memory's checks. */
  notStored: number;
  invalid: number;
}

/**
 * Applies the hub's changes to this desk, a page at a time, in ONE SQLite transaction together
 * with the cursor move, so a crash leaves either the whole page with its cursor or neither.
 *
 * The rules (per customer and key, by the hybrid logical clock stamp; see ARCHITECTURE.md "Sync"):
 * - `memory.put` is stored when its stamp is newer than the entry's, than the key's tombstone and
 *   than the customer's erasure; it goes through memory's entry store, so tiers, the usage ledger,
 *   quotas and the search index hold as for a local write; over a quota it is not stored (logged).
 * - `memory.forget` deletes the entry when newer than it (and than the tombstone and erasure) and
 *   keeps the tombstone; so does a put whose time-to-live (`expiresAt`) has passed. A put with a
 *   time-to-live still to run is stored with it and expires here at the same time as everywhere.
 * - `customer.put` replaces the record when newer than it and than the erasure.
 * - `customer.erase` newer than the last erasure removes everything of the customer here as
 *   `memory.deleteCustomer` does, cart ids included, except shared rows stamped after it and the
 *   conversations (and carts) this desk began after it, and drops the customer's pending outbox
 *   ops older than it (newer ones survive).
 * - `summary.add` not older than the erasure is kept once per summary id.
 * This desk's own changes come back from the hub too: their stamps equal the rows', so they are
 * skipped, and nothing applied here is written to the outbox (no echo).
 */
export class Applier {
  private readonly erasureOf;
  private readonly tombstoneOf;
  private readonly upsertTombstone;
  private readonly deleteTombstone;
  private readonly deleteCarts;
  /** Customer id → its erasure record's key (a hash), for the customers of recent pages. */
  private readonly hashes = new Map<string, string>();
  /** Erasures sent again because the hub lacked them (customer hash and stamp), so each goes once. */
  private readonly resentErasures = new Set<string>();
  /** Customer id as received → canonical (null: refused), for the customers of recent pages. */
  private readonly canonicalIds = new Map<string, string | null>();

  constructor(
    private readonly db: Db,
    private readonly replica: Replica,
    private readonly outbox: Outbox,
    private readonly state: SyncState,
    private readonly logger: Logger,
  ) {
    this.erasureOf = db.prepare<[string], { hlc: string }>('SELECT hlc FROM sync_erasures WHERE customer_hash = ?');
    this.tombstoneOf = db.prepare<[string, string], { hlc: string }>('SELECT hlc FROM sync_tombstones WHERE customer_id = ? AND key = ?');
    this.upsertTombstone = db.prepare<[string, string, string]>(
      'INSERT INTO sync_tombstones (customer_id, key, hlc) VALUES (?, ?, ?) ON CONFLICT (customer_id, key) DO UPDATE SET hlc = excluded.hlc WHERE excluded.hlc > hlc',
    );
    this.deleteTombstone = db.prepare<[string, string]>('DELETE FROM sync_tombstones WHERE customer_id = ? AND key = ?');
    // Commerce's table: the store's cart ids go with the rest of an erased customer (a cart this desk
    // started after the erasure belongs to a visit since, and stays).
    this.deleteCarts = db.prepare<[string, number]>('DELETE FROM commerce_carts WHERE customer_id = ? AND updated_at <= ?');
  }

  /**
   * Applies a page and moves the cursor to `cursor`, in one transaction; then memory announces what
   * changed. `deskId` is this desk's: its own summaries are already here under their conversation.
   * `syncedAt` is kept as the last sync time in the same transaction.
   */
  applyPage(changes: readonly SyncChange[], cursor: number, deskId: string | null, syncedAt: number): PageReport {
    const report: PageReport = { applied: 0, skipped: 0, notStored: 0, invalid: 0 };
    const memoryChanges: MemoryChange[] = [];
    this.db
      .transaction(() => {
        for (const change of changes) this.applyOne(change, report, memoryChanges, deskId, syncedAt);
        this.state.set('cursor', cursor);
        const last = changes.at(-1)?.op as { id?: unknown } | undefined;
        if (typeof last?.id === 'string') this.state.set('cursor_op', last.id);
        this.state.set('last_sync_at', syncedAt);
        const stamp = this.outbox.clock.last();
        if (stamp !== null) this.state.set('hlc', stamp);
      })
      .immediate();
    this.replica.announce(coalesce(memoryChanges));
    if (report.notStored > 0 || report.invalid > 0) {
      this.logger.warn(
        { notStored: report.notStored, invalid: report.invalid, changes: changes.length },
        'some changes from the hub were not stored here',
      );
    }
    return report;
  }

  private applyOne(change: SyncChange, report: PageReport, memoryChanges: MemoryChange[], deskId: string | null, now: number): void {
    const op = this.parseOp(change.op);
    if (op === null) {
      report.invalid++;
      return;
    }
    this.outbox.clock.observe(op.hlc);
    const erasedAt = this.erasureOf.get(this.hashOf(op.customerId))?.hlc;
    if (erasedAt !== undefined && erasedAt > op.hlc) this.hubLacksErasure(op.customerId, erasedAt);
    if (op.kind === 'customer.erase') {
      if (erasedAt !== undefined && erasedAt >= op.hlc) {
        report.skipped++;
        return;
      }
      this.replica.eraseCustomer(op.customerId, op.hlc, memoryChanges);
      this.outbox.recordErasure(op.customerId, op.hlc);
      this.deleteCarts.run(op.customerId, parseHlc(op.hlc).wallMs);
      report.applied++;
      return;
    }
    if (erasedAt !== undefined && erasedAt >= op.hlc) {
      report.skipped++;
      return;
    }
    const origin: Origin = { deskName: change.origin.deskName, store: change.origin.store, at: change.acceptedAt };
    switch (op.kind) {
      case 'memory.put':
      case 'memory.forget': {
        const tombstone = this.tombstoneOf.get(op.customerId, op.key)?.hlc;
        const stamp = this.replica.entryStamp(op.customerId, op.key);
        if ((tombstone !== undefined && tombstone >= op.hlc) || (typeof stamp === 'string' && stamp >= op.hlc)) {
          report.skipped++;
          return;
        }
        // A put whose time-to-live has passed (the hub has removed its value) removes the key as a forget does.
        if (op.kind === 'memory.put' && (op.expiresAt === undefined || op.expiresAt > now)) {
          const outcome = this.replica.putEntry(
            op.customerId,
            op.key,
            op.value,
            { hlc: op.hlc, origin, expiresAt: op.expiresAt ?? null },
            stamp !== undefined,
            memoryChanges,
          );
          if (outcome === 'applied') {
            if (tombstone !== undefined) this.deleteTombstone.run(op.customerId, op.key);
            report.applied++;
          } else if (outcome === 'invalid') report.invalid++;
          else report.notStored++;
        } else {
          this.replica.deleteEntry(op.customerId, op.key, memoryChanges);
          this.upsertTombstone.run(op.customerId, op.key, op.hlc);
          report.applied++;
        }
        return;
      }
      case 'customer.put': {
        const stamp = this.replica.customerStamp(op.customerId);
        if (typeof stamp === 'string' && stamp >= op.hlc) {
          report.skipped++;
          return;
        }
        this.replica.putCustomer(
          { customerId: op.customerId, displayName: op.displayName, phone: op.phone, membershipNumber: op.membershipNumber },
          op.hlc,
          origin,
          memoryChanges,
        );
        report.applied++;
        return;
      }
      case 'summary.add': {
        if (change.origin.deskId === deskId) {
          report.skipped++;
          return;
        }
        const outcome = this.replica.addSummary(op.customerId, op.summaryId, op.summary, op.createdAt, origin, memoryChanges);
        if (outcome === 'applied') report.applied++;
        else if (outcome === 'present') report.skipped++;
        else report.notStored++;
        return;
      }
    }
  }

  /**
   * The hub sent a change of a customer older than this desk's erasure of them: the hub would have
   * deleted it had it known the erasure, so it does not (its database was restored from a backup
   * taken before it). The erasure is sent again, under its own stamp, once per erasure and run; a
   * copy of one the hub already has changes nothing there.
   */
  private hubLacksErasure(customerId: string, erasedAt: string): void {
    const mark = `${this.hashOf(customerId)}:${erasedAt}`;
    if (this.resentErasures.has(mark)) return;
    if (this.resentErasures.size >= 10_000) this.resentErasures.clear();
    this.resentErasures.add(mark);
    this.outbox.resendErasure(customerId, erasedAt);
    this.logger.warn('the sync hub sent changes of a customer this desk erased; the erasure is sent again');
  }

  private hashOf(customerId: string): string {
    let hash = this.hashes.get(customerId);
    if (hash === undefined) {
      if (this.hashes.size >= 10_000) this.hashes.clear();
      hash = customerHash(customerId);
      this.hashes.set(customerId, hash);
    }
    return hash;
  }

  private canonicalId(value: string): string | null {
    let id = this.canonicalIds.get(value);
    if (id === undefined) {
      if (this.canonicalIds.size >= 10_000) this.canonicalIds.clear();
      const canonical = canonicalCustomerId(value);
      id = canonical.ok ? canonical.id : null;
      this.canonicalIds.set(value, id);
    }
    return id;
  }

  /**
   * The op as the protocol defines it (src/shared/sync.ts), checked by hand: the hub checked it
   * with the zod schema already, and a catching-up desk checks 100,000 of them, where the schema
   * would cost more than applying them. Ids are put in their canonical form; keys must be in
   * theirs. The value is checked by memory as it is stored. Null when anything is off.
   */
  private parseOp(raw: unknown): SyncOp | null {
    if (raw === null || typeof raw !== 'object') return null;
    const op = raw as Record<string, unknown>;
    const { id, hlc } = op;
    if (typeof id !== 'string' || !UUID_PATTERN.test(id) || typeof hlc !== 'string' || !HLC.test(hlc) || typeof op.customerId !== 'string')
      return null;
    const customerId = this.canonicalId(op.customerId);
    if (customerId === null) return null;
    switch (op.kind) {
      case 'memory.put':
      case 'memory.forget': {
        const key = op.key;
        if (typeof key !== 'string' || key.length === 0 || key.length > 256) return null;
        const canonical = canonicalMemoryKey(key);
        if (!canonical.ok || canonical.key !== key) return null;
        if (op.kind === 'memory.forget') return { id, customerId, hlc, kind: op.kind, key };
        const { expiresAt } = op;
        if (!('value' in op) || (expiresAt !== undefined && (!Number.isSafeInteger(expiresAt) || (expiresAt as number) <= 0))) return null;
        return {
          id,
          customerId,
          hlc,
          kind: op.kind,
          key,
          value: op.value as JsonValue,
          ...(expiresAt === undefined ? {} : { expiresAt: expiresAt as number }),
        };
      }
      case 'customer.put': {
        const { displayName, phone, membershipNumber } = op;
        if (!textOrNull(displayName, 80) || !textOrNull(phone, 32) || !textOrNull(membershipNumber, 64)) return null;
        return { id, customerId, hlc, kind: op.kind, displayName, phone, membershipNumber };
      }
      case 'customer.erase':
        return { id, customerId, hlc, kind: op.kind };
      case 'summary.add': {
        const { summaryId, createdAt, summary } = op;
        if (typeof summaryId !== 'string' || !UUID_PATTERN.test(summaryId) || !Number.isSafeInteger(createdAt) || (createdAt as number) < 0)
          return null;
        if (summary === null || typeof summary !== 'object') return null;
        const { text, facts, preferences } = summary as Record<string, unknown>;
        if (typeof text !== 'string' || text.length > 8000 || !lines(facts) || !lines(preferences)) return null;
        return { id, customerId, hlc, kind: op.kind, summaryId, createdAt: createdAt as number, summary: { text, facts, preferences } };
      }
      default:
        return null;
    }
  }
}

const HLC = /^\d{15}:\d{6}:[0-9a-f-]{36}$/;

function textOrNull(value: unknown, max: number): value is string | null {
  return value === null || (typeof value === 'string' && value.length <= max);
}

/** The summary's facts or preferences: at most 50 lines of at most 500 characters. */
function lines(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= 50 && value.every((line) => typeof line === 'string' && line.length <= 500);
}

/**
 * What the renderer hears of a page: each change when there are few; one per customer when a page
 * brings many (a desk catching up); one for everything when it touches very many customers.
 */
function coalesce(changes: MemoryChange[]): MemoryChange[] {
  if (changes.length <= 20) return changes;
  // Per customer: erased (in this page), and changed after that (or at all).
  const customers = new Map<string, { erased: boolean; changed: boolean }>();
  for (const change of changes) {
    if (change.userId === null) continue;
    const seen = customers.get(change.userId) ?? { erased: false, changed: false };
    if (change.change === 'deleteCustomer') customers.set(change.userId, { erased: true, changed: false });
    else customers.set(change.userId, { ...seen, changed: true });
  }
  if (customers.size > 100) return [{ userId: null, sessionId: null, key: null, change: 'maintenance' }];
  const coalesced: MemoryChange[] = [];
  for (const [userId, { erased, changed }] of customers) {
    if (erased) coalesced.push({ userId, sessionId: null, key: null, change: 'deleteCustomer' });
    if (changed) coalesced.push({ userId, sessionId: null, key: null, change: 'put' });
  }
  return coalesced;
}
