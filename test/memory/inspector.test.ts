import { describe, expect, it } from 'vitest';
import { contract } from '@shared/contract';
import { tempDir } from '../helpers/tempDir';
import { DAY, KB, ManualClock, incompressible, openMemory } from './helpers';

const start = new Date(2026, 0, 5, 9, 0, 0, 0).getTime();

describe('memory inspector queries', () => {
  it('filters entries by key text, size and age, in the hot tier and in SQLite alike', async () => {
    const clock = new ManualClock(start);
    const m = openMemory(tempDir(), { clock });
    try {
      const customer = { userId: 'Chị Lan' };
      m.memory.memorize(customer, 'so_thich:sua', 'sữa tươi không đường');
      clock.advanceTo(start + 3 * DAY);
      m.memory.memorize(customer, 'so_thich:nuoc_mam', 'nước mắm Nam Ngư');
      m.memory.memorize(customer, 'lich_su_don', incompressible(40 * KB));
      const keys = (query: Parameters<typeof m.memory.listMemories>[0]) =>
        m.memory.listMemories({ userId: 'Chị Lan', ...query }).items.map((item) => item.key);

      expect(keys({ keyContains: 'so_thich' })).toEqual(['so_thich:nuoc_mam', 'so_thich:sua']);
      expect(keys({ minBytes: 10 * KB })).toEqual(['lich_su_don']);
      expect(keys({ updatedBefore: start + DAY })).toEqual(['so_thich:sua']);
      expect(keys({ keyContains: 'so_thich', updatedBefore: start + DAY })).toEqual(['so_thich:sua']);
      // The hot tier answers the same filters from its cache.
      expect(m.memory.listMemories({ userId: 'Chị Lan', tier: 'hot', keyContains: 'nuoc' }).items.map((item) => item.key)).toEqual([
        'so_thich:nuoc_mam',
      ]);
      expect(m.memory.listMemories({ userId: 'Chị Lan', tier: 'hot', updatedBefore: start + DAY }).items.map((item) => item.key)).toEqual([
        'so_thich:sua',
      ]);
    } finally {
      await m.shutdown();
    }
  });

  it('lists the summaries of old conversations with their JSON', async () => {
    const clock = new ManualClock(start);
    const m = openMemory(tempDir(), { clock });
    try {
      m.sessions.createSession({ userId: 'c1', sessionId: 'monday' });
      m.sessions.appendEvent({
        userId: 'c1',
        sessionId: 'monday',
        event: { author: 'user', kind: 'message', content: 'Tôi thích sữa tươi không đường. Giao 2 thùng.' },
      });
      m.sessions.closeSession({ userId: 'c1', sessionId: 'monday' });
      clock.advanceTo(start + 8 * DAY);
      expect(await m.memory.runMaintenance('summarize')).toMatchObject({ summarized: 1 });

      const summaries = m.memory.listSummaries('c1');
      expect(summaries).toEqual([
        expect.objectContaining({ sessionId: 'monday', eventCount: 1, key_facts: ['Giao 2 thùng.'], summary: expect.any(String) }),
      ]);
      expect(m.memory.listSummaries('c1', 'monday')).toHaveLength(1);
      expect(m.memory.listSummaries('c1', 'tuesday')).toEqual([]);
      expect(m.memory.listSummaries('c2')).toEqual([]);
    } finally {
      await m.shutdown();
    }
  });

  it('refuses malformed filters at the contract', () => {
    const list = contract['memory.list'].request;
    expect(list.safeParse({ minBytes: -1 }).success).toBe(false);
    expect(list.safeParse({ keyContains: '' }).success).toBe(false);
    expect(list.safeParse({ updatedBefore: 1.5 }).success).toBe(false);
    expect(list.safeParse({ keyContains: 'so_thich', minBytes: 0, updatedBefore: start }).success).toBe(true);
  });
});
