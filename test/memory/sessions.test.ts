import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tempDir';
import { openMemory, rowsMentioning } from './helpers';

describe('sessions', () => {
  it('creates, lists, reads the last N events oldest first, and pages the history', async () => {
    const m = openMemory(tempDir(), { limits: { recentEventsCached: 10 } });
    const s = m.sessions.createSession({ userId: 'c1', sessionId: 's1', title: 'Quầy 3' });
    expect(s.events).toEqual([]);
    expect(() => m.sessions.createSession({ userId: 'c1', sessionId: 's1' })).toThrow(expect.objectContaining({ code: 'conflict' }));
    for (let i = 0; i < 30; i++) {
      m.sessions.appendEvent({
        userId: 'c1',
        sessionId: 's1',
        event: { author: i % 2 ? 'root_agent' : 'user', kind: 'message', content: `tin ${i}`, timestamp: 1000 + i },
      });
    }
    const last5 = m.sessions.getSession({ userId: 'c1', sessionId: 's1', numRecentEvents: 5 }).events.map((e) => e.content);
    expect(last5).toEqual(['tin 25', 'tin 26', 'tin 27', 'tin 28', 'tin 29']);
    const last20 = m.sessions.getSession({ userId: 'c1', sessionId: 's1', numRecentEvents: 20 }).events.map((e) => e.content);
    expect(last20[0]).toBe('tin 10');
    expect(last20).toHaveLength(20);
    const after = m.sessions.getSession({ userId: 'c1', sessionId: 's1', afterTimestamp: 1026 }).events.map((e) => e.content);
    expect(after).toEqual(['tin 27', 'tin 28', 'tin 29']);
    expect(m.sessions.getSession({ userId: 'c1', sessionId: 's1' }).events).toHaveLength(30);

    const seen: string[] = [];
    let before: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = m.sessions.listEvents({ userId: 'c1', sessionId: 's1', limit: 8, ...(before ? { before } : {}) });
      seen.unshift(...result.events.map((e) => e.content as string));
      if (!result.nextCursor) break;
      before = result.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `tin ${i}`));
    expect(m.sessions.listSessions({ userId: 'c1' })).toEqual([
      expect.objectContaining({ sessionId: 's1', title: 'Quầy 3', eventCount: 30, lastEventAt: 1029 }),
    ]);
    await m.shutdown();
  });

  it('does not store partial (streaming) events nor the same event id twice', async () => {
    const m = openMemory(tempDir());
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    const partial = m.sessions.appendEvent({
      userId: 'c1',
      sessionId: 's1',
      event: { author: 'root_agent', kind: 'message', content: 'Dạ', partial: true },
    });
    expect(partial.stored).toBe(false);
    const first = m.sessions.appendEvent({
      userId: 'c1',
      sessionId: 's1',
      event: { id: 'e1', author: 'root_agent', kind: 'message', content: 'Dạ, em chào anh' },
    });
    const again = m.sessions.appendEvent({
      userId: 'c1',
      sessionId: 's1',
      event: { id: 'e1', author: 'root_agent', kind: 'message', content: 'Dạ, em chào anh' },
    });
    expect([first.stored, again.stored]).toEqual([true, false]);
    expect(m.sessions.getSession({ userId: 'c1', sessionId: 's1' }).events.map((e) => e.id)).toEqual(['e1']);
    expect(m.usage('c1', 'warm').entries).toBe(1);
    await m.shutdown();
  });

  it('refuses malformed events and unknown sessions with typed errors, writing nothing', async () => {
    const m = openMemory(tempDir());
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    const bad = [
      { author: '', kind: 'message', content: 'x' },
      { author: 'user', kind: 'shout', content: 'x' },
      { author: 'user', kind: 'message', content: undefined },
      { author: 'user', kind: 'message', content: 'x', extra: 1 },
    ];
    for (const event of bad) {
      expect(() => m.sessions.appendEvent({ userId: 'c1', sessionId: 's1', event: event as never })).toThrow(
        expect.objectContaining({ code: 'invalid_request' }),
      );
    }
    expect(() => m.sessions.appendEvent({ userId: 'c1', sessionId: 'nope', event: { author: 'user', kind: 'message', content: 'x' } })).toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
    expect((m.db.prepare('SELECT count(*) AS n FROM memory_events').get() as { n: number }).n).toBe(0);
    await m.shutdown();
  });

  it('deleting a customer leaves no row of theirs in any table, search index included; others are untouched', async () => {
    const m = openMemory(tempDir());
    const victim = 'khach-0909123456';
    for (const userId of [victim, 'khach-khac']) {
      m.memory.memorize({ userId }, 'sở thích', 'cà phê sữa đá');
      m.memory.memorize({ userId, sessionId: 's1' }, 'giỏ', ['bia', 'đá']);
      m.memory.memorize({ userId }, 'lịch sử', 'Mua hàng tuần: '.repeat(10_000));
      m.sessions.createSession({ userId, sessionId: 's1' });
      m.sessions.appendEvent({ userId, sessionId: 's1', event: { author: 'user', kind: 'message', content: 'Cho tôi cà phê' } });
    }
    m.sessions.closeSession({ userId: victim, sessionId: 's1' });
    m.db.prepare('UPDATE memory_events SET timestamp = 0').run();
    m.sessions.closeSession({ userId: 'khach-khac', sessionId: 's1' });
    expect((await m.memory.runMaintenance('summarize')).summarized).toBe(2);
    m.sessions.createSession({ userId: victim, sessionId: 's2' });
    m.sessions.appendEvent({ userId: victim, sessionId: 's2', event: { author: 'user', kind: 'message', content: 'ca phe' } });
    expect(m.memory.searchMemory({ userId: victim }, 'ca phe').length).toBeGreaterThan(1);

    const counts = m.memory.deleteUserData(victim);
    expect(counts).toEqual({ memories: 3, sessions: 2, events: 1, summaries: 1 });
    expect(rowsMentioning(m.db, victim)).toEqual([]);
    expect(m.memory.searchMemory({ userId: victim }, 'ca phe')).toEqual([]);
    const vocabulary = m.db.prepare("SELECT count(*) AS n FROM memory_fts WHERE memory_fts MATCH 'text:ca AND text:phe'").get() as { n: number };
    expect(vocabulary.n).toBe(2); // the other customer’s memory and conversation summary
    expect(() => m.memory.getMemory({ userId: victim }, 'sở thích')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(m.memory.getMemory({ userId: 'khach-khac' }, 'sở thích').value).toBe('cà phê sữa đá');
    expect(m.memory.stats().customers.map((c) => c.userId)).toEqual(['khach-khac']);
    await m.shutdown();
  });

  it('deleting a session removes its events, summaries and session memories in one go', async () => {
    const m = openMemory(tempDir());
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    m.sessions.appendEvent({ userId: 'c1', sessionId: 's1', event: { author: 'user', kind: 'message', content: 'nước mắm' } });
    m.memory.memorize({ userId: 'c1', sessionId: 's1' }, 'giỏ', ['nước mắm']);
    m.memory.memorize({ userId: 'c1' }, 'tên', 'Anh Minh');
    expect(m.sessions.deleteSession({ userId: 'c1', sessionId: 's1' })).toEqual({ memories: 1, sessions: 1, events: 1, summaries: 0 });
    expect(() => m.sessions.getSession({ userId: 'c1', sessionId: 's1' })).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(m.memory.searchMemory({ userId: 'c1' }, 'nuoc mam')).toEqual([]);
    expect(m.usage('c1', 'warm').entries).toBe(1);
    await m.shutdown();
  });
});
