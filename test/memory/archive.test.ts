import { describe, expect, it } from 'vitest';
import { compress } from '../../src/main/memory/codec';
import type { EventInput } from '../../src/main/memory/sessions/sessionService';
import type { SessionEvent, SummaryRecord } from '@shared/contract/memory';
import { tempDir } from '../helpers/tempDir';
import { DAY, ManualClock, openMemory } from './helpers';

const start = new Date(2026, 0, 5, 9, 0, 0, 0).getTime();

describe('summarized conversations', () => {
  it('keep every event, exactly, for the export: ids, authors, kinds, contents, turns and times', async () => {
    const clock = new ManualClock(start);
    const m = openMemory(tempDir(), { clock });
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    const inputs: EventInput[] = [
      { id: 'given-id', author: 'user', kind: 'message', content: 'Cho tôi 2 thùng bia Sài Gòn 🍺', turnId: 'turn-1', timestamp: start - 5000 },
      { author: 'root_agent', kind: 'transfer', content: { agent: 'cart_agent' }, turnId: 'turn-1', timestamp: start - 4000 },
      { author: 'cart_agent', kind: 'tool_call', content: { name: 'add_to_cart', args: { sku: 'MM100', quantity: 2 } }, timestamp: start - 4500 },
      { author: 'tool', kind: 'tool_result', content: { items: [{ sku: 'MM100', price: 325_000, note: null, ok: true }], nested: [[1, 2], []] } },
      { author: 'root_agent', kind: 'message', content: 'Dạ, em đã thêm 2 thùng.\n"Cảm ơn" anh \\ ạ', turnId: 'turn-2' },
    ];
    for (const event of inputs) m.sessions.appendEvent({ userId: 'c1', sessionId: 's1', event });
    const live = m.memory.exportUserData('c1').sessions[0]!.events;
    m.sessions.closeSession({ userId: 'c1', sessionId: 's1' });
    clock.advanceTo(start + 8 * DAY);
    expect(await m.memory.runMaintenance('summarize')).toMatchObject({ summarized: 1 });

    const exported = m.memory.exportUserData('c1').sessions[0]!;
    expect(exported.events).toEqual([]);
    expect(exported.summaries).toHaveLength(1);
    expect(exported.summaries[0]!.events).toEqual(live);
    expect(JSON.stringify(exported.summaries[0]!.events)).toBe(JSON.stringify(live));
    expect(exported.summaries[0]).toMatchObject({ key_facts: ['Cho tôi 2 thùng bia Sài Gòn 🍺'], summary: expect.stringContaining('2 messages') });
    expect(m.memory.listSummaries('c1')[0]).toMatchObject({ sessionId: 's1', eventCount: 5, key_facts: ['Cho tôi 2 thùng bia Sài Gòn 🍺'] });
    expect(m.memory.latestSummary('c1')).toEqual(exported.summaries.map(({ events: _events, ...record }) => record)[0]);

    // Everything kept for it is counted: the summary column and the compressed blob.
    const row = m.db
      .prepare('SELECT length(CAST(summary AS BLOB)) AS summary, length(transcript) AS transcript, stored_bytes FROM memory_summaries')
      .get() as Record<string, number>;
    expect(row.stored_bytes).toBe(row.summary! + row.transcript!);
    expect(m.usage('c1', 'cold')).toEqual({ bytes: row.stored_bytes, entries: 1 });
    await m.shutdown();
  });

  it('still read summaries stored before the archive layout (whole record in the row, a JSON array of events)', async () => {
    const m = openMemory(tempDir());
    m.sessions.createSession({ userId: 'c1', sessionId: 'old' });
    const record: SummaryRecord = {
      summary: '3 messages in session old',
      key_facts: ['Giao 2 thùng.'],
      user_preferences: { thich: 'sữa tươi' },
      important_events: [],
      timestamp: new Date(start).toISOString(),
    };
    const events: SessionEvent[] = [{ id: 'a1b2', author: 'user', kind: 'message', content: 'Giao 2 thùng.', turnId: null, timestamp: start }];
    const sessionRow = (m.db.prepare("SELECT id FROM memory_sessions WHERE session_id = 'old'").get() as { id: number }).id;
    const transcript = compress(JSON.stringify(events));
    m.db
      .prepare(
        `INSERT INTO memory_summaries (session_row, user_id, summary, codec, transcript, transcript_bytes, event_count, first_timestamp, last_timestamp, stored_bytes, created_at)
         VALUES (?, 'c1', ?, 'brotli', ?, ?, 1, ?, ?, ?, ?)`,
      )
      .run(sessionRow, JSON.stringify(record), transcript, transcript.length, start, start, transcript.length + 100, start);
    expect(m.memory.latestSummary('c1')).toEqual(record);
    expect(m.memory.listSummaries('c1')).toEqual([expect.objectContaining({ ...record, sessionId: 'old', eventCount: 1 })]);
    expect(m.memory.exportUserData('c1').sessions[0]!.summaries).toEqual([{ ...record, events }]);
    await m.shutdown();
  });
});

describe('session events', () => {
  it('get ids when they come without one: unique, UUID-shaped (version 8)', async () => {
    const m = openMemory(tempDir());
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    const ids = new Set<string>();
    for (let i = 0; i < 500; i++)
      ids.add(m.sessions.appendEvent({ userId: 'c1', sessionId: 's1', event: { author: 'user', kind: 'message', content: `tin ${i}` } }).event.id);
    expect(ids.size).toBe(500);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(m.sessions.getSession({ userId: 'c1', sessionId: 's1' }).events.map((event) => event.id)).toEqual([...ids]);
    await m.shutdown();
  });

  it('read back from SQLite are ordinary frozen events: equal, serializable, cloneable, contents frozen', async () => {
    const m = openMemory(tempDir(), { limits: { hotCapBytes: 1 } });
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    const content = { items: [{ sku: 'MM1', tên: 'Sữa tươi' }], total: 32_000 };
    const { event } = m.sessions.appendEvent({
      userId: 'c1',
      sessionId: 's1',
      event: { author: 'tool', kind: 'tool_result', content, turnId: 't1', timestamp: 5 },
    });
    const [read] = m.sessions.getSession({ userId: 'c1', sessionId: 's1', numRecentEvents: 5 }).events;
    expect(read).toEqual(event);
    expect(Object.keys(read!)).toEqual(['id', 'author', 'kind', 'content', 'turnId', 'timestamp']);
    expect(JSON.parse(JSON.stringify(read))).toEqual(event);
    expect(structuredClone(read)).toEqual(event);
    expect({ ...read }).toEqual(event);
    expect(Object.isFrozen(read)).toBe(true);
    expect(() => ((read!.content as { total: number }).total = 1)).toThrow();
    expect(content.total).toBe(32_000);
    await m.shutdown();
  });
});
