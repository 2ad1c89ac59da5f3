import { describe, expect, it } from 'vitest';
import { scopeToken } from '../../src/main/memory/search/searchIndex';
import { searchableText } from '../../src/main/memory/text';
import type { JsonValue } from '@shared/contract/memory';
import { foldAccents } from '@shared/text';
import { tempDir } from '../helpers/tempDir';
import { DAY, ManualClock, openMemory } from './helpers';

const start = new Date(2026, 0, 5, 9, 0, 0, 0).getTime();
const meta = (m: ReturnType<typeof openMemory>, name: string) =>
  (m.db.prepare('SELECT value FROM memory_meta WHERE name = ?').get(name) as { value: number } | undefined)?.value;

/** Rewrites the whole index as the previous version laid it out: the customer's token alone in `scope`, the folded text in `text`. */
function indexTheOldWay(m: ReturnType<typeof openMemory>): void {
  const { db } = m;
  db.transaction(() => {
    db.prepare("INSERT INTO memory_fts (memory_fts) VALUES ('delete-all')").run();
    const insert = db.prepare('INSERT INTO memory_fts (rowid, scope, text) VALUES (?, ?, ?)');
    for (const row of db.prepare("SELECT id, user_id, key, value FROM memory_entries WHERE codec = 'none'").all() as {
      id: number;
      user_id: string;
      key: string;
      value: string;
    }[]) {
      insert.run(row.id * 4, scopeToken(row.user_id), foldAccents(`${row.key} ${searchableText(JSON.parse(row.value) as JsonValue)}`));
    }
    const events = db
      .prepare("SELECT e.seq, e.content, s.user_id FROM memory_events e JOIN memory_sessions s ON s.id = e.session_row WHERE e.kind = 'message'")
      .all() as { seq: number; content: string; user_id: string }[];
    for (const row of events) insert.run(row.seq * 4 + 1, scopeToken(row.user_id), foldAccents(searchableText(JSON.parse(row.content) as JsonValue)));
    db.prepare("DELETE FROM memory_meta WHERE name = 'search_format'").run();
  })();
}

describe('search index', () => {
  it('finds a customer’s rows however many other customers the file holds, and never theirs', async () => {
    const m = openMemory(tempDir());
    for (let c = 0; c < 30; c++) m.memory.memorize({ userId: `c${c}` }, 'thích', 'sữa tươi không đường');
    m.memory.memorize({ userId: 'c1' }, 'dị ứng', 'đậu phộng');
    expect(m.memory.searchMemory({ userId: 'c1' }, 'sua tuoi').map((hit) => [hit.userId, hit.ref])).toEqual([['c1', 'thích']]);
    expect(m.memory.searchMemory({ userId: 'c1' }, 'dau phong')).toHaveLength(1);
    expect(m.memory.searchMemory({ userId: 'c2' }, 'dau phong')).toEqual([]);
    // Across customers (the inspector without a customer): every customer's entry.
    expect(m.memory.listMemories({ query: 'sữa', limit: 100 }).items).toHaveLength(30);
    await m.shutdown();
  });

  it('rebuilds an index of the previous layout in the background, finding everything meanwhile', async () => {
    const dir = tempDir();
    const clock = new ManualClock(start);
    const first = openMemory(dir, { clock });
    for (let i = 0; i < 1200; i++) first.memory.memorize({ userId: `c${i % 3}` }, `ghi chú ${i}`, i % 2 ? 'bia Sài Gòn' : 'gạo ST25');
    first.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    first.sessions.appendEvent({ userId: 'c1', sessionId: 's1', event: { author: 'user', kind: 'message', content: 'Cho tôi nước mắm Nam Ngư' } });
    first.indexPending();
    indexTheOldWay(first);
    await first.shutdown();

    const m = openMemory(dir, { clock });
    expect(meta(m, 'search_format')).toBeUndefined();
    const found = () => ({
      beer: m.memory.listMemories({ userId: 'c1', query: 'bia sai gon', limit: 500 }).items.length,
      everyone: m.memory.listMemories({ query: 'gao', limit: 500 }).items.length,
      message: m.memory.searchMemory({ userId: 'c1' }, 'nuoc mam').map((hit) => hit.kind),
      other: m.memory.searchMemory({ userId: 'c2' }, 'nuoc mam'),
    });
    const expected = { beer: 200, everyone: 500, message: ['message'], other: [] };
    expect(found()).toEqual(expected);
    m.memory.memorize({ userId: 'c1' }, 'mới', 'bia Sài Gòn lon');
    expect(found()).toEqual({ ...expected, beer: 201 });

    clock.advanceTo(start + 60_000);
    expect(meta(m, 'search_format')).toBe(2);
    expect(
      (m.db.prepare('SELECT count(*) AS n FROM memory_fts WHERE memory_fts MATCH ?').get(`scope:"${scopeToken('c1')}"`) as { n: number }).n,
    ).toBe(0);
    expect(found()).toEqual({ ...expected, beer: 201 });
    await m.shutdown();
  });

  it('indexes new messages that reuse the seqs of deleted ones', async () => {
    const m = openMemory(tempDir());
    m.sessions.createSession({ userId: 'c1', sessionId: 'old' });
    m.sessions.appendEvent({ userId: 'c1', sessionId: 'old', event: { author: 'user', kind: 'message', content: 'xin chào' } });
    m.sessions.createSession({ userId: 'c1', sessionId: 'newest' });
    for (let i = 0; i < 3; i++)
      m.sessions.appendEvent({ userId: 'c1', sessionId: 'newest', event: { author: 'user', kind: 'message', content: `tin ${i}` } });
    expect(m.memory.searchMemory({ userId: 'c1' }, 'tin')).toHaveLength(3);
    m.sessions.deleteSession({ userId: 'c1', sessionId: 'newest' });
    m.sessions.createSession({ userId: 'c1', sessionId: 'next' });
    m.sessions.appendEvent({ userId: 'c1', sessionId: 'next', event: { author: 'user', kind: 'message', content: 'bia Sài Gòn' } });
    expect(m.memory.searchMemory({ userId: 'c1' }, 'bia sai gon')).toEqual([expect.objectContaining({ kind: 'message', sessionId: 'next' })]);
    await m.shutdown();
  });

  it('keeps summaries findable, and finds nothing of a conversation once its customer is erased', async () => {
    const clock = new ManualClock(start);
    const m = openMemory(tempDir(), { clock });
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    m.sessions.appendEvent({
      userId: 'c1',
      sessionId: 's1',
      event: { author: 'user', kind: 'message', content: 'Tôi thích cà phê sữa đá. Giao 2 thùng.' },
    });
    m.sessions.closeSession({ userId: 'c1', sessionId: 's1' });
    clock.advanceTo(start + 8 * DAY);
    expect(await m.memory.runMaintenance('summarize')).toMatchObject({ summarized: 1 });
    expect(m.memory.searchMemory({ userId: 'c1' }, 'ca phe').map((hit) => hit.kind)).toEqual(['summary']);
    m.memory.deleteUserData('c1');
    expect(m.memory.searchMemory({ userId: 'c1' }, 'ca phe')).toEqual([]);
    expect((m.db.prepare('SELECT count(*) AS n FROM memory_fts').get() as { n: number }).n).toBe(0);
    await m.shutdown();
  });
});
