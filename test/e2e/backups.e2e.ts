import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WindowApi } from '@shared/contract';
import { DB_FILE_NAME } from '../../src/main/app/config';
import { SET_ASIDE_DIR_NAME } from '../../src/main/storage/backups';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { openAppInChromium, screenshot, type AppInChromium } from './harness';

const call = { transport: 'test' } as const;

/** A data folder with a backup of three notes, a fourth note after it, then pages in the middle of the file overwritten. */
async function damagedFolderWithBackup(dir: string): Promise<Buffer> {
  const services = await startServices(dir);
  for (let i = 0; i < 300; i++) {
    const key = i < 3 ? `ghi-chu-${i}` : `lich-su-${i}`;
    const put = await services.dispatch(
      'memory.put',
      { userId: i < 3 ? 'kh-001' : `kh-${i % 7}`, key, value: `mua sữa tươi lần ${i} `.repeat(20) },
      call,
    );
    expect(put.ok).toBe(true);
  }
  expect((await services.dispatch('storage.backupNow', {}, call)).ok).toBe(true);
  expect((await services.dispatch('memory.put', { userId: 'kh-001', key: 'sau-sao-luu', value: 'ghi sau bản sao lưu' }, call)).ok).toBe(true);
  await services.close();
  const file = path.join(dir, DB_FILE_NAME);
  const bytes = fs.readFileSync(file);
  const pageSize = bytes.readUInt16BE(16);
  const middle = Math.floor(bytes.length / pageSize / 2) * pageSize;
  bytes.fill(0x5a, middle, middle + 4 * pageSize);
  fs.writeFileSync(file, bytes);
  return bytes;
}

describe('a damaged data file, seen and repaired by staff in Chromium', () => {
  let app: AppInChromium | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it('shows the damage, lists the backups in Settings and restores one; the damaged file is set aside', async () => {
    const dir = tempDir('mm-e2e-backups-');
    const damaged = await damagedFolderWithBackup(dir);
    app = await openAppInChromium(dir, ['--demo']);
    const { page } = app;

    const banner = page.getByTestId('storage-banner');
    await expect.poll(() => banner.isVisible()).toBe(true);
    await banner.getByRole('button', { name: 'Mở sao lưu' }).click();
    const rows = page.getByTestId('backup-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('thủ công');
    await screenshot(page, 'backups-damaged');

    await rows.first().getByRole('button', { name: 'Khôi phục' }).click();
    const reloaded = page.waitForEvent('load', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Khôi phục bản này' }).click();
    // The services restart on the restored file and the page starts over on it.
    await reloaded;
    await expect.poll(() => page.getByTestId('demo-banner').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await page.getByTestId('storage-banner').count()).toBe(0);
    const keys = await page.evaluate(async () => {
      const api = (window as unknown as { api: WindowApi }).api;
      const exported = await api.invoke('memory.export', { userId: 'KH-001' });
      return exported.ok ? exported.value.memories.map((memory) => memory.key).sort() : exported.error.code;
    });
    expect(keys).toEqual(['ghi-chu-0', 'ghi-chu-1', 'ghi-chu-2']);

    const aside = fs.readdirSync(path.join(dir, SET_ASIDE_DIR_NAME)).filter((name) => name.endsWith('.sqlite'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, SET_ASIDE_DIR_NAME, aside[0]!)).equals(damaged)).toBe(true);
    expect(app.problems).toEqual([]);
  });
});
