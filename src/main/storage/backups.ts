import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BackupInfo, BackupReason, StorageReplaced } from '@shared/contract/storage';
import { AppError } from '@shared/errors';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../core/privateFiles';
import { restrictOrLog, type Db } from './database';

/** Beside the data file: `backups/` holds the copies, `set-aside/` the files a restore or a fresh start replaced. */
export const BACKUP_DIR_NAME = 'backups';
export const SET_ASIDE_DIR_NAME = 'set-aside';
/** A restore or a fresh start asked for and not finished yet (done at the next open, under the folder lock). */
const PENDING_CHANGE_FILE = 'storage-change.json';

const NAME = /^mm-assistant-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-(daily|migration|manual)\.sqlite$/;

/** `mm-assistant-20261201T020000123Z-daily.sqlite`: sorts by time, names its reason. */
function backupName(time: number, reason: BackupReason): string {
  const stamp = new Date(time).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `mm-assistant-${stamp}-${reason}.sqlite`;
}

function parseName(name: string): { createdAt: number; reason: BackupReason } | null {
  const match = NAME.exec(name);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, ms, reason] = match;
  return { createdAt: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms)), reason: reason as BackupReason };
}

/**
 * Backup copies of the data file, made with SQLite's online backup API while the app runs, in
 * `backups/` beside it (owner-only like the file). Each is checked with `integrity_check` before it
 * is kept, so a damaged file never pushes good backups out. Of each reason the newest `keep` are kept.
 */
export class BackupStore {
  readonly dir: string;

  constructor(
    private readonly dataFile: string,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {
    this.dir = path.join(path.dirname(dataFile), BACKUP_DIR_NAME);
  }

  /** Newest first. */
  list(): BackupInfo[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const backups: BackupInfo[] = [];
    for (const name of names) {
      const parsed = parseName(name);
      if (!parsed) continue;
      try {
        backups.push({ name, ...parsed, bytes: fs.statSync(path.join(this.dir, name)).size });
      } catch (error) {
        // Removed between the listing and the stat (a prune): not a backup any more.
        this.logger?.debug({ name, err: error }, 'a backup went away while listing');
      }
    }
    return backups.sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name));
  }

  /**
   * Copies the open database into a new backup, checks the copy and keeps it, then prunes the
   * oldest of that reason beyond `keep`. A copy that fails its check is deleted and the error says so.
   */
  async create(db: Db, reason: BackupReason, keep: number): Promise<BackupInfo> {
    fs.mkdirSync(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    restrictOrLog(this.dir, PRIVATE_DIR_MODE, this.logger);
    let time = this.clock.now();
    while (fs.existsSync(path.join(this.dir, backupName(time, reason)))) time++;
    const name = backupName(time, reason);
    const target = path.join(this.dir, name);
    const partial = `${target}.partial`;
    try {
      await db.backup(partial);
      restrictOrLog(partial, PRIVATE_FILE_MODE, this.logger);
      const check = checkFile(partial, 'integrity_check');
      if (check !== 'ok') {
        throw new AppError('storage_damaged', `The backup copy failed its integrity check (${check.slice(0, 200)}); the data file is damaged.`);
      }
      fs.renameSync(partial, target);
    } catch (error) {
      fs.rmSync(partial, { force: true });
      throw error;
    }
    const info: BackupInfo = { name, reason, createdAt: time, bytes: fs.statSync(target).size };
    this.logger?.info({ name, reason, bytes: info.bytes }, 'backup taken');
    this.prune(reason, keep);
    return info;
  }

  /** The newest backup of a reason, if any. */
  newest(reason: BackupReason): BackupInfo | undefined {
    return this.list().find((backup) => backup.reason === reason);
  }

  /** Deletes the oldest backups of `reason` beyond `keep` (at least one is always kept). */
  prune(reason: BackupReason, keep: number): void {
    const ofReason = this.list().filter((backup) => backup.reason === reason);
    for (const old of ofReason.slice(Math.max(1, keep))) {
      try {
        fs.rmSync(path.join(this.dir, old.name));
        this.logger?.info({ name: old.name }, 'old backup removed');
      } catch (error) {
        this.logger?.warn({ name: old.name, err: error }, 'an old backup could not be removed');
      }
    }
  }

  /** A listed backup that opens and passes `quick_check`; anything else is a typed refusal. */
  verified(name: string): BackupInfo {
    const backup = this.list().find((candidate) => candidate.name === name);
    if (!backup) throw new AppError('not_found', `There is no backup named ${name}.`, { name });
    let check: string;
    try {
      check = checkFile(path.join(this.dir, name), 'quick_check');
    } catch (error) {
      check = error instanceof Error ? error.message : String(error);
    }
    // Not `storage_damaged`: that code means the app's own file, and would switch it to safe mode.
    if (check !== 'ok')
      throw new AppError('invalid_request', `The backup ${name} is damaged (${check.slice(0, 200)}); choose another one.`, { name });
    return backup;
  }

  /** Asks for the data file to be replaced by a backup (or by an empty file) at the next open. */
  stage(change: { action: 'restore'; name: string } | { action: 'empty' }): void {
    if (change.action === 'restore') this.verified(change.name);
    const file = pendingChangeFile(this.dataFile);
    const partial = `${file}.partial`;
    fs.writeFileSync(partial, JSON.stringify({ ...change, stagedAt: this.clock.now() }), { mode: PRIVATE_FILE_MODE });
    fs.renameSync(partial, file);
  }
}

function pendingChangeFile(dataFile: string): string {
  return path.join(path.dirname(dataFile), PENDING_CHANGE_FILE);
}

/** Runs a check pragma on a file through its own read-only connection. */
function checkFile(file: string, pragma: 'quick_check' | 'integrity_check'): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma(pragma, { simple: true }));
  } finally {
    db.close();
  }
}

/**
 * Before the data file is opened (under the folder lock): finishes a staged restore or fresh
 * start. The current file and its -wal and -shm go to `set-aside/` (never deleted; the -wal first,
 * so a stray -wal can never be replayed into another file), then the backup is copied in. A crash
 * part-way leaves the request in place and the next start finishes it.
 */
export function applyStagedChange(dataFile: string, logger?: Logger): StorageReplaced | null {
  const file = pendingChangeFile(dataFile);
  let change: { action: 'restore'; name: string; stagedAt: number } | { action: 'empty'; stagedAt: number };
  try {
    change = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof change;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    logger?.error({ err: error }, 'a staged restore could not be read; it is ignored and the data file stays');
    fs.rmSync(file, { force: true });
    return null;
  }
  const dir = path.dirname(dataFile);
  const backup = change.action === 'restore' ? path.join(dir, BACKUP_DIR_NAME, path.basename(change.name)) : null;
  if (backup !== null && !fs.existsSync(backup)) {
    logger?.error({ name: change.action === 'restore' ? change.name : null }, 'the backup to restore is gone; the data file stays');
    fs.rmSync(file);
    return null;
  }
  const asideDir = path.join(dir, SET_ASIDE_DIR_NAME);
  fs.mkdirSync(asideDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const stamp = new Date(change.stagedAt).toISOString().replace(/[-:]/g, '').replace('.', '');
  const aside = path.join(asideDir, `${path.basename(dataFile, '.sqlite')}-${stamp}.sqlite`);
  for (const suffix of ['-wal', '-shm', '']) {
    if (fs.existsSync(dataFile + suffix)) fs.renameSync(dataFile + suffix, aside + suffix);
  }
  if (backup !== null) {
    const partial = `${dataFile}.restoring`;
    fs.copyFileSync(backup, partial);
    fs.chmodSync(partial, PRIVATE_FILE_MODE);
    fs.renameSync(partial, dataFile);
  }
  fs.rmSync(file);
  const replaced: StorageReplaced = {
    restarted: true,
    setAside: fs.existsSync(aside) ? aside : null,
    restoredFrom: backup === null ? null : path.basename(backup),
  };
  logger?.warn(
    { ...replaced },
    backup === null ? 'started with an empty data file; the old one is set aside' : 'data file restored from a backup; the old one is set aside',
  );
  return replaced;
}
