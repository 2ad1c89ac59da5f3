import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { MaintenanceReport, MaintenanceTask } from '@shared/contract/memory';
import { maintenanceTasks } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { Db } from '../../storage/database';
import { Statements } from '../statements';
import type { Clock } from '../../core/clock';
import type { MemoryEmitter } from '../events';
import type { MemoryLimits } from '../limits';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const SUMMARIZE_HOUR = 2;

export type Trigger = MaintenanceReport['trigger'];

/** When a task is next due after its last run: cleanup hourly, summarization daily at 02:00 local, compression weekly. */
export function nextDue(task: MaintenanceTask, lastRun: number): number {
  if (task === 'cleanup') return lastRun + HOUR;
  if (task === 'compress') return lastRun + 7 * DAY;
  const next = new Date(lastRun);
  next.setHours(SUMMARIZE_HOUR, 0, 0, 0);
  if (next.getTime() <= lastRun) next.setDate(next.getDate() + 1);
  return next.getTime();
}

/**
 * How a job runs its work: in short synchronous slices, each in a transaction, yielding to the
 * event loop between them; `active` turns false when maintenance stops or the file closes.
 */
export interface SliceRunner {
  slice<T>(work: (deadline: number) => T): Promise<T>;
  readonly active: boolean;
}

/** The jobs themselves (see `jobs.ts`). */
export type Job = (report: MaintenanceReport, runner: SliceRunner) => Promise<void>;

/**
 * Runs the memory jobs on timers, one at a time, in short synchronous slices. Last runs live in
 * SQLite (`memory_jobs`); at start every job whose time passed while the app was closed runs once
 * to catch up.
 */
export class MaintenanceScheduler {
  private readonly sql: Statements;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timers = new Map<MaintenanceTask, () => void>();
  private closed = false;
  private readonly lastRunStatement;
  private readonly recordStatement;

  constructor(
    private readonly db: Db,
    private readonly limits: Readonly<MemoryLimits>,
    private readonly clock: Clock,
    private readonly jobs: Record<MaintenanceTask, Job>,
    private readonly events: MemoryEmitter,
    /** Told about every finished run (logging, tests). */
    private readonly onReport: (report: MaintenanceReport) => void = () => undefined,
    /** Told about a run that failed; the job runs again at its next time. */
    private readonly onFailure: (task: MaintenanceTask, error: unknown) => void = () => undefined,
  ) {
    this.sql = new Statements(db);
    this.lastRunStatement = db.prepare<[string], { last_run_at: number }>('SELECT last_run_at FROM memory_jobs WHERE task = ?');
    this.recordStatement = db.prepare<[string, number, string]>(
      `INSERT INTO memory_jobs (task, last_run_at, report) VALUES (?, ?, ?)
       ON CONFLICT (task) DO UPDATE SET last_run_at = excluded.last_run_at, report = excluded.report`,
    );
  }

  /** Catches up missed runs, then keeps every job on its timer. */
  start(): Promise<void> {
    const now = this.clock.now();
    const runs: Promise<unknown>[] = [];
    for (const task of maintenanceTasks) {
      const last = this.lastRun(task);
      if (last === null || nextDue(task, last) <= now)
        runs.push(this.enqueue(task, 'catch-up').catch((error: unknown) => this.onFailure(task, error)));
      else this.schedule(task);
    }
    return Promise.all(runs).then(() => undefined);
  }

  /** Runs a job now (after any job in progress); the report is also recorded as its last run. */
  run(task: MaintenanceTask, trigger: Trigger = 'manual'): Promise<MaintenanceReport> {
    if (this.closed) return Promise.reject(new AppError('closed', 'Memory maintenance has stopped.'));
    if (!maintenanceTasks.includes(task)) return Promise.reject(new AppError('invalid_request', `unknown maintenance task ${String(task)}`));
    return this.enqueue(task, trigger);
  }

  lastRun(task: MaintenanceTask): number | null {
    return this.lastRunStatement.get(task)?.last_run_at ?? null;
  }

  /** The last run of every task that ran, for the stats. */
  lastRuns(): Partial<Record<MaintenanceTask, number>> {
    const runs: Partial<Record<MaintenanceTask, number>> = {};
    for (const row of this.sql.get('SELECT task, last_run_at FROM memory_jobs').all() as { task: MaintenanceTask; last_run_at: number }[]) {
      runs[row.task] = row.last_run_at;
    }
    return runs;
  }

  /** Resolves once no job is running or queued. */
  idle(): Promise<void> {
    return this.queue.then(
      () => undefined,
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    await this.idle();
  }

  private enqueue(task: MaintenanceTask, trigger: Trigger): Promise<MaintenanceReport> {
    const job = this.queue.then(() => this.execute(task, trigger));
    // The queue only orders the jobs: each job's own caller hears its failure.
    this.queue = job.catch(() => undefined);
    return job;
  }

  private schedule(task: MaintenanceTask): void {
    if (this.closed) return;
    const previous = this.timers.get(task);
    previous?.();
    const last = this.lastRun(task) ?? this.clock.now();
    const delay = Math.max(0, nextDue(task, last) - this.clock.now());
    this.timers.set(
      task,
      this.clock.schedule(() => {
        this.timers.delete(task);
        if (!this.closed) void this.enqueue(task, 'schedule').catch((error: unknown) => this.onFailure(task, error));
      }, delay),
    );
  }

  private async execute(task: MaintenanceTask, trigger: Trigger): Promise<MaintenanceReport> {
    const report: MaintenanceReport = {
      task,
      startedAt: this.clock.now(),
      finishedAt: 0,
      slices: 0,
      longestSliceMs: 0,
      expiredDeleted: 0,
      demoted: 0,
      compressed: 0,
      summarized: 0,
      skipped: 0,
      recent: 0,
      bytesFreed: 0,
      trigger,
    };
    try {
      await this.jobs[task](report, this.runnerFor(report));
      report.finishedAt = this.clock.now();
      if (this.db.open) this.recordStatement.run(task, report.startedAt, JSON.stringify(report));
      this.onReport(report);
      if (report.expiredDeleted + report.demoted + report.summarized > 0) {
        this.events.emit('changed', { userId: null, sessionId: null, key: null, change: 'maintenance' });
      }
      return report;
    } finally {
      this.schedule(task);
    }
  }

  private runnerFor(report: MaintenanceReport): SliceRunner {
    const { db, limits } = this;
    const isActive = (): boolean => !this.closed && db.open;
    return {
      /** One synchronous slice in a transaction; measured so the report shows the longest block. */
      async slice<T>(work: (deadline: number) => T): Promise<T> {
        const started = performance.now();
        const result = db.transaction(() => work(started + limits.sliceBudgetMs)).immediate();
        report.slices++;
        report.longestSliceMs = Math.max(report.longestSliceMs, performance.now() - started);
        await yieldToEventLoop();
        return result;
      },
      get active() {
        return isActive();
      },
    };
  }
}
