import type { DeletedCounts } from '../../shared/contract/memory';
import { HotTier } from './hotTier';
import { searchSource, type MemoryStore } from './store';

/**
 * Deletes, in one transaction, everything of a customer (`sessionId` null) or of one session:
 * memory entries, sessions with their events and summaries, their search-index rows and usage.
 */
export function erase(store: MemoryStore, userId: string, sessionId: string | null): DeletedCounts {
  const { db } = store;
  const sessionFilter = sessionId === null ? 'user_id = ?' : 'user_id = ? AND session_id = ?';
  const args = sessionId === null ? [userId] : [userId, sessionId];
  const counts = db.transaction((): DeletedCounts => {
    const sessionRows = `SELECT id FROM memory_sessions WHERE ${sessionFilter}`;
    const count = (sql: string): number => (db.prepare(sql).get(...args) as { n: number }).n;
    const byTier = (sql: string) => db.prepare(sql).all(...args) as { tier: 'warm' | 'cold'; bytes: number; n: number }[];
    const result: DeletedCounts = {
      memories: count(`SELECT count(*) AS n FROM memory_entries WHERE ${sessionFilter}`),
      sessions: count(`SELECT count(*) AS n FROM memory_sessions WHERE ${sessionFilter}`),
      events: count(`SELECT count(*) AS n FROM memory_events WHERE session_row IN (${sessionRows})`),
      summaries: count(`SELECT count(*) AS n FROM memory_summaries WHERE session_row IN (${sessionRows})`),
    };
    const released = [
      ...byTier(`SELECT tier, sum(stored_bytes) AS bytes, count(*) AS n FROM memory_entries WHERE ${sessionFilter} GROUP BY tier`),
      ...byTier(`SELECT 'warm' AS tier, sum(bytes) AS bytes, count(*) AS n FROM memory_events WHERE session_row IN (${sessionRows})`),
      ...byTier(`SELECT 'cold' AS tier, sum(stored_bytes) AS bytes, count(*) AS n FROM memory_summaries WHERE session_row IN (${sessionRows})`),
    ];
    db.prepare(
      `DELETE FROM memory_fts WHERE rowid IN (
         SELECT id * 4 + ${searchSource.entry} FROM memory_entries WHERE ${sessionFilter}
         UNION ALL SELECT seq * 4 + ${searchSource.event} FROM memory_events WHERE session_row IN (${sessionRows})
         UNION ALL SELECT id * 4 + ${searchSource.summary} FROM memory_summaries WHERE session_row IN (${sessionRows}))`,
    ).run(...args, ...args, ...args);
    db.prepare(`DELETE FROM memory_entries WHERE ${sessionFilter}`).run(...args);
    // Events and summaries go with their session (ON DELETE CASCADE).
    db.prepare(`DELETE FROM memory_sessions WHERE ${sessionFilter}`).run(...args);
    if (sessionId === null) {
      db.prepare('DELETE FROM memory_usage WHERE user_id = ?').run(userId);
    } else {
      for (const { tier, bytes, n } of released) if (n > 0) store.adjustUsage(userId, tier, -bytes, -n);
    }
    return result;
  }).immediate();

  if (sessionId === null) {
    store.hot.dropUser(userId);
    const ofUser = (key: string): boolean => (JSON.parse(key) as string[])[0] === userId;
    for (const key of [...store.openSessions.keys()]) if (ofUser(key)) store.openSessions.delete(key);
    for (const key of [...store.sessionRows.keys()]) if (ofUser(key)) store.sessionRows.delete(key);
    store.forgetWarnings(userId);
  } else {
    const scopeKey = HotTier.scopeKey(userId, sessionId);
    store.hot.dropScope(scopeKey);
    store.openSessions.delete(scopeKey);
    store.sessionRows.delete(scopeKey);
  }
  store.events.emit('memory.changed', {
    userId,
    sessionId,
    key: null,
    change: sessionId === null ? 'deleteCustomer' : 'deleteSession',
  });
  return counts;
}
