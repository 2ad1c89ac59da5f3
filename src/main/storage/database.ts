import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { StorageStatus } from '@shared/contract/app';
import { AppError } from '@shared/errors';
import type { Logger } from '../core/logger';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, restrictMode } from '../core/privateFiles';

export type Db = Database.Database;

/**
 * One schema step. `up` runs inside a transaction together with the version bump; it may return a
 * report (counts only, never customer data), which is logged with the step.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Db): void | Record<string, unknown>;
}

export interface OpenedDatabase {
  db: Db;
  status: StorageStatus;
}

const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (or creates) the app's SQLite file with WAL, foreign keys and a busy timeout, then applies
 * pending migrations. A file that is not a database or is damaged is never replaced: the error
 * names the state so the UI can tell the user.
 */
export function openDatabase(file: string, migrations: readonly Migration[], logger?: Logger): OpenedDatabase {
  return migrateOpened(openDatabaseFile(file, logger), file, migrations, logger);
}

/**
 * Opens the file as `openDatabase` does (WAL, pragmas, `quick_check`) without migrating it, so the
 * caller can back it up before a migration.
 */
export function openDatabaseFile(file: string, logger?: Logger): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  restrictOrLog(path.dirname(file), PRIVATE_DIR_MODE, logger);
  let db: Db;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    logger?.error({ state: 'unreadable', path: file, err: error }, 'the data file cannot be opened');
    throw storageError('unreadable', file, error);
  }
  // Right after SQLite created it; the -wal and -shm it creates later copy the file's mode.
  restrictDataFiles(file, logger);
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, WAL could not be enabled`);
    db.pragma('foreign_keys = ON');
    // A forgotten customer's data must not linger in freed pages of the file.
    db.pragma('secure_delete = ON');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    db.close();
    const state = classify(error);
    logger?.error(
      { state, path: file, err: error },
      state === 'corrupt' ? 'the data file is damaged; it is left untouched' : 'the data file cannot be used',
    );
    throw storageError(state, file, error);
  }
  // Damage in the middle of the file (pages overwritten) does not stop SQLite from opening it:
  // checked before anything is written, so a damaged file is reported and left as it is.
  let check: string;
  try {
    check = String(db.pragma('quick_check', { simple: true }));
  } catch (error) {
    check = error instanceof Error ? error.message : String(error);
  }
  if (check !== 'ok') {
    db.close();
    logger?.error({ state: 'corrupt', path: file }, 'the data file is damaged (quick_check); it is left untouched');
    throw storageError('corrupt', file, new Error(`quick_check: ${check.slice(0, 200)}`));
  }
  return db;
}

/** Migrations newer than the file's version: a backup is taken before they run. */
export function pendingMigrations(db: Db, migrations: readonly Migration[]): Migration[] {
  const version = schemaVersionOf(db);
  return migrations.filter((migration) => migration.version > version);
}

/** Applies pending migrations to a file `openDatabaseFile` opened; on failure the file is closed and the error says why. */
export function migrateOpened(db: Db, file: string, migrations: readonly Migration[], logger?: Logger): OpenedDatabase {
  try {
    const schemaVersion = runMigrations(db, migrations, logger);
    // -wal and -shm left wider by an earlier run, now that WAL mode has opened them.
    restrictDataFiles(file, logger);
    return { db, status: { state: 'ok', path: file, schemaVersion } };
  } catch (error) {
    db.close();
    // runMigrations logged a failed migration; anything else (reading the version) is logged here.
    if (error instanceof AppError) throw error;
    const state = classify(error);
    logger?.error({ state, path: file, err: error }, 'the data file cannot be read');
    throw storageError(state, file, error);
  }
}

export function schemaVersionOf(db: Db): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Applies every migration newer than the file's `user_version`, each in its own transaction with
 * its version bump, so a failing step leaves the file at the previous version.
 */
export function runMigrations(db: Db, migrations: readonly Migration[], logger?: Logger): number {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.version === ordered[i - 1]!.version) {
      throw new Error(`two migrations share version ${ordered[i]!.version}`);
    }
  }
  let current = schemaVersionOf(db);
  for (const migration of ordered) {
    if (migration.version <= current) continue;
    const started = performance.now();
    let report: Record<string, unknown> | undefined;
    try {
      db.transaction(() => {
        report = migration.up(db) ?? undefined;
        db.pragma(`user_version = ${migration.version}`);
      })();
    } catch (error) {
      logger?.error(
        { version: migration.version, name: migration.name, schemaVersion: current, err: error },
        'migration failed; the file stays at the previous version',
      );
      throw new AppError(
        'migration_failed',
        `Database migration ${migration.version} (${migration.name}) failed; the file stays at version ${current}: ${messageOf(error)}`,
        { version: migration.version, name: migration.name, schemaVersion: current },
      );
    }
    logger?.info(
      { version: migration.version, name: migration.name, durationMs: Math.round(performance.now() - started), ...(report ? { report } : {}) },
      'migration applied',
    );
    current = migration.version;
  }
  return current;
}

export function integrityCheck(db: Db): string {
  return String(db.pragma('integrity_check', { simple: true }));
}

/** The data file and, once they exist, its -wal and -shm: owner-only. */
function restrictDataFiles(file: string, logger?: Logger): void {
  for (const part of [file, `${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(part)) restrictOrLog(part, PRIVATE_FILE_MODE, logger);
  }
}

/** Tightens a path to `mode` where the OS has such modes; a failure is logged, the file still opens. */
export function restrictOrLog(target: string, mode: number, logger?: Logger): void {
  const failure = restrictMode(target, mode);
  if (failure) logger?.warn({ path: target, mode: mode.toString(8), err: failure }, 'could not make a data path owner-only');
}

function classify(error: unknown): 'corrupt' | 'unreadable' {
  const code = (error as { code?: string }).code ?? '';
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' ? 'corrupt' : 'unreadable';
}

function storageError(state: 'corrupt' | 'unreadable', file: string, error: unknown): AppError {
  const what = state === 'corrupt' ? 'is damaged or is not an MM Assistant database' : 'cannot be opened (check permissions and free disk space)';
  return new AppError('storage_unavailable', `The data file ${file} ${what}: ${messageOf(error)}. It was left untouched.`, {
    state,
    path: file,
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
