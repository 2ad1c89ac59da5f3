import type { StoredTier } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { Db } from '../../storage/database';
import type { Clock } from '../../core/clock';
import type { MemoryLimits } from '../limits';

/** A row of `memory_usage`: what one customer keeps in one stored tier. */
export interface UsageRow {
  user_id: string;
  tier: StoredTier;
  bytes: number;
  entries: number;
}

/**
 * How a full tier makes room, inside the writing transaction. The entries and summaries provide
 * it; the ledger only decides when it is needed.
 */
export interface RoomMaker {
  /** Deletes the customer's expired entries and stale summaries. */
  deleteExpired(userId: string): void;
  /**
   * Demotes the customer's least recently read warm entries to cold (never `protectedEntryId`)
   * until `fits()` is true or there is nothing left to demote.
   */
  demoteWarm(userId: string, protectedEntryId: number, fits: () => boolean): void;
}

/** The message of the insert triggers' refusal (SQLite error code `SQLITE_CONSTRAINT_TRIGGER`). */
const REFUSAL = 'memory quota exceeded';

/**
 * Connection-local (TEMP) triggers that charge every new event (warm) and every new entry (its
 * tier) to the customer's row of the ledger inside the inserting statement, and refuse the insert
 * when the row is missing or the charge would pass the quota. A new event or entry is then one
 * statement, committed with its charge or not at all; a refused one takes the explicit path (make
 * room, insert, in one transaction). Every other change (a rewrite, a demotion, a deletion, a
 * summary) adjusts the ledger explicitly in its own transaction. The quotas are written into the
 * triggers, which are recreated when they change.
 */
function insertCharges(warmBytes: number, coldBytes: number): string {
  const warm = quotaLiteral(warmBytes);
  const cold = quotaLiteral(coldBytes);
  return `
    DROP TRIGGER IF EXISTS temp.memory_events_charge;
    DROP TRIGGER IF EXISTS temp.memory_entries_charge;
    CREATE TEMP TRIGGER memory_events_charge AFTER INSERT ON main.memory_events BEGIN
      UPDATE main.memory_usage SET bytes = bytes + NEW.bytes, entries = entries + 1
        WHERE user_id = (SELECT user_id FROM main.memory_sessions WHERE id = NEW.session_row) AND tier = 'warm'
          AND bytes + NEW.bytes <= ${warm};
      SELECT RAISE(ABORT, '${REFUSAL}') WHERE changes() = 0;
    END;
    CREATE TEMP TRIGGER memory_entries_charge AFTER INSERT ON main.memory_entries BEGIN
      UPDATE main.memory_usage SET bytes = bytes + NEW.stored_bytes, entries = entries + 1
        WHERE user_id = NEW.user_id AND tier = NEW.tier
          AND bytes + NEW.stored_bytes <= CASE NEW.tier WHEN 'warm' THEN ${warm} ELSE ${cold} END;
      SELECT RAISE(ABORT, '${REFUSAL}') WHERE changes() = 0;
    END;`;
}

function quotaLiteral(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`a quota must be a whole number of bytes, not ${bytes}`);
  return String(bytes);
}

/** How long this process trusts a use it knows without reading it again (another process may write too). */
const KNOWN_FOR_MS = 10_000;

/**
 * The usage ledger (`memory_usage`): bytes and entries per customer and stored tier. Every write
 * updates it inside its own transaction, so at every commit it equals the rows exactly, and the
 * quota check reads the same row the write updates. New events and entries are charged by the
 * connection's insert triggers (`insertCharges`), which check this ledger's quotas. One memory
 * module per connection: a second one on the same connection replaces the triggers with its quotas.
 *
 * For quota warnings only, it also remembers each tier's use as last read outside a transaction,
 * plus the rows this process inserted since, so a write does not read the ledger back; any other
 * change forgets it, and it is read again after `KNOWN_FOR_MS` (writes of another process).
 */
export class UsageLedger {
  private readonly known = { warm: new Map<string, { bytes: number; at: number }>(), cold: new Map<string, { bytes: number; at: number }>() };
  private readonly selectUsage;
  private readonly adjustStatement;
  private readonly chargeStatement;
  private readonly chargeWithinStatement;
  private readonly allStatement;
  private readonly deleteUserStatement;
  private readonly ensureRowStatement;

  constructor(
    private readonly db: Db,
    private readonly limits: Readonly<MemoryLimits>,
    private readonly clock: Clock,
    private readonly room: RoomMaker,
  ) {
    this.selectUsage = db.prepare<[string, string], { bytes: number; entries: number }>(
      'SELECT bytes, entries FROM memory_usage WHERE user_id = ? AND tier = ?',
    );
    this.adjustStatement = db.prepare<[string, string, number, number]>(
      `INSERT INTO memory_usage (user_id, tier, bytes, entries) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, tier) DO UPDATE SET bytes = bytes + excluded.bytes, entries = entries + excluded.entries`,
    );
    this.chargeStatement = db.prepare<[string, string, number, number], { bytes: number }>(
      `INSERT INTO memory_usage (user_id, tier, bytes, entries) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, tier) DO UPDATE SET bytes = bytes + excluded.bytes, entries = entries + excluded.entries
       RETURNING bytes`,
    );
    this.chargeWithinStatement = db.prepare<[number, number, string, string, number, number], { bytes: number }>(
      `UPDATE memory_usage SET bytes = bytes + ?, entries = entries + ? WHERE user_id = ? AND tier = ? AND bytes + ? <= ? RETURNING bytes`,
    );
    this.allStatement = db.prepare<[], UsageRow>('SELECT user_id, tier, bytes, entries FROM memory_usage ORDER BY user_id');
    this.deleteUserStatement = db.prepare<[string]>('DELETE FROM memory_usage WHERE user_id = ?');
    this.ensureRowStatement = db.prepare<[string, StoredTier]>(
      'INSERT INTO memory_usage (user_id, tier, bytes, entries) VALUES (?, ?, 0, 0) ON CONFLICT (user_id, tier) DO NOTHING',
    );
    this.limitsChanged();
  }

  /** Whether an insert was refused by the charge triggers (its tier's quota would be passed). */
  static refusedInsert(error: unknown): boolean {
    return (error as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_TRIGGER' && (error as Error).message === REFUSAL;
  }

  /** The quotas changed (settings, or at start): the insert triggers check the new ones from now on. */
  limitsChanged(): void {
    this.db.exec(insertCharges(this.limits.warmUserBytes, this.limits.coldUserBytes));
  }

  /**
   * Before an insert the triggers refused, inside the caller's transaction: the customer has a
   * row, and the tier has room for `bytes` (made as `ensureRoom` does, or `quota_exceeded`).
   */
  makeRoomFor(userId: string, tier: StoredTier, bytes: number): void {
    this.known[tier].delete(userId);
    this.ensureRowStatement.run(userId, tier);
    this.ensureRoom(userId, tier, bytes);
  }

  usage(userId: string, tier: StoredTier): { bytes: number; entries: number } {
    const use = this.selectUsage.get(userId, tier) ?? { bytes: 0, entries: 0 };
    if (!this.db.inTransaction) this.known[tier].set(userId, { bytes: use.bytes, at: this.clock.now() });
    return use;
  }

  /**
   * A new row was charged by the insert trigger: the tier's use after it, for the quota warnings
   * (from what this process knows when it can, else read).
   */
  inserted(userId: string, tier: StoredTier, bytes: number): number {
    const known = this.known[tier].get(userId);
    if (known && !this.db.inTransaction && this.clock.now() - known.at < KNOWN_FOR_MS) {
      known.bytes += bytes;
      return known.bytes;
    }
    // Inside a transaction the insert may still roll back: nothing is remembered.
    this.known[tier].delete(userId);
    return this.usage(userId, tier).bytes;
  }

  /** Records rows added or removed; the caller holds the transaction that changed them. */
  adjust(userId: string, tier: StoredTier, bytes: number, entries: number): void {
    this.known[tier].delete(userId);
    if (bytes !== 0 || entries !== 0) this.adjustStatement.run(userId, tier, bytes, entries);
  }

  limit(tier: StoredTier): number {
    return tier === 'warm' ? this.limits.warmUserBytes : this.limits.coldUserBytes;
  }

  /**
   * Adds a write's bytes to the ledger and returns the new use, inside the caller's transaction.
   * Over the quota, room is made as `ensureRoom` does (or `quota_exceeded` thrown, which rolls the
   * caller's transaction back), and it is charged then. One statement on the common path: the
   * check and the update are the same row.
   */
  charge(userId: string, tier: StoredTier, bytes: number, entries: number, protectedEntryId = -1): number {
    this.known[tier].delete(userId);
    // `all`, not `get`, for statements with RETURNING: one that stops at its row would skip the WAL checkpoint outside a transaction.
    if (bytes > 0) {
      // The customer has a row and the write fits: one update that checks the quota as it adds.
      const [within] = this.chargeWithinStatement.all(bytes, entries, userId, tier, bytes, this.limit(tier));
      if (within) return within.bytes;
    }
    const after = this.chargeStatement.all(userId, tier, bytes, entries)[0]!.bytes;
    if (bytes <= 0 || after <= this.limit(tier)) return after;
    this.adjust(userId, tier, -bytes, -entries);
    this.ensureRoom(userId, tier, bytes, protectedEntryId);
    return this.chargeStatement.all(userId, tier, bytes, entries)[0]!.bytes;
  }

  /**
   * Makes room for `needBytes` more in a customer's tier, inside the caller's transaction: expired
   * rows are deleted, and for warm the least recently read entries are demoted to cold. Throws
   * `quota_exceeded` naming the quota when the write still cannot fit.
   */
  ensureRoom(userId: string, tier: StoredTier, needBytes: number, protectedEntryId = -1): number {
    const limit = this.limit(tier);
    const fits = (): boolean => this.usage(userId, tier).bytes + needBytes <= limit;
    if (fits()) return this.usage(userId, tier).bytes;
    this.room.deleteExpired(userId);
    if (tier === 'warm' && !fits()) this.room.demoteWarm(userId, protectedEntryId, fits);
    const used = this.usage(userId, tier).bytes;
    if (used + needBytes > limit) throw this.quotaExceeded(userId, tier, needBytes);
    return used;
  }

  /** The typed refusal of a write that does not fit the customer's quota. */
  quotaExceeded(userId: string, tier: StoredTier, needBytes: number): AppError {
    const limit = this.limit(tier);
    const used = this.usage(userId, tier).bytes;
    return new AppError(
      'quota_exceeded',
      `The ${tier} memory quota of customer ${userId} is full: ${used} of ${limit} bytes are used and this write needs ${needBytes} more. Forget something or raise the quota in Settings.`,
      { quota: tier, limit, used, requested: needBytes, userId },
    );
  }

  /** Every customer's use, for the stats. */
  all(): UsageRow[] {
    return this.allStatement.all();
  }

  /** Forgets a customer whose rows were all deleted in the caller's transaction. */
  deleteUser(userId: string): void {
    this.known.warm.delete(userId);
    this.known.cold.delete(userId);
    this.deleteUserStatement.run(userId);
  }
}
