import { describe, expect, it } from 'vitest';
import { compress, decompress } from '../../src/main/memory/codec';
import { AppError } from '@shared/errors';
import { tempDir } from '../helpers/tempDir';
import { DAY, HOUR, KB, ManualClock, incompressible, openMemory } from './helpers';

const start = Date.UTC(2026, 0, 5, 8, 0, 0);

describe('tiers', () => {
  it('places entries by size: small ones hot and warm, mid-size warm only, large ones cold and compressed', async () => {
    const m = openMemory(tempDir());
    const scope = { userId: 'c1' };
    m.memory.memorize(scope, 'small', 'a'.repeat(5 * KB));
    m.memory.memorize(scope, 'medium', 'b'.repeat(50 * KB));
    const large = m.memory.memorize(scope, 'large', 'Sữa tươi Vinamilk 1 lít. '.repeat(6000));
    expect(large).toMatchObject({ tier: 'cold', codec: 'brotli' });
    expect(large.storedBytes).toBeLessThan(large.sizeBytes / 10);
    const tiers = new Map(m.memory.listMemories({ userId: 'c1' }).items.map((item) => [item.key, item.tier]));
    expect(tiers.get('small')).toBe('hot');
    expect(tiers.get('medium')).toBe('warm');
    expect(tiers.get('large')).toBe('cold');
    expect(m.memory.getMemory(scope, 'medium').tier).toBe('warm');
    expect(m.memory.getMemory(scope, 'medium').tier).toBe('warm');
    expect(m.memory.getMemory(scope, 'large').tier).toBe('cold');
    await m.shutdown();
  });

  it('round-trips values through compression byte for byte (Vietnamese, emoji, large JSON), with either codec', async () => {
    const m = openMemory(tempDir());
    const value = {
      ghiChú: 'Khách quen ở Quận 7, thích cà phê Trung Nguyên 🇻🇳☕️ và bánh mì 🥖; không ăn được đậu phộng.',
      đơnHàng: Array.from({ length: 2000 }, (_, i) => ({
        mã: `SP${i}`,
        tên: `Nước mắm Nam Ngư ${i} chai 500ml 👍`,
        số_lượng: i % 7,
        giá: 25_500.5 + i,
      })),
      emoji: '👨‍👩‍👧‍👦🏳️‍🌈\u{1F600}',
      escapes: 'tab\tnew\nline "quoted" \\ \u0000 \u2028',
    };
    const saved = m.memory.memorize({ userId: 'c1' }, 'big', value);
    expect(saved.tier).toBe('cold');
    const read = m.memory.getMemory({ userId: 'c1' }, 'big');
    expect(JSON.stringify(read.value)).toBe(JSON.stringify(value));
    await m.shutdown();
    for (const codec of ['brotli', 'gzip'] as const) {
      const text = JSON.stringify(value);
      expect(decompress(compress(text, codec), codec)).toBe(text);
    }
  });

  it('demotes the least recently read warm entries to cold when a write needs room, and refuses what cannot fit', async () => {
    const m = openMemory(tempDir(), { limits: { warmUserBytes: 100 * KB, coldUserBytes: 120 * KB } });
    const scope = { userId: 'c1' };
    for (let i = 0; i < 4; i++) m.memory.memorize(scope, `k${i}`, incompressible(20 * KB, i + 1));
    m.memory.getMemory(scope, 'k0');
    m.db.prepare("UPDATE memory_entries SET accessed_at = accessed_at + 1000 WHERE key = 'k0'").run();
    m.memory.memorize(scope, 'k4', incompressible(20 * KB, 9));
    m.memory.memorize(scope, 'k5', incompressible(20 * KB, 10));
    const tiers = new Map(m.memory.listMemories({ userId: 'c1', limit: 20 }).items.map((item) => [item.key, item.storedTier]));
    expect(tiers.get('k5')).toBe('warm');
    expect(tiers.get('k0')).toBe('warm');
    expect([...tiers.values()].filter((tier) => tier === 'cold').length).toBeGreaterThan(0);
    expect(m.usage('c1', 'warm').bytes).toBeLessThanOrEqual(100 * KB);
    for (let i = 0; i < 6; i++) expect(m.memory.getMemory(scope, `k${i}`).value).toBe(incompressible(20 * KB, i < 4 ? i + 1 : i + 5));

    const before = m.memory.listMemories({ userId: 'c1', limit: 50 }).items;
    let refused: AppError | null = null;
    try {
      for (let i = 0; i < 20; i++) m.memory.memorize(scope, `more${i}`, incompressible(20 * KB, 100 + i));
    } catch (error) {
      refused = error as AppError;
    }
    expect(refused?.code).toBe('quota_exceeded');
    expect(refused?.message).toMatch(/warm memory quota/);
    expect(refused?.details).toMatchObject({ quota: 'warm', limit: 100 * KB });
    const after = m.memory.listMemories({ userId: 'c1', limit: 50 }).items;
    expect(after.filter((item) => !item.key.startsWith('more')).map((i) => i.key)).toEqual(before.map((i) => i.key));
    await m.shutdown();
  });

  it('promotes a small cold entry back to warm, then hot, when it is read', async () => {
    const clock = new ManualClock(start);
    const m = openMemory(tempDir(), { clock });
    m.memory.memorize({ userId: 'c1' }, 'thói quen', 'mua rau sáng thứ bảy');
    clock.advanceTo(start + 8 * DAY);
    const report = await m.memory.runMaintenance('compress');
    expect(report.demoted).toBe(1);
    expect(m.memory.listMemories({ userId: 'c1' }).items[0]).toMatchObject({ storedTier: 'cold', codec: 'brotli' });
    expect(m.memory.getMemory({ userId: 'c1' }, 'thói quen')).toMatchObject({ tier: 'cold', value: 'mua rau sáng thứ bảy' });
    expect(m.memory.listMemories({ userId: 'c1' }).items[0]).toMatchObject({ storedTier: 'warm', tier: 'hot' });
    expect(m.memory.getMemory({ userId: 'c1' }, 'thói quen').tier).toBe('hot');
    await m.shutdown();
  });

  it('deletes entries when their TTL passes, and cold ones after the retention period', async () => {
    const clock = new ManualClock(start);
    const m = openMemory(tempDir(), { clock });
    const scope = { userId: 'c1' };
    m.memory.memorize(scope, 'khuyến mãi', 'giảm 10% hôm nay', { ttlMs: HOUR });
    m.memory.memorize(scope, 'hết hạn', 'x', { ttlMs: HOUR });
    m.memory.memorize(scope, 'lưu trữ', 'y'.repeat(150 * KB));
    clock.advanceTo(start + 2 * HOUR);
    expect(() => m.memory.getMemory(scope, 'khuyến mãi')).toThrow(expect.objectContaining({ code: 'not_found' }));
    const rows = () => (m.db.prepare('SELECT key FROM memory_entries ORDER BY key').all() as { key: string }[]).map((r) => r.key);
    expect(rows()).toEqual(['hết hạn', 'lưu trữ']);
    expect((await m.memory.runMaintenance('cleanup')).expiredDeleted).toBe(1);
    expect(rows()).toEqual(['lưu trữ']);
    // The first manual run left the hourly timer set; moving the clock fires it.
    const reportsBefore = m.reports.length;
    clock.advanceTo(start + 31 * DAY);
    await m.memory.runMaintenance('cleanup');
    const deleted = m.reports.slice(reportsBefore).reduce((sum, report) => sum + report.expiredDeleted, 0);
    expect(deleted).toBe(1);
    expect(rows()).toEqual([]);
    expect(m.usage('c1', 'cold')).toEqual({ bytes: 0, entries: 0 });
    expect(m.memory.searchMemory(scope, 'giam')).toEqual([]);
    await m.shutdown();
  });
});
