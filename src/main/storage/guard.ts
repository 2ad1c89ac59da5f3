import type { StorageStatus } from '@shared/contract/app';
import type { BackupInfo } from '@shared/contract/storage';
import { AppError, toErrorShape } from '@shared/errors';
import type { Clock } from '../core/clock';
import { Emitter } from '../core/emitter';
import { errorFacts, type Logger } from '../core/logger';
import type { BackupStore } from './backups';
import type { Db } from './database';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** The first daily check waits for the start's own work (catch-up maintenance, the first searches). */
const FIRST_CHECK_DELAY_MS = 5 * 60_000;

/**
 * Watches the open data file: damage found at run time (`SQLITE_CORRUPT`, `SQLITE_NOTADB` from any
 * operation the app reports here) or by the daily integrity check switches the connection to
 * read-only safe mode (`PRAGMA query_only`: SQLite itself refuses every write from then on), so
 * nothing more is written into a damaged file; staff see it and restore a backup. Once a day,
 * when the file is healthy, it takes a backup and checks that copy.
 */
export class StorageGuard {
  readonly events = new Emitter<{ changed: StorageStatus }>();
  private current: StorageStatus;
  private cancelTimer: (() => void) | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Db | null,
    status: StorageStatus,
    private readonly backups: BackupStore,
    private readonly clock: Clock,
    /** How many daily backups to keep (Settings), read at each backup. */
    private readonly keep: () => number,
    private readonly logger?: Logger,
  ) {
    this.current = status;
  }

  get status(): StorageStatus {
    return this.current;
  }

  /** Arms the daily check: soon after start when the newest daily backup is a day old or missing. */
  start(): void {
    if (!this.db) return;
    const newest = this.backups.newest('daily');
    const due = newest ? Math.max(newest.createdAt + DAY - this.clock.now(), FIRST_CHECK_DELAY_MS) : FIRST_CHECK_DELAY_MS;
    this.arm(due);
  }

  /** Any failure (thrown, or the shape a request answered): damage switches the app to safe mode; anything else is ignored here. */
  observe(error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code === 'storage_damaged' ? 'storage_damaged' : toErrorShape(error).code;
    if (code === 'storage_damaged') this.enterSafeMode('a damaged page was read while working');
  }

  /** Stops every write to the file (SQLite refuses them from now on) and tells the app. Once. */
  enterSafeMode(reason: string): void {
    if (!this.db || this.current.state === 'damaged') return;
    try {
      this.db.pragma('query_only = ON');
    } catch (error) {
      this.logger?.error({ err: errorFacts(error) }, 'could not switch the data file to read-only');
    }
    this.current = {
      ...this.current,
      state: 'damaged',
      message: `The data file is damaged (${reason}). The app is in read-only safe mode: nothing more is written to it. Restore a backup in Settings.`,
    };
    this.logger?.error({ reason, path: this.current.path }, 'the data file is damaged: read-only safe mode');
    this.events.emit('changed', this.current);
  }

  /** A backup now (Settings, "back up now"), after the same check as the daily one. */
  backupNow(): Promise<BackupInfo> {
    return this.serialized(() => this.checkAndBackUp('manual'));
  }

  /** Stops the timer and waits for a backup in progress (the file must stay open until it ends). */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.whenIdle();
  }

  private arm(ms: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.clock.schedule(() => {
      this.cancelTimer = null;
      void this.serialized(async () => {
        let next = DAY;
        try {
          await this.checkAndBackUp('daily');
        } catch (error) {
          next = HOUR;
          this.logger?.error({ err: errorFacts(error) }, 'the daily backup failed; it is tried again in an hour');
        }
        // In safe mode no backup is taken (the good ones must stay); a restore restarts the guard.
        if (!this.closed && this.current.state !== 'damaged') this.arm(next);
      });
    }, ms);
  }

  /** Resolves when no backup is running (tests, and `close`). */
  whenIdle(): Promise<void> {
    return this.running.then(
      () => undefined,
      () => undefined,
    );
  }

  /** One backup at a time (the daily one and a manual one never overlap). */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.running.catch(() => undefined).then(work);
    this.running = next;
    return next;
  }

  /** The copy is checked with `integrity_check` as it is taken; a damaged one means a damaged file: safe mode. */
  private async checkAndBackUp(reason: 'daily' | 'manual'): Promise<BackupInfo> {
    if (!this.db || this.closed) throw new AppError('storage_unavailable', 'There is no open data file to back up.');
    if (this.current.state === 'damaged') {
      throw new AppError('storage_damaged', 'The data file is damaged: no backup is taken of it, so the good backups stay.');
    }
    try {
      return await this.backups.create(this.db, reason, this.keep());
    } catch (error) {
      if (toErrorShape(error).code === 'storage_damaged') this.enterSafeMode('the integrity check of its backup copy failed');
      throw error;
    }
  }
}
