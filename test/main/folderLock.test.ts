import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../../src/main/app/folderLock';
import type { Services } from '../../src/main/app/services';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

describe('one app per data folder', () => {
  const open: Services[] = [];
  afterEach(async () => {
    for (const services of open.splice(0).reverse()) await services.close();
  });

  it('refuses a second app on the same folder, naming it, and lets the next one in once the first has closed', async () => {
    const dir = tempDir();
    const first = await startServices(dir, { settingsOverrides: { demoStore: true } });
    open.push(first);
    const refused = await startServices(dir, { settingsOverrides: { demoStore: true } }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'conflict', details: { folder: dir, pid: process.pid } });
    expect((refused as Error).message).toContain(dir);
    // The refused start touched nothing: the first app still holds the folder and works.
    expect(await first.dispatch('memory.put', { userId: 'kh-1', key: 'k', value: 1 }, { transport: 'test' })).toMatchObject({ ok: true });

    await open.pop()!.close();
    expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false);
    const next = await startServices(dir, { settingsOverrides: { demoStore: true } });
    open.push(next);
    expect(await next.dispatch('memory.get', { userId: 'kh-1', key: 'k' }, { transport: 'test' })).toMatchObject({ ok: true, value: { value: 1 } });
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    expect(gone).toBeGreaterThan(0);
    fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), String(gone));
    const services = await startServices(dir, { settingsOverrides: { demoStore: true } });
    open.push(services);
    expect(fs.readFileSync(path.join(dir, LOCK_FILE_NAME), 'utf8')).toBe(String(process.pid));
  });
});
