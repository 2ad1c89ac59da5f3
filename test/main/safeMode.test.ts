import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AppInfo, StorageStatus } from '@shared/contract/app';
import type { BackupInfo, BackupList, StorageReplaced } from '@shared/contract/storage';
import type { CustomerExport } from '@shared/contract/memory';
import type { Result } from '@shared/errors';
import { DB_FILE_NAME } from '../../src/main/app/config';
import type { ServiceHost } from '../../src/main/app/host';
import { BackupStore, SET_ASIDE_DIR_NAME } from '../../src/main/storage/backups';
import { integrityCheck, openDatabase } from '../../src/main/storage/database';
import { StorageGuard } from '../../src/main/storage/guard';
import { migrations } from '../../src/main/storage/migrations';
import { ManualClock } from '../helpers/manualClock';
import { startHost, startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const call = { transport: 'test' } as const;

function value<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

async function fill(host: ServiceHost, customers: number, perCustomer: number, tag: string): Promise<void> {
  for (let i = 0; i < customers * perCustomer; i++) {
    const put = await host.dispatch(
      'memory.put',
      { userId: `kh-${i % customers}`, key: `${tag}-${i}`, value: `khách số ${i} thích sữa không đường, giao hàng buổi sáng `.repeat(8) },
      call,
    );
    expect(put.ok).toBe(true);
  }
}

/** Overwrites pages of the file, as a failing disk would, and empties the app's page cache so it reads them. */
function overwritePages(db: Database.Database, file: string, pages: number[]): Buffer {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const fd = fs.openSync(file, 'r+');
  for (const page of pages) fs.writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (page - 1) * pageSize);
  fs.closeSync(fd);
  db.pragma('shrink_memory');
  return fs.readFileSync(file);
}

/** Every leaf page of a table (they lie in the middle of the file). */
function leafPages(db: Database.Database, table: string): number[] {
  const pages = (db.prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'").all(table) as { pageno: number }[]).map(
    (row) => row.pageno,
  );
  expect(pages.length).toBeGreaterThan(2);
  return pages;
}

describe('read-only safe mode', () => {
  it('switches to safe mode within one operation when damage is read while working, writes nothing more, and a restore brings back everything up to the backup', async () => {
    const dir = tempDir();
    const file = path.join(dir, DB_FILE_NAME);
    const host = await startHost(dir);
    const changes: StorageStatus[] = [];
    host.events.subscribe((name, payload) => {
      if (name === 'app.storageChanged') changes.push(payload as StorageStatus);
    });
    await fill(host, 10, 30, 'truoc');
    const backup = value<BackupInfo>(await host.dispatch('storage.backupNow', {}, call));
    expect(backup.reason).toBe('manual');
    await fill(host, 10, 3, 'sau');
    // Everything pending is written before the damage (the search index flushes on a search).
    value(await host.dispatch('memory.search', { userId: 'kh-1', query: 'sữa' }, call));

    const db = host.current().db!;
    const damaged = overwritePages(db, file, leafPages(db, 'memory_entries'));
    const read = await host.dispatch('memory.export', { userId: 'kh-1' }, call);
    expect(read).toMatchObject({ ok: false, error: { code: 'storage_damaged' } });
    expect(changes).toEqual([expect.objectContaining({ state: 'damaged' })]);
    expect(value<AppInfo>(await host.dispatch('app.info', {}, call)).storage.state).toBe('damaged');

    // Every write is refused with a typed error; reads that do not touch the damage still work.
    for (const [channel, request] of [
      ['memory.put', { userId: 'kh-2', key: 'moi', value: 'không được ghi' }],
      ['settings.set', { language: 'en' }],
      ['sessions.create', { userId: 'kh-3' }],
    ] as const) {
      expect(await host.dispatch(channel, request, call)).toMatchObject({ ok: false, error: { code: 'storage_read_only' } });
    }
    expect(value<{ language: string }>(await host.dispatch('settings.get', {}, call)).language).toBe('vi');
    // No backup is taken of a damaged file, so the good ones stay.
    expect(await host.dispatch('storage.backupNow', {}, call)).toMatchObject({ ok: false, error: { code: 'storage_damaged' } });
    expect(fs.readFileSync(file).equals(damaged)).toBe(true);

    const list = value<BackupList>(await host.dispatch('storage.backups', {}, call));
    expect(list.backups.map((entry) => entry.name)).toEqual([backup.name]);
    const restored = value<StorageReplaced>(await host.dispatch('storage.restore', { name: backup.name }, call));
    expect(restored).toMatchObject({ restarted: true, restoredFrom: backup.name });
    // The damaged file is set aside byte for byte, never deleted.
    expect(restored.setAside).toContain(path.join(dir, SET_ASIDE_DIR_NAME));
    expect(fs.readFileSync(restored.setAside!).equals(damaged)).toBe(true);

    expect(value<AppInfo>(await host.dispatch('app.info', {}, call)).storage.state).toBe('ok');
    const kept = value<CustomerExport>(await host.dispatch('memory.export', { userId: 'kh-1' }, call));
    expect(kept.memories.map((memory) => memory.key).sort()).toEqual(Array.from({ length: 30 }, (_, n) => `truoc-${n * 10 + 1}`).sort());
    expect(value(await host.dispatch('memory.put', { userId: 'kh-2', key: 'moi', value: 'ghi lại được' }, call))).toBeTruthy();
    expect(value<BackupList>(await host.dispatch('storage.backups', {}, call)).backups.map((entry) => entry.name)).toContain(backup.name);
    await host.close();
    const reopened = new Database(file, { readonly: true });
    expect(integrityCheck(reopened)).toBe('ok');
    reopened.close();
  });

  it('"start with an empty database" keeps the old file aside, whole', async () => {
    const dir = tempDir();
    const host = await startHost(dir);
    await fill(host, 2, 5, 'cu');
    const replaced = value<StorageReplaced>(await host.dispatch('storage.startEmpty', { confirm: true }, call));
    expect(replaced).toMatchObject({ restarted: true, restoredFrom: null });
    expect(value<CustomerExport>(await host.dispatch('memory.export', { userId: 'kh-0' }, call)).memories).toEqual([]);
    await host.close();

    const old = new Database(replaced.setAside!, { readonly: true });
    expect(old.prepare('SELECT count(*) AS n FROM memory_entries').get()).toEqual({ n: 10 });
    old.close();
  });

  it('refuses a restore of a name that is not a listed backup, or of a damaged backup, and changes nothing', async () => {
    const dir = tempDir();
    const host = await startHost(dir);
    await fill(host, 1, 3, 'x');
    const backup = value<BackupInfo>(await host.dispatch('storage.backupNow', {}, call));
    expect(await host.dispatch('storage.restore', { name: '../mm-assistant.sqlite' }, call)).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    expect(await host.dispatch('storage.restore', { name: 'mm-assistant-20200101T000000000Z-daily.sqlite' }, call)).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    fs.writeFileSync(path.join(dir, 'backups', backup.name), 'not a database any more');
    expect(await host.dispatch('storage.restore', { name: backup.name }, call)).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringContaining('damaged') },
    });
    expect(value<AppInfo>(await host.dispatch('app.info', {}, call)).storage.state).toBe('ok');
    expect(fs.existsSync(path.join(dir, SET_ASIDE_DIR_NAME))).toBe(false);
    expect(value<CustomerExport>(await host.dispatch('memory.export', { userId: 'kh-0' }, call)).memories).toHaveLength(3);
    await host.close();
  });

  it('finishes a restore asked for before the app stopped (no restart possible) at the next start', async () => {
    const dir = tempDir();
    const first = await startServices(dir);
    value(await first.dispatch('memory.put', { userId: 'kh-1', key: 'a', value: 1 }, call));
    const backup = value<BackupInfo>(await first.dispatch('storage.backupNow', {}, call));
    value(await first.dispatch('memory.put', { userId: 'kh-1', key: 'b', value: 2 }, call));
    expect(value<StorageReplaced>(await first.dispatch('storage.restore', { name: backup.name }, call))).toEqual({
      restarted: false,
      setAside: null,
      restoredFrom: null,
    });
    await first.close();

    const second = await startServices(dir);
    expect(second.replaced).toMatchObject({ restoredFrom: backup.name });
    expect(value<CustomerExport>(await second.dispatch('memory.export', { userId: 'kh-1' }, call)).memories.map((memory) => memory.key)).toEqual([
      'a',
    ]);
    await second.close();
  });
});

describe('backups', () => {
  it('takes a backup before migrating a file that has data, and does not migrate without one', async () => {
    const dir = tempDir();
    const file = path.join(dir, DB_FILE_NAME);
    const older = migrations.filter((migration) => migration.version <= 5);
    const db = openDatabase(file, older).db;
    db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('language', '\"en\"', 1)").run();
    db.close();

    // The backups folder cannot be made (a file is in its way): the file stays at its version.
    fs.writeFileSync(path.join(dir, 'backups'), 'in the way');
    const refused = await startServices(dir);
    expect(refused.storage).toMatchObject({ state: 'migration_failed', schemaVersion: 5 });
    await refused.close();
    const untouched = new Database(file, { readonly: true });
    expect(untouched.pragma('user_version', { simple: true })).toBe(5);
    untouched.close();

    fs.rmSync(path.join(dir, 'backups'));
    const services = await startServices(dir);
    expect(services.storage.state).toBe('ok');
    const list = value<BackupList>(await services.dispatch('storage.backups', {}, call));
    expect(list.backups).toEqual([expect.objectContaining({ reason: 'migration' })]);
    await services.close();
    const copy = new Database(path.join(dir, 'backups', list.backups[0]!.name), { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBe(5);
    expect(copy.prepare("SELECT value FROM settings WHERE key = 'language'").get()).toEqual({ value: '"en"' });
    copy.close();
  });

  it('backs up daily while the file is healthy, keeps the chosen number, and a damaged copy turns on safe mode and keeps the good backups', async () => {
    const dir = tempDir();
    const file = path.join(dir, DB_FILE_NAME);
    const { db } = openDatabase(file, migrations);
    db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('language', '\"vi\"', 1)").run();
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 9));
    const backups = new BackupStore(file, clock);
    let keep = 2;
    const guard = new StorageGuard(db, { state: 'ok', path: file, schemaVersion: 7 }, backups, clock, () => keep);
    const states: string[] = [];
    guard.events.on('changed', (status) => states.push(status.state));
    guard.start();

    for (let day = 0; day < 4; day++) {
      await clock.advance(24 * 3600_000);
      await guard.whenIdle();
    }
    expect(backups.list().map((backup) => backup.reason)).toEqual(['daily', 'daily']);
    keep = 3;
    await clock.advance(24 * 3600_000);
    await guard.whenIdle();
    const good = backups.list();
    expect(good).toHaveLength(3);

    // Damage the data file; the next daily copy fails its integrity check: safe mode, the good backups stay.
    overwritePages(db, file, [2, 3]);
    await clock.advance(24 * 3600_000);
    await guard.whenIdle();
    expect(states).toEqual(['damaged']);
    expect(backups.list()).toEqual(good);
    expect(fs.readdirSync(path.join(dir, 'backups')).filter((name) => name.endsWith('.partial'))).toEqual([]);
    await guard.close();
    db.close();
  });

  it('keeps the backups folder and its copies owner-only', async () => {
    if (process.platform === 'win32') return;
    const dir = tempDir();
    const file = path.join(dir, DB_FILE_NAME);
    const { db } = openDatabase(file, migrations);
    const backups = new BackupStore(file, new ManualClock(Date.UTC(2026, 11, 1)));
    const info = await backups.create(db, 'manual', 3);
    expect(fs.statSync(backups.dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(backups.dir, info.name)).mode & 0o777).toBe(0o600);
    db.close();
  });
});
