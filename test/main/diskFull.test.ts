import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/app/services';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const call = { transport: 'test' } as const;

/**
 * A full disk, made with SQLite's own size cap (`max_page_count` at the file's current size): every
 * write that needs a new page is refused with SQLITE_FULL, exactly as on a full disk, without
 * filling this machine's disk.
 */
describe('a full disk', () => {
  let services: Services | null = null;
  afterEach(async () => {
    await services?.close();
    services = null;
  });

  it('refuses writes with a typed storage_full, keeps serving reads, survives 100 refusals and its timers, and loses nothing acknowledged', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const db = services.db!;
    const acknowledged: { userId: string; key: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const put = await services.dispatch('memory.put', { userId: 'kh-1', key: `truoc-${i}`, value: `ghi chú ${i}` }, call);
      expect(put).toMatchObject({ ok: true });
      acknowledged.push({ userId: 'kh-1', key: `truoc-${i}` });
    }
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);

    let refused = 0;
    for (let i = 0; i < 100; i++) {
      const value = crypto.randomBytes(6_000).toString('base64');
      const put = await services.dispatch('memory.put', { userId: `kh-${i % 7}`, key: `day-${i}`, value }, call);
      if (put.ok) acknowledged.push({ userId: `kh-${i % 7}`, key: `day-${i}` });
      else {
        expect(put.error.code).toBe('storage_full');
        expect(put.error.message).not.toMatch(/SQLITE|database or disk/i);
        refused++;
      }
      // Reads keep working while the disk is full.
      expect(await services.dispatch('memory.get', { userId: 'kh-1', key: 'truoc-0' }, call)).toMatchObject({ ok: true });
    }
    expect(refused).toBeGreaterThanOrEqual(90);
    // Background work (search indexing, maintenance) runs into the same full disk without ending the process.
    expect(await services.dispatch('memory.runMaintenance', { task: 'cleanup' }, call)).toHaveProperty('ok');
    await services.memory!.memory.searchMemory({ userId: 'kh-1' }, 'ghi chu', 5);

    db.pragma('max_page_count = 1073741823');
    expect(await services.dispatch('memory.put', { userId: 'kh-1', key: 'sau', value: 'đã có chỗ' }, call)).toMatchObject({ ok: true });
    for (const { userId, key } of acknowledged) {
      expect(await services.dispatch('memory.get', { userId, key }, call), key).toMatchObject({ ok: true });
    }
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
