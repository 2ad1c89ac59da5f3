import type pg from 'pg';
import type { PushResponse, SyncOp } from '@shared/sync';
import { sha256Hex, type AuthenticatedDesk } from './admin';
import { HubError } from './errors';
import { LOCK_COMMIT, LOCK_CUSTOMER_NAMESPACE, LOCK_NAMESPACE } from './migrations';

/**
 * One pushed batch, applied in one PostgreSQL transaction:
 *
 * 1. Lock every customer of the batch in the statement that opens the transaction
 *    (`pg_advisory_xact_lock` on a 32-bit hash of the id, in ascending order so two batches never
 *    wait on each other in a cycle): batches of one customer serialize across hub processes;
 *    other customers' batches run side by side.
 * 2. Classify each op (one query for known op ids and erasures): `duplicate` (its id is in the
 *    change log, or earlier in this batch), `superseded` (older than the customer's newest
 *    erasure, the stored one or one in this batch), else applied.
 * 3. Apply set-wise: erasures first (delete everything of the customer older than the erasure,
 *    change log included, keeping a marked skeleton of each deleted entry in `audit`), then
 *    memories by last-writer-wins on hlc, in the same statement finding any customer whose
 *    values grew past the quota (the whole batch is then refused), customer records likewise,
 *    summaries insert-once.
 * 4. Take the commit lock and write the change log in one statement (its bigserial hands out
 *    seq; it is also the audit trail of applied ops), NOTIFY, commit.
 *
 * Rows go to PostgreSQL as one JSON parameter per statement (`json_to_recordset`), which costs the
 * hub far less than array parameters, and each batch takes six round trips.
 *
 * Why the commit lock (the seq-gap problem): a seq is drawn when its row is inserted, but
 * transactions commit in their own order, so without care a desk could pull seq 12 while seq 11
 * is still in flight and move its cursor past 11 for ever. Holding one transaction-level advisory
 * lock from the log insert to the end of the commit makes "drawing seqs" and "becoming visible"
 * one serialized step: PostgreSQL makes a commit visible before it releases the transaction's
 * locks, so whoever draws seqs next draws bigger ones and becomes visible later. A reader that sees
 * seq N therefore sees every smaller committed seq, and `seq > cursor` never skips. The cost is
 * that commits of the log (a few ms per batch) take turns; everything before them (locks,
 * classification, state updates, quota) still runs concurrently. A gap left by a rolled-back
 * batch is harmless: that seq never appears.
 */

/** Values are counted as their JSON text, as the desk counts them. */
export function valueBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

export function erasedMarker(customerId: string): string {
  return `erased:${sha256Hex(customerId).slice(0, 16)}`;
}

type Outcome = { kind: 'applied' } | { kind: 'duplicate'; seq: number } | { kind: 'duplicate-in-batch'; of: number } | { kind: 'superseded' };

export interface PushResult {
  response: PushResponse;
  /** The highest seq written, for the live announcement; null when nothing was applied. */
  maxSeq: number | null;
  applied: number;
}

export async function applyBatch(
  client: pg.PoolClient,
  desk: AuthenticatedDesk,
  ops: readonly SyncOp[],
  options: { quotaBytes: number; now: number },
): Promise<PushResult> {
  const customers = [...new Set(ops.map((op) => op.customerId))];
  const known = await client.query<{ what: 'op' | 'erasure'; id: string; value: string }>(
    `SELECT 'op' AS what, op_id::text AS id, seq::text AS value FROM changes WHERE op_id IN (SELECT value::uuid FROM json_array_elements_text($1::json))
     UNION ALL
     SELECT 'erasure', customer_id, hlc FROM erasures WHERE customer_id IN (SELECT value FROM json_array_elements_text($2::json))`,
    [JSON.stringify(ops.map((op) => op.id)), JSON.stringify(customers)],
  );
  const knownSeq = new Map(known.rows.filter((row) => row.what === 'op').map((row) => [row.id, Number(row.value)]));

  // The newest erasure per customer, counting this batch's (an erasure wins over every older stamp,
  // whatever the order of arrival, so a batch's own older ops are superseded by its erasure too).
  const newestErasure = new Map(known.rows.filter((row) => row.what === 'erasure').map((row) => [row.id, row.value]));
  for (const op of ops) {
    if (op.kind !== 'customer.erase' || knownSeq.has(op.id)) continue;
    const current = newestErasure.get(op.customerId);
    if (current === undefined || op.hlc > current) newestErasure.set(op.customerId, op.hlc);
  }

  const outcomes: Outcome[] = [];
  const firstIndex = new Map<string, number>();
  const applied: SyncOp[] = [];
  for (const [index, op] of ops.entries()) {
    const seq = knownSeq.get(op.id);
    const earlier = firstIndex.get(op.id);
    if (seq !== undefined) outcomes.push({ kind: 'duplicate', seq });
    else if (earlier !== undefined) outcomes.push({ kind: 'duplicate-in-batch', of: earlier });
    else {
      firstIndex.set(op.id, index);
      const erasedAt = newestErasure.get(op.customerId);
      // The erasure that defines `erasedAt` is not older than itself, so it passes.
      if (erasedAt !== undefined && op.hlc < erasedAt) outcomes.push({ kind: 'superseded' });
      else {
        outcomes.push({ kind: 'applied' });
        applied.push(op);
      }
    }
  }

  if (applied.length > 0) {
    await applyErasures(client, applied);
    await applyMemories(client, applied, options.quotaBytes);
    await applyCustomers(client, applied);
    await applySummaries(client, applied);
  }

  const seqById = new Map<string, number>();
  let maxSeq: number | null = null;
  if (applied.length > 0) {
    const acceptedAt = options.now;
    const origin = JSON.stringify({ deskId: desk.id, deskName: desk.name, store: desk.store });
    // Each row's `change` is the change as pulls send it, but for its seq (see pull.ts).
    const rows = applied.map(
      (op) =>
        `{"op_id":"${op.id}","customer_id":${JSON.stringify(op.customerId)},"hlc":"${op.hlc}","kind":"${op.kind}",` +
        `"change":{"op":${JSON.stringify(op)},"origin":${origin},"acceptedAt":${acceptedAt}}}`,
    );
    // The commit lock is the statement's one-time filter (an InitPlan, run before the scan yields
    // its first row), so it is held before the first seq is drawn; the seq-gap test fails without
    // it. (An EXISTS would be folded away by the planner.) The notification is queued in the same
    // statement; PostgreSQL delivers it when (and if) the transaction commits.
    const written = await client.query<{ op_id: string; seq: string }>(
      `WITH written AS (
         INSERT INTO changes (op_id, customer_id, hlc, kind, desk_id, accepted_at, change)
         SELECT op_id, customer_id, hlc, kind, $1, $2, change
           FROM ROWS FROM (json_to_recordset($3::json) AS (op_id uuid, customer_id text, hlc text, kind text, change json))
                WITH ORDINALITY AS t(op_id, customer_id, hlc, kind, change, n)
          WHERE (SELECT pg_advisory_xact_lock($4, $5)::text) IS NOT NULL
          ORDER BY n
         RETURNING op_id, seq),
       announced AS (SELECT pg_notify('hub_changes', max(seq)::text) FROM written)
       SELECT op_id, seq FROM written, announced`,
      [desk.id, new Date(acceptedAt), `[${rows.join(',')}]`, LOCK_NAMESPACE, LOCK_COMMIT],
    );
    for (const row of written.rows) {
      const seq = Number(row.seq);
      seqById.set(row.op_id, seq);
      maxSeq = maxSeq === null ? seq : Math.max(maxSeq, seq);
    }
    const expiring = applied.flatMap((op) =>
      op.kind === 'memory.put' && op.expiresAt !== undefined ? [{ seq: seqById.get(op.id)!, expires_at: op.expiresAt }] : [],
    );
    if (expiring.length > 0)
      await client.query(
        'INSERT INTO expiring_changes (seq, expires_at) SELECT seq, expires_at FROM json_to_recordset($1::json) AS t(seq bigint, expires_at bigint)',
        [JSON.stringify(expiring)],
      );
  }

  const results: PushResponse['results'] = [];
  for (const [index, op] of ops.entries()) {
    const outcome = outcomes[index]!;
    switch (outcome.kind) {
      case 'applied':
        results.push({ id: op.id, status: 'applied', seq: seqById.get(op.id)! });
        break;
      case 'duplicate':
        results.push({ id: op.id, status: 'duplicate', seq: outcome.seq });
        break;
      case 'duplicate-in-batch': {
        const first = results[outcome.of]!;
        results.push(
          first.status === 'superseded' ? { id: op.id, status: 'superseded', seq: null } : { id: op.id, status: 'duplicate', seq: first.seq },
        );
        break;
      }
      case 'superseded':
        results.push({ id: op.id, status: 'superseded', seq: null });
        break;
    }
  }
  return { response: { results }, maxSeq, applied: applied.length };
}

async function applyErasures(client: pg.PoolClient, applied: readonly SyncOp[]): Promise<void> {
  // Only the newest erasure per customer matters: it deletes everything older, older erasures included.
  const newest = new Map<string, string>();
  for (const op of applied) if (op.kind === 'customer.erase' && op.hlc > (newest.get(op.customerId) ?? '')) newest.set(op.customerId, op.hlc);
  if (newest.size === 0) return;
  const erased = JSON.stringify([...newest].map(([customerId, hlc]) => ({ customer_id: customerId, hlc, marker: erasedMarker(customerId) })));
  const rows = `json_to_recordset($1::json) AS e(customer_id text, hlc text, marker text)`;
  // The trail keeps what happened (op ids, kinds, desks, times) but no longer whom it concerned.
  await client.query(
    `INSERT INTO audit (at, desk_id, action, op_id, customer_ref)
     SELECT t.accepted_at, t.desk_id, t.kind, t.op_id, e.marker
       FROM changes t JOIN ${rows} ON t.customer_id = e.customer_id AND t.hlc < e.hlc
      ORDER BY t.seq`,
    [erased],
  );
  for (const table of ['memories', 'customers', 'summaries', 'changes'])
    await client.query(`DELETE FROM ${table} AS t WHERE EXISTS (SELECT 1 FROM ${rows} WHERE t.customer_id = e.customer_id AND t.hlc < e.hlc)`, [
      erased,
    ]);
  await client.query(
    `INSERT INTO erasures (customer_id, hlc, erased_at) SELECT customer_id, hlc, now() FROM ${rows}
     ON CONFLICT (customer_id) DO UPDATE SET hlc = excluded.hlc, erased_at = excluded.erased_at WHERE erasures.hlc < excluded.hlc`,
    [erased],
  );
}

/**
 * Per (customer, key) the batch's newest op only; the table keeps whichever hlc is newer. The same
 * statement measures how much each customer's values grew (written minus replaced bytes) and
 * returns the customers it took past the quota; the whole batch is then refused. Only growth is
 * refused: a customer above a lowered quota can still shrink, forget or stay put.
 */
async function applyMemories(client: pg.PoolClient, applied: readonly SyncOp[], quotaBytes: number): Promise<void> {
  const newest = new Map<string, Extract<SyncOp, { kind: 'memory.put' | 'memory.forget' }>>();
  for (const op of applied) {
    if (op.kind !== 'memory.put' && op.kind !== 'memory.forget') continue;
    const slot = JSON.stringify([op.customerId, op.key]);
    const current = newest.get(slot);
    if (!current || op.hlc > current.hlc) newest.set(slot, op);
  }
  if (newest.size === 0) return;
  const rows = [...newest.values()].map((op) => {
    const value = op.kind === 'memory.put' ? JSON.stringify(op.value) : 'null';
    const bytes = op.kind === 'memory.put' ? Buffer.byteLength(value, 'utf8') : 0;
    const expiresAt = op.kind === 'memory.put' ? (op.expiresAt ?? null) : null;
    return `{"customer_id":${JSON.stringify(op.customerId)},"key":${JSON.stringify(op.key)},"value":${value},"deleted":${op.kind === 'memory.forget'},"value_bytes":${bytes},"hlc":"${op.hlc}","expires_at":${expiresAt}}`;
  });
  const over = await client.query<{ customer_id: string }>(
    `WITH incoming AS (
       SELECT * FROM json_to_recordset($1::json) AS t(customer_id text, key text, value json, deleted boolean, value_bytes int, hlc text, expires_at bigint)),
     replaced AS (
       SELECT m.customer_id, m.key, m.value_bytes FROM memories m JOIN incoming i ON m.customer_id = i.customer_id AND m.key = i.key),
     written AS (
       INSERT INTO memories (customer_id, key, value, deleted, value_bytes, hlc, expires_at)
       SELECT customer_id, key, CASE WHEN deleted THEN NULL ELSE value END, deleted, value_bytes, hlc, expires_at FROM incoming
       ON CONFLICT (customer_id, key) DO UPDATE
          SET value = excluded.value, deleted = excluded.deleted, value_bytes = excluded.value_bytes, hlc = excluded.hlc,
              expires_at = excluded.expires_at
        WHERE memories.hlc < excluded.hlc
       RETURNING customer_id, key, value_bytes),
     grown AS (
       SELECT w.customer_id, sum(w.value_bytes - coalesce(r.value_bytes, 0)) AS delta
         FROM written w LEFT JOIN replaced r ON r.customer_id = w.customer_id AND r.key = w.key
        GROUP BY w.customer_id
       HAVING sum(w.value_bytes - coalesce(r.value_bytes, 0)) > 0)
     -- The subquery sees memories as the statement found them (before its own writes), plus the growth.
     SELECT g.customer_id FROM grown g
      WHERE g.delta + coalesce((SELECT sum(m.value_bytes) FROM memories m WHERE m.customer_id = g.customer_id), 0) > $2`,
    [`[${rows.join(',')}]`, quotaBytes],
  );
  if (over.rows.length > 0)
    throw new HubError('quota_exceeded', `The batch would take ${over.rows.length} customer(s) past the hub's memory quota; nothing was applied.`, {
      quotaBytes,
      customers: over.rows.length,
    });
}

async function applyCustomers(client: pg.PoolClient, applied: readonly SyncOp[]): Promise<void> {
  const newest = new Map<string, Extract<SyncOp, { kind: 'customer.put' }>>();
  for (const op of applied) {
    if (op.kind !== 'customer.put') continue;
    const current = newest.get(op.customerId);
    if (!current || op.hlc > current.hlc) newest.set(op.customerId, op);
  }
  if (newest.size === 0) return;
  const rows = [...newest.values()].map((op) => ({
    customer_id: op.customerId,
    display_name: op.displayName,
    phone: op.phone,
    membership_number: op.membershipNumber,
    hlc: op.hlc,
  }));
  await client.query(
    `INSERT INTO customers (customer_id, display_name, phone, membership_number, hlc)
     SELECT * FROM json_to_recordset($1::json) AS t(customer_id text, display_name text, phone text, membership_number text, hlc text)
     ON CONFLICT (customer_id) DO UPDATE
        SET display_name = excluded.display_name, phone = excluded.phone, membership_number = excluded.membership_number, hlc = excluded.hlc
      WHERE customers.hlc < excluded.hlc`,
    [JSON.stringify(rows)],
  );
}

async function applySummaries(client: pg.PoolClient, applied: readonly SyncOp[]): Promise<void> {
  const rows = applied
    .filter((op): op is Extract<SyncOp, { kind: 'summary.add' }> => op.kind === 'summary.add')
    .map((op) => ({ summary_id: op.summaryId, customer_id: op.customerId, hlc: op.hlc, created_at: op.createdAt, summary: op.summary }));
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO summaries (summary_id, customer_id, hlc, created_at, summary)
     SELECT * FROM json_to_recordset($1::json) AS t(summary_id uuid, customer_id text, hlc text, created_at bigint, summary json)
     ON CONFLICT (summary_id) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

/**
 * The statement that opens a batch's transaction and takes its customer locks, in one round trip.
 * The keys are numbers computed here (FNV-1a, 32 bits, of the canonical id), sorted and distinct,
 * so the SQL carries nothing a desk wrote. Two customers sharing a key only wait on each other.
 */
export function beginBatch(ops: readonly SyncOp[]): string {
  const keys = [...new Set(ops.map((op) => customerLockKey(op.customerId)))].sort((a, b) => a - b);
  return `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_CUSTOMER_NAMESPACE}, k) FROM unnest('{${keys.join(',')}}'::int[]) AS k ORDER BY k`;
}

function customerLockKey(customerId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) hash = Math.imul(hash ^ customerId.charCodeAt(i), 0x01000193);
  return hash | 0;
}
