import { describe, expect, it } from 'vitest';
import { AppError } from '@shared/errors';
import { tempDir } from '../helpers/tempDir';
import { openMemory } from './helpers';

function errorOf(action: () => unknown): AppError {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a typed error');
}

describe('memory API', () => {
  it('remembers, recalls and forgets a value per customer, and the hot copy cannot be changed by a caller', async () => {
    const m = openMemory(tempDir());
    const saved = m.memory.memorize(
      { userId: 'c1' },
      'sữa yêu thích',
      { brand: 'Vinamilk', size: '1L' },
      { provenance: { sessionId: 's1', turnId: 't7' } },
    );
    expect(saved).toMatchObject({ key: 'sữa yêu thích', tier: 'warm', provenance: { sessionId: 's1', turnId: 't7' } });
    const got = m.memory.getMemory({ userId: 'c1' }, 'sữa yêu thích');
    expect(got).toMatchObject({ value: { brand: 'Vinamilk', size: '1L' }, tier: 'hot' });
    expect(() => ((got.value as Record<string, string>).brand = 'other')).toThrow();
    expect(errorOf(() => m.memory.getMemory({ userId: 'c2' }, 'sữa yêu thích')).code).toBe('not_found');
    expect(m.memory.forget({ userId: 'c1' }, 'sữa yêu thích')).toEqual({ deleted: true });
    expect(errorOf(() => m.memory.getMemory({ userId: 'c1' }, 'sữa yêu thích')).code).toBe('not_found');
    expect(m.memory.forget({ userId: 'c1' }, 'sữa yêu thích')).toEqual({ deleted: false });
    await m.shutdown();
  });

  it('keeps session-scoped and customer-wide memories apart, and accepts __proto__ as an id or key', async () => {
    const m = openMemory(tempDir());
    m.memory.memorize({ userId: '__proto__' }, '__proto__', 'customer');
    m.memory.memorize({ userId: '__proto__', sessionId: 'constructor' }, '__proto__', 'session');
    expect(m.memory.getMemory({ userId: '__proto__' }, '__proto__').value).toBe('customer');
    expect(m.memory.getMemory({ userId: '__proto__', sessionId: 'constructor' }, '__proto__').value).toBe('session');
    expect(m.memory.stats().customers.map((c) => c.userId)).toEqual(['__proto__']);
    await m.shutdown();
  });

  it('refuses bad input with a typed error and writes nothing', async () => {
    const m = openMemory(tempDir(), { limits: { coldEntryMaxBytes: 200 * 1024 } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: [string, () => unknown][] = [
      ['empty key', () => m.memory.memorize({ userId: 'c1' }, '', 1)],
      ['long key', () => m.memory.memorize({ userId: 'c1' }, 'k'.repeat(257), 1)],
      ['undefined value', () => m.memory.memorize({ userId: 'c1' }, 'k', undefined)],
      ['function value', () => m.memory.memorize({ userId: 'c1' }, 'k', { f: () => 1 })],
      ['NaN value', () => m.memory.memorize({ userId: 'c1' }, 'k', Number.NaN)],
      ['cyclic value', () => m.memory.memorize({ userId: 'c1' }, 'k', cyclic)],
      ['too large', () => m.memory.memorize({ userId: 'c1' }, 'k', 'x'.repeat(300 * 1024))],
      ['empty customer', () => m.memory.memorize({ userId: '' }, 'k', 1)],
      ['negative ttl', () => m.memory.memorize({ userId: 'c1' }, 'k', 1, { ttlMs: -5 })],
      ['unknown tier', () => m.memory.listMemories({ tier: 'lukewarm' as 'hot' })],
      ['negative limit', () => m.memory.listMemories({ limit: -1 })],
      ['forged cursor', () => m.memory.listMemories({ cursor: 'bm90LWEtY3Vyc29y' })],
    ];
    for (const [what, action] of bad) expect(errorOf(action).code, what).toBe('invalid_request');
    const rows = m.db.prepare('SELECT (SELECT count(*) FROM memory_entries) + (SELECT count(*) FROM memory_usage) AS n').get() as { n: number };
    expect(rows.n).toBe(0);
    await m.shutdown();
  });

  it('appends to a list without duplicating items, replaces it, and refuses to append to a non-list', async () => {
    const m = openMemory(tempDir());
    const scope = { userId: 'c1' };
    m.memory.memorizeList(scope, 'usual', ['gạo ST25', 'nước mắm'], { mode: 'append' });
    const appended = m.memory.memorizeList(scope, 'usual', ['nước mắm', 'trứng gà'], { mode: 'append' });
    expect(appended.value).toEqual(['gạo ST25', 'nước mắm', 'trứng gà']);
    expect(m.memory.memorizeList(scope, 'usual', ['bia'], { mode: 'replace' }).value).toEqual(['bia']);
    m.memory.memorize(scope, 'note', 'text');
    expect(errorOf(() => m.memory.memorizeList(scope, 'note', ['x'], { mode: 'append' })).code).toBe('conflict');
    expect(m.memory.getMemory(scope, 'note').value).toBe('text');
    await m.shutdown();
  });

  it('finds Vietnamese memories without accents (sua tuoi → sữa tươi, dau → đậu) and never another customer’s', async () => {
    const m = openMemory(tempDir());
    m.memory.memorize({ userId: 'c1' }, 'thích', 'Sữa tươi TH True Milk không đường');
    m.memory.memorize({ userId: 'c1' }, 'dị ứng', { món: 'Đậu phộng' });
    m.memory.memorize({ userId: 'c2' }, 'thích', 'sữa tươi Dalat Milk');
    const hits = m.memory.searchMemory({ userId: 'c1' }, 'sua tuoi');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ kind: 'memory', userId: 'c1', ref: 'thích' });
    expect(m.memory.searchMemory({ userId: 'c1' }, 'DAU phong')[0]).toMatchObject({ ref: 'dị ứng' });
    expect(m.memory.searchMemory({ userId: 'c3' }, 'sua')).toEqual([]);
    expect(m.memory.listMemories({ userId: 'c1', query: 'sữa' }).items.map((i) => i.key)).toEqual(['thích']);
    await m.shutdown();
  });

  it('also finds the customer’s past messages', async () => {
    const m = openMemory(tempDir());
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    m.sessions.appendEvent({ userId: 'c1', sessionId: 's1', event: { author: 'user', kind: 'message', content: 'Cho tôi 2 thùng bia Sài Gòn' } });
    const hits = m.memory.searchMemory({ userId: 'c1' }, 'bia sai gon');
    expect(hits).toEqual([expect.objectContaining({ kind: 'message', sessionId: 's1' })]);
    await m.shutdown();
  });

  it('pages through memories in a stable order with a cursor, filtered by customer, session and tier', async () => {
    const m = openMemory(tempDir());
    for (let i = 0; i < 25; i++) m.memory.memorize({ userId: 'c1' }, `k${String(i).padStart(2, '0')}`, i);
    m.memory.memorize({ userId: 'c1', sessionId: 's1' }, 'a', 1);
    m.memory.memorize({ userId: 'c2' }, 'a', 1);
    const keys: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = m.memory.listMemories({ userId: 'c1', limit: 10, ...(cursor ? { cursor } : {}) });
      keys.push(...result.items.map((item) => `${item.sessionId ?? ''}/${item.key}`));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(keys).toHaveLength(26);
    expect(keys[0]).toBe('/k00');
    expect(keys.at(-1)).toBe('s1/a');
    expect(m.memory.listMemories({ sessionId: 's1' }).items).toHaveLength(1);
    expect(m.memory.listMemories({ tier: 'cold' }).items).toHaveLength(0);
    expect(m.memory.listMemories({ tier: 'hot', userId: 'c2' }).items.map((i) => i.key)).toEqual(['a']);
    await m.shutdown();
  });

  it('exports everything about a customer as readable JSON', async () => {
    const m = openMemory(tempDir());
    m.memory.memorize({ userId: 'c1' }, 'địa chỉ', 'Quận 7');
    m.sessions.createSession({ userId: 'c1', sessionId: 's1', title: 'Sáng thứ hai' });
    m.sessions.appendEvent({ userId: 'c1', sessionId: 's1', event: { author: 'user', kind: 'message', content: 'xin chào' } });
    const exported = m.memory.exportUserData('c1');
    expect(exported.memories).toEqual([expect.objectContaining({ key: 'địa chỉ', value: 'Quận 7', scope: 'customer' })]);
    expect(exported.sessions[0]).toMatchObject({
      sessionId: 's1',
      title: 'Sáng thứ hai',
      events: [expect.objectContaining({ content: 'xin chào' })],
    });
    expect(JSON.parse(JSON.stringify(exported))).toEqual(exported);
    await m.shutdown();
  });

  it('counts hits per tier and misses in stats', async () => {
    const m = openMemory(tempDir());
    m.memory.memorize({ userId: 'c1' }, 'a', 'x');
    m.memory.getMemory({ userId: 'c1' }, 'a');
    expect(() => m.memory.getMemory({ userId: 'c1' }, 'missing')).toThrow();
    const stats = m.memory.stats();
    expect(stats.hits.hot).toBe(1);
    expect(stats.misses).toBe(1);
    expect(stats.tiers.warm.entries).toBe(1);
    expect(stats.tiers.hot.entries).toBe(1);
    expect(stats.process.rss).toBeGreaterThan(0);
    await m.shutdown();
  });
});
