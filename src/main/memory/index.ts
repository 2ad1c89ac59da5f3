import type { MaintenanceReport, StoredTier } from '@shared/contract/memory';
import { errorFacts, type Logger } from '../core/logger';
import type { QuotaSettings } from '@shared/settings';
import type { Db } from '../storage/database';
import { systemClock, type Clock } from '../core/clock';
import { noChangeFeed, type ChangeFeed } from './changeFeed';
import { CustomerStore } from './customers/customerStore';
import { CustomerData } from './data/customerData';
import { Entries } from './entries/entries';
import { EntryStore } from './entries/entryStore';
import { createMemoryEmitter, type MemoryEmitter } from './events';
import { createMemoryHandlers } from './handlers';
import { HotTier } from './hotTier';
import { limitsFromQuotas, type MemoryLimits } from './limits';
import { maintenanceJobs } from './maintenance/jobs';
import { MaintenanceScheduler } from './maintenance/scheduler';
import { MemoryService } from './memoryService';
import { Metrics } from './metrics';
import { SearchIndex } from './search/searchIndex';
import { SessionService } from './sessions/sessionService';
import { SessionStore } from './sessions/sessionStore';
import { SummaryStore } from './summaries/summaryStore';
import { ExtractiveSummarizer, type Summarizer } from './summarizer';
import { UsageLedger } from './usage/ledger';
import { QuotaWatch } from './usage/quotaWatch';
import { Replica } from './replica';

export interface MemoryModule {
  readonly memory: MemoryService;
  readonly sessions: SessionService;
  /** What staff know about each customer (name, phone, membership number): `customers.*`. */
  readonly customers: CustomerStore;
  readonly scheduler: MaintenanceScheduler;
  readonly handlers: ReturnType<typeof createMemoryHandlers>;
  /** `changed` after every committed change, `quotaWarning` when a quota reaches the warning ratio. */
  readonly events: MemoryEmitter;
  /** What the sync module applies other desks' changes through (src/main/sync/apply.ts). */
  readonly replica: Replica;
  /** What a customer keeps in a stored tier, as the quotas count it. */
  usage(userId: string, tier: StoredTier): { bytes: number; entries: number };
  /** Brings the search index up to date with every committed write (searches do this first themselves). */
  indexPending(): void;
  /** New warm/cold quotas and ages apply at once; the hot cache keeps the size it started with. */
  applyQuotas(quotas: QuotaSettings): void;
  /** Catches up missed maintenance and starts the timers. */
  start(): Promise<void>;
  /** Stops the timers, waits for a running job and indexes pending writes. */
  close(): Promise<void>;
}

/**
 * Builds the memory services over an open database. The parts, each owning its tables and state:
 * sessions (`sessions/`), entries and their tiers (`entries/`), summaries (`summaries/`), the
 * search index (`search/`), the usage ledger and quota warnings (`usage/`), maintenance
 * (`maintenance/`), customer records (`customers/`), export and erasure (`data/`); the hot cache is shared.
 */
export function createMemory(deps: {
  db: Db;
  limits: MemoryLimits;
  clock?: Clock;
  summarizer?: Summarizer;
  onMaintenanceReport?: (report: MaintenanceReport) => void;
  /** Background faults (indexing, maintenance) and finished maintenance runs; nothing of a customer's data. */
  logger?: Logger;
  /** Told about every background failure too, so damage found there switches the app to safe mode. */
  onStorageError?: (error: unknown) => void;
  /** Told, inside each change's transaction, about the changes shared with other desks (sync's outbox); none by default. */
  changeFeed?: ChangeFeed;
}): MemoryModule {
  const { db } = deps;
  const clock = deps.clock ?? systemClock;
  const feed = deps.changeFeed ?? noChangeFeed;
  // One copy the parts read; `applyQuotas` changes it in place.
  const limits: MemoryLimits = { ...deps.limits };
  const events = createMemoryEmitter();
  const metrics = new Metrics();
  const hot = new HotTier(limits.hotSessionBytes, limits.hotCapBytes);

  // The ledger makes room through the entries and summaries, which are built after it.
  const ledger = new UsageLedger(db, limits, clock, {
    deleteExpired: (userId) => {
      entryStore.deleteExpiredOf(userId);
      summaries.deleteStaleOf(userId);
    },
    demoteWarm: (userId, protectedEntryId, fits) => entryStore.demoteWarm(userId, protectedEntryId, fits),
  });
  const search: SearchIndex = new SearchIndex(
    db,
    clock,
    {
      entryText: (id) => entryStore.textForIndex(id),
      entryIdsUpdatedSince: (time) => entryStore.idsUpdatedSince(time),
      entryIdsAfter: (id, limit) => entryStore.idsAfter(id, limit),
      eventsAfter: (seq, limit) => sessionStore.eventsForIndex(seq, limit),
      lastEventSeq: () => sessionStore.lastSeq(),
      summariesAfter: (id, limit) => summaries.forIndex(id, limit),
    },
    (error, repeated) => {
      // A lasting fault (a full disk, safe mode) is tried every 30 s: said once, then only at debug
      // level until a batch works again.
      if (repeated) deps.logger?.debug({ err: errorFacts(error) }, 'search indexing failed again');
      else deps.logger?.error({ err: errorFacts(error) }, 'search indexing failed; it will be tried again');
      deps.onStorageError?.(error);
    },
  );
  const entryStore: EntryStore = new EntryStore(db, limits, clock, ledger, search, hot, metrics, feed);
  const sessionStore: SessionStore = new SessionStore(db, limits, clock, ledger, search);
  const summaries: SummaryStore = new SummaryStore(db, limits, clock, ledger, search);
  const quotas = new QuotaWatch(ledger, hot, limits, metrics, events);
  const customers = new CustomerStore(db, clock, feed);
  const customerData = new CustomerData(db, clock, entryStore, sessionStore, summaries, ledger, quotas, hot, events, customers, feed);
  const entries = new Entries(db, entryStore, limits, clock, hot, search, quotas, metrics, events, feed);
  const sessions = new SessionService(sessionStore, hot, limits, clock, search, quotas, (userId, sessionId) => customerData.erase(userId, sessionId));
  const scheduler = new MaintenanceScheduler(
    db,
    limits,
    clock,
    maintenanceJobs({
      entries: entryStore,
      sessions: sessionStore,
      summaries,
      hot,
      metrics,
      summarizer: deps.summarizer ?? new ExtractiveSummarizer(),
      limits,
      clock,
      feed,
    }),
    events,
    (report) => {
      deps.logger?.info(
        { task: report.task, trigger: report.trigger, slices: report.slices, longestSliceMs: report.longestSliceMs },
        'maintenance run finished',
      );
      deps.onMaintenanceReport?.(report);
    },
    (task, error) => {
      deps.logger?.error({ task, err: errorFacts(error) }, 'maintenance run failed');
      deps.onStorageError?.(error);
    },
  );
  const memory = new MemoryService({
    entries,
    entryStore,
    sessions: sessionStore,
    summaries,
    search,
    ledger,
    customerData,
    hot,
    metrics,
    limits,
    lastRuns: () => scheduler.lastRuns(),
  });
  memory.attachMaintenance((task) => scheduler.run(task, 'manual'));
  search.recover();

  return {
    memory,
    sessions,
    customers,
    scheduler,
    handlers: createMemoryHandlers({ memory, sessions, customers }),
    events,
    replica: new Replica({
      db,
      clock,
      limits,
      entries: entryStore,
      customers,
      customerData,
      sessions: sessionStore,
      summaries,
      hot,
      quotas,
      events,
    }),
    usage: (userId, tier) => ledger.usage(userId, tier),
    indexPending: () => search.flush(),
    applyQuotas(quotas) {
      const { hotSessionBytes: _fixedAtStart, hotCapBytes: _fixedToo, ...updated } = limitsFromQuotas(quotas);
      limits.warmUserBytes = updated.warmUserBytes;
      limits.coldUserBytes = updated.coldUserBytes;
      limits.warmTtlMs = updated.warmTtlMs;
      limits.coldRetentionMs = updated.coldRetentionMs;
      limits.summarizeAfterMs = updated.summarizeAfterMs;
      ledger.limitsChanged();
    },
    start: () => scheduler.start(),
    async close() {
      await scheduler.close();
      search.close();
      hot.clear();
    },
  };
}

export { createMemoryHandlers } from './handlers';
export { limitsFromQuotas, type MemoryLimits } from './limits';
export type { MemoryChange, MemoryEvents, QuotaWarning } from './events';
export type { ChangeFeed, Origin, SharedCustomer, SharedSummary } from './changeFeed';
export { Replica, sharedSummarySessionId, type ApplyOutcome } from './replica';
