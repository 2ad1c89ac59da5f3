import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { MaintenanceReport, MaintenanceTask, SessionEvent } from '../../shared/contract/memory';
import { maintenanceTasks } from '../../shared/contract/memory';
import { AppError } from '../../shared/errors';
import { compressInBackground } from './codec';
import { HotTier } from './hotTier';
import { eventFromRow, type EventRow } from './memoryService';
import { ENTRY_META_COLUMNS, searchSource, type EntryMeta, type EntryRow, type MemoryStore } from './store';
import type { Summarizer } from './summarizer';
import { foldAccents } from '../../shared/text';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const SUMMARIZE_HOUR = 2;
/** Rows of the id space one slice looks at, so a slice stays short even when few rows match. */
const ID_CHUNK = 2000;

type Trigger = MaintenanceReport['trigger'];

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
 * Runs the memory jobs on timers, one at a time, in short synchronous slices that yield to the
 * event loop between them. Last runs live in SQLite; at start every job whose time passed while
 * the app was closed runs once to catch up.
 */
export class MaintenanceScheduler {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timers = new Map<MaintenanceTask, unknown>();
  private closed = false;

  constructor(
    private readonly store: MemoryStore,
    private readonly summarizer: Summarizer,
    /** Told about every finished run (logging, tests). */
    private readonly onReport: (report: MaintenanceReport) => void = () => undefined,
  ) {}

  /** Catches up missed runs, then keeps every job on its timer. */
  start(): Promise<void> {
    const now = this.store.now();
    const runs: Promise<unknown>[] = [];
    for (const task of maintenanceTasks) {
      const last = this.lastRun(task);
      if (last === null || nextDue(task, last) <= now) runs.push(this.enqueue(task, 'catch-up').catch(() => undefined));
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
    const row = this.store.db.prepare('SELECT last_run_at FROM memory_jobs WHERE task = ?').get(task) as { last_run_at: number } | undefined;
    return row?.last_run_at ?? null;
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
    for (const handle of this.timers.values()) this.store.clock.clearTimer(handle);
    this.timers.clear();
    await this.idle();
  }

  private enqueue(task: MaintenanceTask, trigger: Trigger): Promise<MaintenanceReport> {
    const job = this.queue.then(() => this.execute(task, trigger));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private schedule(task: MaintenanceTask): void {
    if (this.closed) return;
    const previous = this.timers.get(task);
    if (previous !== undefined) this.store.clock.clearTimer(previous);
    const last = this.lastRun(task) ?? this.store.now();
    const delay = Math.max(0, nextDue(task, last) - this.store.now());
    this.timers.set(
      task,
      this.store.clock.setTimer(() => {
        this.timers.delete(task);
        if (!this.closed) void this.enqueue(task, 'schedule').catch(() => undefined);
      }, delay),
    );
  }

  private async execute(task: MaintenanceTask, trigger: Trigger): Promise<MaintenanceReport> {
    const report: MaintenanceReport = {
      task,
      startedAt: this.store.now(),
      finishedAt: 0,
      slices: 0,
      longestSliceMs: 0,
      expiredDeleted: 0,
      demoted: 0,
      compressed: 0,
      summarized: 0,
      skipped: 0,
      bytesFreed: 0,
      trigger,
    };
    try {
      if (task === 'cleanup') await this.cleanup(report);
      else if (task === 'compress') await this.compressIdle(report);
      else await this.summarizeOld(report);
      report.finishedAt = this.store.now();
      if (this.store.db.open) {
        this.store.db
          .prepare(
            `INSERT INTO memory_jobs (task, last_run_at, report) VALUES (?, ?, ?)
             ON CONFLICT (task) DO UPDATE SET last_run_at = excluded.last_run_at, report = excluded.report`,
          )
          .run(task, report.startedAt, JSON.stringify(report));
      }
      this.onReport(report);
      if (report.expiredDeleted + report.demoted + report.summarized > 0) {
        this.store.events.emit('memory.changed', { userId: null, sessionId: null, key: null, change: 'maintenance' });
      }
      return report;
    } finally {
      this.schedule(task);
    }
  }

  /** One synchronous slice in a transaction; measured so the report shows the longest block. */
  private async slice<T>(report: MaintenanceReport, work: (deadline: number) => T): Promise<T> {
    const started = performance.now();
    const result = this.store.db.transaction(() => work(started + this.store.limits.sliceBudgetMs)).immediate();
    report.slices++;
    report.longestSliceMs = Math.max(report.longestSliceMs, performance.now() - started);
    await yieldToEventLoop();
    return result;
  }

  private get active(): boolean {
    return !this.closed && this.store.db.open;
  }

  /** Deletes entries past their TTL, cold entries and summaries past retention. */
  private async cleanup(report: MaintenanceReport): Promise<void> {
    const { db, limits } = this.store;
    const now = this.store.now();
    const expired = db.prepare<[number], EntryMeta>(
      `SELECT ${ENTRY_META_COLUMNS} FROM memory_entries WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 200`,
    );
    const staleCold = db.prepare<[number, number, number], EntryMeta>(
      `SELECT ${ENTRY_META_COLUMNS} FROM memory_entries WHERE id > ? AND id <= ? AND tier = 'cold' AND accessed_at <= ? ORDER BY id`,
    );
    const staleSummaries = db.prepare<[number], { id: number; user_id: string; stored_bytes: number }>(
      'SELECT id, user_id, stored_bytes FROM memory_summaries WHERE created_at <= ? LIMIT 200',
    );
    for (let more = true; more && this.active; ) {
      more = await this.slice(report, (deadline) => {
        const rows = expired.all(now);
        for (const row of rows) {
          this.store.deleteEntry(row);
          report.expiredDeleted++;
          report.bytesFreed += row.stored_bytes;
          if (performance.now() > deadline) return true;
        }
        return rows.length === 200;
      });
    }
    await this.scanEntries(report, (from, to) => staleCold.all(from, to, now - limits.coldRetentionMs), (row) => {
      this.store.deleteEntry(row);
      report.expiredDeleted++;
      report.bytesFreed += row.stored_bytes;
    });
    for (let more = true; more && this.active; ) {
      more = await this.slice(report, () => {
        const rows = staleSummaries.all(now - limits.coldRetentionMs);
        for (const row of rows) {
          this.store.deleteSummary(row.user_id, row);
          report.expiredDeleted++;
          report.bytesFreed += row.stored_bytes;
        }
        return rows.length === 200;
      });
    }
    this.store.pruneOpenSessions();
    this.store.metrics.cleanups++;
  }

  /** Demotes warm entries not read within the warm TTL to cold, compressed. */
  private async compressIdle(report: MaintenanceReport): Promise<void> {
    const idle = this.store.db.prepare<[number, number, number], EntryMeta>(
      `SELECT ${ENTRY_META_COLUMNS} FROM memory_entries WHERE id > ? AND id <= ? AND tier = 'warm' AND accessed_at <= ? ORDER BY id`,
    );
    const full = this.store.db.prepare<[number], EntryRow>('SELECT * FROM memory_entries WHERE id = ?');
    const cutoff = this.store.now() - this.store.limits.warmTtlMs;
    await this.scanEntries(report, (from, to) => idle.all(from, to, cutoff), (row) => {
      try {
        this.store.db.transaction(() => {
          const entry = full.get(row.id);
          if (entry) report.bytesFreed += this.store.demote(entry);
        })();
        report.demoted++;
        report.compressed++;
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'quota_exceeded')) throw error;
        report.skipped++;
      }
    });
  }

  /**
   * Walks the entry id space in chunks of metadata (values are loaded one at a time by `act`), and
   * stops a slice at its deadline, even mid-chunk, resuming after the last row it handled.
   */
  private async scanEntries(
    report: MaintenanceReport,
    select: (fromId: number, toId: number) => EntryMeta[],
    act: (row: EntryMeta) => void,
  ): Promise<void> {
    const maxId = (this.store.db.prepare('SELECT max(id) AS id FROM memory_entries').get() as { id: number | null }).id ?? 0;
    let from = 0;
    while (from < maxId && this.active) {
      from = await this.slice(report, (deadline) => {
        let cursor = from;
        while (cursor < maxId) {
          const to = cursor + ID_CHUNK;
          for (const row of select(cursor, to)) {
            act(row);
            if (performance.now() > deadline) return row.id;
          }
          cursor = to;
          if (performance.now() > deadline) break;
        }
        return cursor;
      });
    }
  }

  /**
   * Summarizes conversations whose last event is older than the limit and that are not open; the
   * summary and compressed transcript are stored in the same transaction that deletes the events.
   */
  private async summarizeOld(report: MaintenanceReport): Promise<void> {
    const { db, limits } = this.store;
    const cutoff = this.store.now() - limits.summarizeAfterMs;
    const candidates = db.prepare<[number], { id: number; user_id: string; session_id: string; last: number | null }>(
      `SELECT s.id, s.user_id, s.session_id,
         (SELECT timestamp FROM memory_events e WHERE e.session_row = s.id ORDER BY seq DESC LIMIT 1) AS last
       FROM memory_sessions s WHERE s.id > ? ORDER BY s.id LIMIT 100`,
    );
    const eventsOf = db.prepare<[number], EventRow & { seq: number; bytes: number }>(
      'SELECT seq, event_id, author, kind, content, turn_id, timestamp, bytes FROM memory_events WHERE session_row = ? ORDER BY seq',
    );
    let after = 0;
    for (let round = 0; round < 1_000_000 && this.active; round++) {
      const batch = candidates.all(after);
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.id;
      for (const session of batch) {
        if (!this.active) return;
        if (session.last === null || session.last > cutoff) continue;
        if (this.store.isSessionOpen(session.user_id, session.session_id)) {
          report.skipped++;
          continue;
        }
        const rows = eventsOf.all(session.id);
        const events: SessionEvent[] = rows.map(eventFromRow);
        const record = await this.summarizer.summarize({ userId: session.user_id, sessionId: session.session_id, events });
        const transcript = await compressInBackground(JSON.stringify(events));
        const done = await this.slice(report, () => {
          const current = eventsOf.all(session.id);
          // A turn appended while the summarizer ran: leave the session for the next run.
          if (current.length !== rows.length || current.at(-1)?.seq !== rows.at(-1)?.seq) return false;
          if (this.store.isSessionOpen(session.user_id, session.session_id)) return false;
          const summaryJson = JSON.stringify(record);
          const storedBytes = transcript.length + Buffer.byteLength(summaryJson);
          this.store.ensureRoom(session.user_id, 'cold', storedBytes);
          const summaryId = Number(
            db
              .prepare(
                `INSERT INTO memory_summaries (session_row, user_id, summary, codec, transcript, transcript_bytes, event_count,
                   first_timestamp, last_timestamp, stored_bytes, created_at) VALUES (?, ?, ?, 'brotli', ?, ?, ?, ?, ?, ?, ?)`,
              )
              .run(session.id, session.user_id, summaryJson, transcript, transcript.length, rows.length, rows[0]!.timestamp, rows.at(-1)!.timestamp, storedBytes, this.store.now())
              .lastInsertRowid,
          );
          const summaryText = [record.summary, ...record.key_facts, ...Object.values(record.user_preferences), ...record.important_events].join(' ');
          this.store.index('summary', summaryId, session.user_id, foldAccents(summaryText));
          db.prepare(`DELETE FROM memory_fts WHERE rowid IN (SELECT seq * 4 + ${searchSource.event} FROM memory_events WHERE session_row = ?)`).run(session.id);
          db.prepare('DELETE FROM memory_events WHERE session_row = ?').run(session.id);
          db.prepare('UPDATE memory_sessions SET summarized_at = ? WHERE id = ?').run(this.store.now(), session.id);
          const eventBytes = rows.reduce((sum, row) => sum + row.bytes, 0);
          this.store.adjustUsage(session.user_id, 'warm', -eventBytes, -rows.length);
          this.store.adjustUsage(session.user_id, 'cold', storedBytes, 1);
          report.bytesFreed += eventBytes - storedBytes;
          return true;
        }).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'quota_exceeded') return false;
          throw error;
        });
        const scopeKey = HotTier.scopeKey(session.user_id, session.session_id);
        if (done) {
          report.summarized++;
          report.compressed++;
          this.store.metrics.summaries++;
          this.store.metrics.compressions++;
          this.store.hot.dropScope(scopeKey);
          this.store.sessionRows.delete(scopeKey);
        } else {
          report.skipped++;
        }
      }
    }
  }
}
