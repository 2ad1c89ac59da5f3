import type pg from 'pg';
import { inTransaction } from './database';

/**
 * Memories kept for a time only (`expiresAt` on a put) leave the hub when their time is up: the
 * shared state keeps the key as deleted (its stamp stays, so an older value arriving later does
 * not win), and the change log keeps each such put but without its value. Desks expire them at the
 * same time on their own; a desk pulling such a put later removes the key (src/main/sync/apply.ts).
 * Idempotent: several hub processes may sweep at once.
 */
export async function expireMemories(pool: pg.Pool, now: number): Promise<{ memories: number; changes: number }> {
  return inTransaction(pool, async (client) => {
    const memories = await client.query('UPDATE memories SET value = NULL, value_bytes = 0, deleted = true WHERE expires_at <= $1 AND NOT deleted', [
      now,
    ]);
    const changes = await client.query(
      `WITH due AS (DELETE FROM expiring_changes WHERE expires_at <= $1 RETURNING seq)
       UPDATE changes c SET change = jsonb_set(c.change::jsonb, '{op,value}', 'null')::json FROM due WHERE c.seq = due.seq`,
      [now],
    );
    return { memories: memories.rowCount ?? 0, changes: changes.rowCount ?? 0 };
  });
}
