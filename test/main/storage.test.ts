import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { integrityCheck, openDatabase, schemaVersionOf, type Migration } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import type { AppInfo } from '@shared/contract/app';
import { AppError } from '@shared/errors';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const latest = Math.max(...migrations.map((migration) => migration.version));

describe('storage', () => {
  it('opens one WAL file with foreign keys and applies every migration once', () => {
    const file = path.join(tempDir(), 'app.sqlite');
    const first = openDatabase(file, migrations);
    expect(first.status).toEqual({ state: 'ok', path: file, schemaVersion: latest });
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(first.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(first.db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(Number(first.db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    first.db.close();

    // A restart finds everything applied and runs nothing again.
    let ran = 0;
    const counted = migrations.map((migration) => ({ ...migration, up: (db: Database.Database) => ((ran += 1), migration.up(db)) }));
    const second = openDatabase(file, counted);
    expect(ran).toBe(0);
    expect(schemaVersionOf(second.db)).toBe(latest);
    second.db.close();
  });

  it('rolls a failing migration back and leaves the file at the previous version', () => {
    const file = path.join(tempDir(), 'app.sqlite');
    openDatabase(file, migrations).db.close();
    const broken: Migration = {
      version: latest + 1,
      name: 'adds a table, then fails',
      up(db) {
        db.exec('CREATE TABLE half_done (id INTEGER PRIMARY KEY)');
        db.exec('INSERT INTO table_that_does_not_exist VALUES (1)');
      },
    };
    let thrown: unknown;
    try {
      openDatabase(file, [...migrations, broken]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('migration_failed');
    expect((thrown as AppError).message).toContain(`stays at version ${latest}`);

    const db = new Database(file, { readonly: true });
    expect(schemaVersionOf(db)).toBe(latest);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('reports a damaged file to the user and never replaces it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'mm-assistant.sqlite');
    const garbage = Buffer.from('this is not a database, it is a shopping list: sữa, nước mắm, gạo '.repeat(200));
    fs.writeFileSync(file, garbage);

    const services = await startServices(dir);
    const info = await services.dispatch('app.info', {}, { transport: 'test' });
    expect(info).toMatchObject({ ok: true, value: { storage: { state: 'corrupt', path: file } } });
    if (info.ok) expect((info.value as AppInfo).storage.message).toMatch(/damaged|not an MM Assistant database/);
    const save = await services.dispatch('settings.set', { language: 'en' }, { transport: 'test' });
    expect(save).toMatchObject({ ok: false, error: { code: 'storage_unavailable' } });
    await services.close();
    expect(fs.readFileSync(file).equals(garbage)).toBe(true);
  });

  it('notices pages overwritten in the middle of the file at start, reports it, and writes nothing into it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'mm-assistant.sqlite');
    const first = await startServices(dir);
    for (let i = 0; i < 400; i++) {
      const put = await first.dispatch(
        'memory.put',
        { userId: `kh-${i % 20}`, key: `ghi-chu-${i}`, value: `khách số ${i} thích sữa không đường `.repeat(20) },
        { transport: 'test' },
      );
      expect(put.ok).toBe(true);
    }
    await first.close();
    // Four pages in the middle of the file overwritten, as a failing disk or a stray write would.
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    const pages = bytes.length / pageSize;
    expect(pages).toBeGreaterThan(20);
    const middle = Math.floor(pages / 2) * pageSize;
    bytes.fill(0x5a, middle, middle + 4 * pageSize);
    fs.writeFileSync(file, bytes);
    const damaged = fs.readFileSync(file);

    const services = await startServices(dir);
    const info = await services.dispatch('app.info', {}, { transport: 'test' });
    expect(info).toMatchObject({ ok: true, value: { storage: { state: 'corrupt', path: file } } });
    expect(await services.dispatch('memory.put', { userId: 'kh-1', key: 'moi', value: 1 }, { transport: 'test' })).toMatchObject({
      ok: false,
      error: { code: 'storage_unavailable' },
    });
    await services.close();
    expect(fs.readFileSync(file).equals(damaged)).toBe(true);
  });

  it('survives SIGKILL during writes: integrity ok and every acknowledged write present', async () => {
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const file = path.join(tempDir(), 'crash.sqlite');
      const lastAcknowledged = await runWriterUntilKilled(file, 200 + round * 150);
      const db = new Database(file);
      expect(integrityCheck(db)).toBe('ok');
      const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(`crash_${lastAcknowledged % 500}`) as { value: string } | undefined;
      expect(row, `write ${lastAcknowledged} was acknowledged but is missing`).toBeDefined();
      expect((JSON.parse(row!.value) as { i: number }).i).toBeGreaterThanOrEqual(lastAcknowledged);
      const keys = db.prepare("SELECT count(*) AS n FROM settings WHERE key LIKE 'crash_%'").get() as { n: number };
      // Writes after the last one read may have committed too; none before it may be missing.
      expect(keys.n).toBeGreaterThanOrEqual(Math.min(lastAcknowledged + 1, 500));
      db.close();
    }
  });
});

/** Starts the writer, kills it with SIGKILL after `writes` acknowledged writes, returns the last one. */
function runWriterUntilKilled(file: string, writes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../fixtures/storage-writer.ts'), file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let last = -1;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) last = Number(line);
      if (last >= writes && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL' && last >= 0) resolve(last);
      else reject(new Error(`writer ended without being killed (signal ${String(signal)}): ${stderr}`));
    });
  });
}
