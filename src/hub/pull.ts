import type pg from 'pg';
import { SYNC_MAX_PULL, type PullResponse } from '@shared/sync';

/**
 * Changes after a desk's cursor, in seq order, as the JSON text of a `PullResponse`. `seq > after`
 * is safe because seqs are drawn and committed in one serialized step (see push.ts): a visible seq
 * implies every smaller one that will ever exist is visible too.
 *
 * Each change's JSON was written once at push time (`changes.change`), so a page is read as text
 * and sent: the hub neither parses nor re-serialises 1,000 ops per page.
 */
export async function pullPage(db: pg.Pool, after: number, limit: number): Promise<{ json: string; cursor: number; count: number }> {
  const take = Math.max(1, Math.min(limit, SYNC_MAX_PULL));
  const result = await db.query<{ seq: string; change: string }>(
    'SELECT seq, change::text AS change FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2',
    [after, take + 1],
  );
  const rows = result.rows.slice(0, take);
  const cursor = rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : after;
  const more = result.rows.length > take;
  const tail: Omit<PullResponse, 'changes'> = { cursor, more };
  // Each stored change is `{"op":…}`: the seq goes in front.
  const changes = rows.map((row) => `{"seq":${row.seq},${row.change.slice(1)}`).join(',');
  return { json: `{"changes":[${changes}],${JSON.stringify(tail).slice(1)}`, cursor, count: rows.length };
}

/**
 * Whether this log holds the change `opId` at `seq`, or held it until an erasure removed it (its
 * skeleton is in the audit table). False means the log is not the one the desk synced with: the
 * database was restored from a backup taken before that change, or replaced.
 */
export async function knowsChange(db: pg.Pool, seq: number, opId: string): Promise<boolean> {
  const result = await db.query<{ known: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM changes WHERE seq = $1 AND op_id = $2)
         OR EXISTS (SELECT 1 FROM audit WHERE op_id = $2) AS known`,
    [seq, opId],
  );
  return result.rows[0]?.known === true;
}

/** The newest seq in the log (0 when empty), sent to a live client when it connects or after a gap in notifications. */
export async function latestSeq(db: pg.Pool): Promise<number> {
  const result = await db.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM changes');
  return Number(result.rows[0]?.seq ?? 0);
}
