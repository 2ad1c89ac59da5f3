import { createHash, randomUUID } from 'node:crypto';
import { SYNC_MAX_VALUE_BYTES, SYNC_MAX_VALUE_DEPTH, type Hlc } from '@shared/sync';
import type { Clock } from '../core/clock';
import type { ChangeFeed, SharedCustomer, SharedSummary } from '../memory/changeFeed';
import type { Db } from '../storage/database';
import { HybridClock } from './hlc';
import type { SyncState } from './state';

/** A customer id as the erasure records keep it: a hash, so an erased customer's id is not kept in clear. */
export function customerHash(customerId: string): string {
  return createHash('sha256').update(customerId, 'utf8').digest('hex');
}

/** One op waiting in the outbox: its place, and the op as the JSON text pushed to the hub. */
export interface PendingOp {
  seq: number;
  opId: string;
  customerId: string;
  hlc: string;
  op: string;
}

/**
 * The outbox (`sync_outbox`) and the change feed memory calls: while the desk is enrolled, each
 * shared change made here is stamped by the desk's hybrid logical clock and written as one op,
 * inside the change's own transaction (one prepared INSERT; a forget also keeps its tombstone, an
 * erasure drops the customer's older pending ops). The pusher reads batches from here and deletes
 * what the hub took.
 */
export class Outbox implements ChangeFeed {
  private deskId: string | null;
  readonly clock: HybridClock;
  /** Values over the protocol's size that stayed on this desk (since start). */
  tooLarge = 0;
  private readonly insertOp;
  private readonly upsertTombstone;
  private readonly upsertErasure;
  private readonly deleteOfCustomer;
  private readonly deleteRejectedOfCustomer;
  private readonly deleteTombstonesOfCustomer;
  private readonly batchStatement;
  private readonly deleteIds;
  private readonly countStatement;
  private readonly rejectedCount;
  private readonly moveToRejected;

  constructor(
    private readonly db: Db,
    private readonly wallClock: Clock,
    private readonly state: SyncState,
    /** Told after each op is written (inside its transaction): the pusher schedules a push. */
    private readonly onWrite: () => void,
  ) {
    this.deskId = state.get('desk_id');
    this.clock = new HybridClock(wallClock, this.deskId ?? '00000000-0000-0000-0000-000000000000', lastStamp(db, state));
    this.insertOp = db.prepare<[string, string, string, string, string, number]>(
      'INSERT INTO sync_outbox (op_id, customer_id, kind, op, hlc, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.upsertTombstone = db.prepare<[string, string, string]>(
      'INSERT INTO sync_tombstones (customer_id, key, hlc) VALUES (?, ?, ?) ON CONFLICT (customer_id, key) DO UPDATE SET hlc = excluded.hlc WHERE excluded.hlc > hlc',
    );
    this.upsertErasure = db.prepare<[string, string]>(
      'INSERT INTO sync_erasures (customer_hash, hlc) VALUES (?, ?) ON CONFLICT (customer_hash) DO UPDATE SET hlc = excluded.hlc WHERE excluded.hlc > hlc',
    );
    this.deleteOfCustomer = db.prepare<[string, string]>('DELETE FROM sync_outbox WHERE customer_id = ? AND hlc < ?');
    this.deleteRejectedOfCustomer = db.prepare<[string, string]>('DELETE FROM sync_rejected WHERE customer_id = ? AND hlc < ?');
    this.deleteTombstonesOfCustomer = db.prepare<[string, string]>('DELETE FROM sync_tombstones WHERE customer_id = ? AND hlc < ?');
    this.batchStatement = db.prepare<[number], { seq: number; op_id: string; customer_id: string; hlc: string; op: string }>(
      'SELECT seq, op_id, customer_id, hlc, op FROM sync_outbox ORDER BY seq LIMIT ?',
    );
    // By op id: an erasure may delete pending ops while a batch is in flight, and SQLite can give a
    // freed seq to the next op, so seqs of a batch read earlier may name another op by now.
    this.deleteIds = db.prepare<[string]>('DELETE FROM sync_outbox WHERE op_id IN (SELECT value FROM json_each(?))');
    this.countStatement = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sync_outbox');
    this.rejectedCount = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sync_rejected');
    this.moveToRejected = db.prepare<[string, number, string]>(
      `INSERT INTO sync_rejected (op_id, customer_id, kind, op, hlc, code, rejected_at)
       SELECT op_id, customer_id, kind, op, hlc, ?, ? FROM sync_outbox WHERE op_id = ?`,
    );
  }

  get active(): boolean {
    return this.deskId !== null;
  }

  /** Starts (a desk id from enrollment) or stops (null: the desk left its hub) recording. */
  setDesk(deskId: string | null): void {
    this.deskId = deskId;
    if (deskId !== null) this.clock.setDesk(deskId);
  }

  // ---- the change feed (inside memory's transactions) ---------------------------------------

  memoryPut(customerId: string, key: string, valueJson: string, options: { expiresAt?: number | null; hlc?: string } = {}): string | null {
    // The hub refuses such values (too large, or nested deeper than it reads); they stay on this desk (their row keeps no stamp).
    if (
      valueJson.length > SYNC_MAX_VALUE_BYTES ||
      Buffer.byteLength(valueJson) > SYNC_MAX_VALUE_BYTES ||
      nestedDeeper(valueJson, SYNC_MAX_VALUE_DEPTH)
    ) {
      this.tooLarge++;
      return null;
    }
    const hlc = options.hlc ?? this.clock.next();
    const id = randomUUID();
    const expires = options.expiresAt == null ? '' : `,"expiresAt":${options.expiresAt}`;
    // The value is already JSON text: put in as it is rather than parsed and written again.
    const op = `{"id":"${id}","customerId":${JSON.stringify(customerId)},"hlc":"${hlc}","kind":"memory.put","key":${JSON.stringify(key)},"value":${valueJson}${expires}}`;
    this.write(id, customerId, 'memory.put', op, hlc);
    return hlc;
  }

  memoryForget(customerId: string, key: string): string {
    const hlc = this.clock.next();
    this.upsertTombstone.run(customerId, key, hlc);
    this.writeForget(customerId, key, hlc);
    return hlc;
  }

  memoryExpired(customerId: string, key: string, hlc: string): void {
    this.upsertTombstone.run(customerId, key, hlc);
  }

  customerPut(record: SharedCustomer, stamp?: string): string {
    const hlc = stamp ?? this.clock.next();
    const id = randomUUID();
    const op = {
      id,
      customerId: record.customerId,
      hlc,
      kind: 'customer.put',
      displayName: record.displayName,
      phone: record.phone,
      membershipNumber: record.membershipNumber,
    };
    this.write(id, record.customerId, 'customer.put', JSON.stringify(op), hlc);
    return hlc;
  }

  customerErase(customerId: string): void {
    const hlc = this.clock.next();
    this.recordErasure(customerId, hlc);
    this.writeErase(customerId, hlc);
  }

  summaryAdd(customerId: string, summary: SharedSummary, createdAt: number): void {
    const hlc = this.clock.next();
    const id = randomUUID();
    const op = { id, customerId, hlc, kind: 'summary.add', summaryId: randomUUID(), createdAt, summary };
    this.write(id, customerId, 'summary.add', JSON.stringify(op), hlc);
  }

  /**
   * Sends this desk's tombstones again under their own stamps (the hub lost them: see
   * `SyncService`), `batch` per transaction. Returns how many.
   */
  resendTombstones(batch = 500): number {
    const page = this.db.prepare<[string, string, number], { customer_id: string; key: string; hlc: string }>(
      'SELECT customer_id, key, hlc FROM sync_tombstones WHERE (customer_id, key) > (?, ?) ORDER BY customer_id, key LIMIT ?',
    );
    let sent = 0;
    let after: [string, string] = ['', ''];
    for (let round = 0; round < 1_000_000; round++) {
      const rows = page.all(after[0], after[1], batch);
      if (rows.length === 0) break;
      this.db
        .transaction(() => {
          for (const { customer_id: customerId, key, hlc } of rows) this.writeForget(customerId, key, hlc);
        })
        .immediate();
      sent += rows.length;
      const last = rows[rows.length - 1]!;
      after = [last.customer_id, last.key];
    }
    return sent;
  }

  /** Sends an erasure this desk has again, under its own stamp (the hub lost it: see `Applier`). */
  resendErasure(customerId: string, hlc: Hlc): void {
    this.writeErase(customerId, hlc);
  }

  /**
   * An erasure at `hlc` (here or from the hub), inside the caller's transaction: the customer's
   * older pending and refused ops and tombstones go, and the erasure is kept (hashed id) so that
   * an older change arriving later brings nothing back.
   */
  recordErasure(customerId: string, hlc: Hlc): void {
    this.deleteOfCustomer.run(customerId, hlc);
    this.deleteRejectedOfCustomer.run(customerId, hlc);
    this.deleteTombstonesOfCustomer.run(customerId, hlc);
    this.upsertErasure.run(customerHash(customerId), hlc);
  }

  private writeForget(customerId: string, key: string, hlc: string): void {
    const id = randomUUID();
    this.write(id, customerId, 'memory.forget', JSON.stringify({ id, customerId, hlc, kind: 'memory.forget', key }), hlc);
  }

  private writeErase(customerId: string, hlc: string): void {
    const id = randomUUID();
    this.write(id, customerId, 'customer.erase', JSON.stringify({ id, customerId, hlc, kind: 'customer.erase' }), hlc);
  }

  private write(id: string, customerId: string, kind: string, op: string, hlc: string): void {
    this.insertOp.run(id, customerId, kind, op, hlc, this.wallClock.now());
    this.onWrite();
  }

  // ---- the pusher's side --------------------------------------------------------------------

  /** The oldest pending ops, at most `limit`. */
  batch(limit: number): PendingOp[] {
    return this.batchStatement.all(limit).map((row) => ({ seq: row.seq, opId: row.op_id, customerId: row.customer_id, hlc: row.hlc, op: row.op }));
  }

  /** The hub took these ops: they go, and the clock's mark is kept, in one transaction. */
  pushed(ops: readonly PendingOp[]): void {
    this.db
      .transaction(() => {
        this.deleteIds.run(JSON.stringify(ops.map((op) => op.opId)));
        const stamp = this.clock.last();
        if (stamp !== null) this.state.set('hlc', stamp);
      })
      .immediate();
  }

  /** The hub refused this op for good (`code`): moved aside to `sync_rejected`, so the rest can go. */
  reject(op: PendingOp, code: string): void {
    this.db
      .transaction(() => {
        this.moveToRejected.run(code, this.wallClock.now(), op.opId);
        this.deleteIds.run(JSON.stringify([op.opId]));
        const stamp = this.clock.last();
        if (stamp !== null) this.state.set('hlc', stamp);
      })
      .immediate();
  }

  pending(): number {
    return this.countStatement.get()?.n ?? 0;
  }

  rejected(): number {
    return this.rejectedCount.get()?.n ?? 0;
  }

  /** Leaving the hub: what was waiting for it is dropped (the local data stays). */
  clear(): void {
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM sync_outbox').run();
        this.db.prepare('DELETE FROM sync_rejected').run();
        const stamp = this.clock.last();
        if (stamp !== null) this.state.set('hlc', stamp);
      })
      .immediate();
  }
}

/** The greatest stamp the file knows this desk gave or saw: the clock starts after it. */
function lastStamp(db: Db, state: SyncState): Hlc | null {
  const row = db
    .prepare<[], { hlc: string | null }>(
      `SELECT max(hlc) AS hlc FROM (SELECT max(hlc) AS hlc FROM sync_outbox UNION ALL SELECT max(hlc) FROM sync_rejected
         UNION ALL SELECT max(hlc) FROM sync_erasures UNION ALL SELECT max(hlc) FROM sync_tombstones)`,
    )
    .get();
  const candidates = [state.get('hlc'), row?.hlc ?? null].filter((stamp): stamp is string => stamp !== null);
  return candidates.length === 0 ? null : candidates.reduce((a, b) => (a > b ? a : b));
}

/** Whether JSON text nests arrays and objects more than `max` levels deep (one pass, strings skipped). */
export function nestedDeeper(json: string, max: number): boolean {
  if (json.indexOf('{') === -1 && json.indexOf('[') === -1) return false;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index++) {
    const character = json.charCodeAt(index);
    if (inString) {
      if (character === 92)
        index++; // a backslash: the next character is escaped
      else if (character === 34) inString = false;
    } else if (character === 34) inString = true;
    else if (character === 123 || character === 91) {
      if (++depth > max) return true;
    } else if (character === 125 || character === 93) depth--;
  }
  return false;
}
