import { describe, expect, it } from 'vitest';
import type { MemoryChange, QuotaWarning } from '../../src/main/memory';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { HOUR, KB, ManualClock, incompressible, openMemory } from './helpers';

const call = { transport: 'test' } as const;
const MB = 1024 * KB;

describe('memory events', () => {
  it('announces every committed change on memory.events, in memory’s own terms', async () => {
    const m = openMemory(tempDir());
    const changes: MemoryChange[] = [];
    m.events.on('changed', (change) => changes.push(change));
    m.memory.memorize({ userId: 'c1' }, 'sở thích', 'trà đá');
    m.memory.memorize({ userId: 'c1', sessionId: 's1' }, 'giỏ', ['bia']);
    m.memory.forget({ userId: 'c1' }, 'sở thích');
    m.memory.forget({ userId: 'c1' }, 'sở thích'); // nothing left to forget: no event
    expect(() => m.memory.memorize({ userId: 'c1' }, '', 1)).toThrow(); // refused: no event
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    m.sessions.deleteSession({ userId: 'c1', sessionId: 's1' });
    m.memory.deleteUserData('c1');
    expect(changes).toEqual([
      { userId: 'c1', sessionId: null, key: 'sở thích', change: 'put' },
      { userId: 'c1', sessionId: 's1', key: 'giỏ', change: 'put' },
      { userId: 'c1', sessionId: null, key: 'sở thích', change: 'forget' },
      { userId: 'c1', sessionId: 's1', key: null, change: 'deleteSession' },
      { userId: 'c1', sessionId: null, key: null, change: 'deleteCustomer' },
    ]);
    await m.shutdown();
  });

  it('announces maintenance that changed something, and quota warnings', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
    const m = openMemory(tempDir(), { clock, limits: { warmUserBytes: 100 * KB } });
    const changes: MemoryChange[] = [];
    const warnings: QuotaWarning[] = [];
    m.events.on('changed', (change) => changes.push(change));
    m.events.on('quotaWarning', (warning) => warnings.push(warning));
    m.memory.memorize({ userId: 'c1' }, 'khuyến mãi', 'giảm giá', { ttlMs: HOUR });
    clock.advanceTo(clock.now() + 2 * HOUR);
    expect((await m.memory.runMaintenance('cleanup')).expiredDeleted).toBe(1);
    expect((await m.memory.runMaintenance('cleanup')).expiredDeleted).toBe(0); // nothing changed: no event
    expect(changes.filter((change) => change.change === 'maintenance')).toEqual([
      { userId: null, sessionId: null, key: null, change: 'maintenance' },
    ]);
    m.memory.memorize({ userId: 'c1' }, 'lịch sử', incompressible(95 * KB));
    expect(warnings).toEqual([expect.objectContaining({ userId: 'c1', sessionId: null, quota: 'warm', limit: 100 * KB })]);
    await m.shutdown();
  });

  it('a failing listener stops neither the write nor the other listeners', async () => {
    const m = openMemory(tempDir());
    const heard: string[] = [];
    const stop = m.events.on('changed', () => {
      throw new Error('a closed window');
    });
    m.events.on('changed', (change) => heard.push(change.key ?? ''));
    expect(m.memory.memorize({ userId: 'c1' }, 'k', 'v')).toMatchObject({ key: 'k' });
    expect(m.memory.getMemory({ userId: 'c1' }, 'k').value).toBe('v');
    expect(heard).toEqual(['k']);
    stop();
    expect(m.events.listenerCount('changed')).toBe(2); // the test helper's forwarder and the one above
    await m.shutdown();
  });

  it('reach the renderer as contract events through the composition root, and new quotas apply at once', async () => {
    const services = await startServices(tempDir());
    try {
      const heard: { name: string; payload: unknown }[] = [];
      services.events.subscribe((name, payload) => heard.push({ name, payload }));
      expect(await services.dispatch('memory.put', { userId: 'c1', key: 'k', value: 1 }, call)).toMatchObject({ ok: true });
      expect(heard).toContainEqual({ name: 'memory.changed', payload: { userId: 'c1', sessionId: null, key: 'k', change: 'put' } });

      expect(await services.dispatch('settings.set', { quotas: { warmUserBytes: MB, coldUserBytes: MB } }, call)).toMatchObject({ ok: true });
      expect(services.memory!.memory.stats().limits).toMatchObject({ warmUserBytes: MB, coldUserBytes: MB });
      // Ten warm entries of 95 KB (kept plain) are over 90 % of the new 1 MB warm quota.
      for (let i = 0; i < 10; i++) {
        expect(await services.dispatch('memory.put', { userId: 'c1', key: `k${i}`, value: incompressible(95 * KB, i + 1) }, call)).toMatchObject({
          ok: true,
        });
      }
      expect(heard.filter((event) => event.name === 'memory.quotaWarning')).toEqual([
        { name: 'memory.quotaWarning', payload: expect.objectContaining({ userId: 'c1', quota: 'warm', limit: MB }) },
      ]);
    } finally {
      await services.close();
    }
  });
});
