import { performance } from 'node:perf_hooks';
import type { MaintenanceReport, MaintenanceTask } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { Clock } from '../../core/clock';
import { sharedSummary, type ChangeFeed } from '../changeFeed';
import type { EntryMeta, EntryStore } from '../entries/entryStore';
import { HotTier } from '../hotTier';
import type { MemoryLimits } from '../limits';
import type { Metrics } from '../metrics';
import type { SessionStore } from '../sessions/sessionStore';
import { packArchive } from '../summaries/archive';
import type { SummaryStore } from '../summaries/summaryStore';
import type { Summarizer } from '../summarizer';
import { redactSessionOnly, sessionOnlyTexts, withoutSessionMemorizing, withoutSessionOnlySentences } from '../sessionOnly';
import type { Job, SliceRunner } from './scheduler';

/** Rows of the id space one slice looks at, so a slice stays short even when few rows match. */
const ID_CHUNK = 2000;

export interface JobParts {
  entries: EntryStore;
  sessions: SessionStore;
  summaries: SummaryStore;
  hot: HotTier;
  metrics: Metrics;
  summarizer: Summarizer;
  limits: Readonly<MemoryLimits>;
  clock: Clock;
  /** Told about each summary written, inside its slice's transaction (sync's outbox). */
  feed?: ChangeFeed;
}

/** The three memory jobs over the parts they maintain. */
export function maintenanceJobs(parts: JobParts): Record<MaintenanceTask, Job> {
  return {
    cleanup: (report, runner) => cleanup(parts, report, runner),
    compress: (report, runner) => compressIdle(parts, report, runner),
    summarize: (report, runner) => summarizeOld(parts, report, runner),
  };
}

/** Deletes entries past their TTL, cold entries and summaries past retention. */
async function cleanup(parts: JobParts, report: MaintenanceReport, runner: SliceRunner): Promise<void> {
  const { entries, summaries, limits } = parts;
  const now = parts.clock.now();
  for (let more = true; more && runner.active;) {
    more = await runner.slice((deadline) => {
      const rows = entries.expiredBatch(now, 200);
      for (const row of rows) {
        entries.deleteExpired(row, now);
        report.expiredDeleted++;
        report.bytesFreed += row.stored_bytes;
        if (performance.now() > deadline) return true;
      }
      return rows.length === 200;
    });
  }
  await scanEntries(
    parts,
    runner,
    (from, to) => entries.staleColdIn(from, to, now - limits.coldRetentionMs),
    (row) => {
      entries.delete(row);
      report.expiredDeleted++;
      report.bytesFreed += row.stored_bytes;
    },
  );
  for (let more = true; more && runner.active;) {
    more = await runner.slice(() => {
      const rows = summaries.staleBatch(now - limits.coldRetentionMs, 200);
      for (const row of rows) {
        summaries.delete(row);
        report.expiredDeleted++;
        report.bytesFreed += row.stored_bytes;
      }
      return rows.length === 200;
    });
  }
  parts.sessions.pruneIdle();
  parts.metrics.cleanedUp();
}

/** Demotes warm entries not read within the warm TTL to cold, compressed. */
async function compressIdle(parts: JobParts, report: MaintenanceReport, runner: SliceRunner): Promise<void> {
  const { entries } = parts;
  const cutoff = parts.clock.now() - parts.limits.warmTtlMs;
  await scanEntries(
    parts,
    runner,
    (from, to) => entries.idleWarmIn(from, to, cutoff),
    (row) => {
      try {
        report.bytesFreed += entries.demoteById(row.id);
        report.demoted++;
        report.compressed++;
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'quota_exceeded')) throw error;
        report.skipped++;
      }
    },
  );
}

/**
 * Walks the entry id space in chunks of metadata (values are loaded one at a time by `act`), and
 * stops a slice at its deadline, even mid-chunk, resuming after the last row it handled.
 */
async function scanEntries(
  parts: JobParts,
  runner: SliceRunner,
  select: (fromId: number, toId: number) => EntryMeta[],
  act: (row: EntryMeta) => void,
): Promise<void> {
  const maxId = parts.entries.maxId();
  let from = 0;
  while (from < maxId && runner.active) {
    from = await runner.slice((deadline) => {
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
 * summary and the archived transcript are stored in the same transaction that deletes the events.
 */
async function summarizeOld(parts: JobParts, report: MaintenanceReport, runner: SliceRunner): Promise<void> {
  const { sessions, summaries, limits } = parts;
  const cutoff = parts.clock.now() - limits.summarizeAfterMs;
  let after = 0;
  for (let round = 0; round < 1_000_000 && runner.active; round++) {
    const batch = sessions.summaryCandidates(after);
    if (batch.length === 0) break;
    after = batch[batch.length - 1]!.id;
    for (const session of batch) {
      if (!runner.active) return;
      // Already summarized (no events left), or too recent: a conversation is summarized once quiet for 7 days.
      if (session.last === null) continue;
      if (session.last > cutoff) {
        report.recent++;
        continue;
      }
      if (sessions.isOpen(session.user_id, session.session_id)) {
        report.skipped++;
        continue;
      }
      const archived = sessions.eventsToArchive(session.id);
      const events = archived.map((row) => row.event);
      // What was kept "only for this conversation" stays out of the summary, which later
      // conversations, the customer profile and other desks (through the hub) see; the archived
      // transcript keeps every event (it is this conversation's own record).
      const sessionOnly = sessionOnlyTexts(events, parts.entries.sessionValuesOf(session.user_id, session.session_id));
      const summarized = await parts.summarizer.summarize({
        userId: session.user_id,
        sessionId: session.session_id,
        events: withoutSessionOnlySentences(withoutSessionMemorizing(events), sessionOnly),
      });
      const record = redactSessionOnly(summarized, sessionOnly);
      const packed = await packArchive(record, events);
      const done = await runner
        .slice(() => {
          const current = sessions.eventSpan(session.id);
          // A turn appended while the summarizer ran: leave the session for the next run.
          if (current.count !== archived.length || current.lastSeq !== archived.at(-1)?.seq) return false;
          if (sessions.isOpen(session.user_id, session.session_id)) return false;
          const storedBytes = summaries.add({ sessionRow: session.id, userId: session.user_id, record, packed, events });
          if (parts.feed?.active) parts.feed.summaryAdd(session.user_id, sharedSummary(record), parts.clock.now());
          sessions.deleteArchivedEvents(session.user_id, session.id, archived);
          report.bytesFreed += archived.reduce((sum, row) => sum + row.bytes, 0) - storedBytes;
          return true;
        })
        .catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'quota_exceeded') return false;
          throw error;
        });
      if (done) {
        report.summarized++;
        report.compressed++;
        parts.metrics.summarized();
        parts.metrics.compressed();
        const scopeKey = HotTier.scopeKey(session.user_id, session.session_id);
        parts.hot.dropScope(scopeKey);
        sessions.forgetRow(scopeKey);
      } else {
        report.skipped++;
      }
    }
  }
}
