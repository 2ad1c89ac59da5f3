import type { EventBus } from '../core/eventBus';
import type { Db } from '../storage/database';
import { systemClock, type Clock } from './clock';
import { createMemoryHandlers } from './handlers';
import type { MaintenanceReport } from '../../shared/contract/memory';
import type { SettingsView } from '../../shared/settings';
import { limitsFromQuotas, type MemoryLimits } from './limits';
import { MaintenanceScheduler } from './maintenance';
import { MemoryService } from './memoryService';
import { SessionService } from './sessionService';
import { MemoryStore } from './store';
import { ExtractiveSummarizer, type Summarizer } from './summarizer';

export interface MemoryModule {
  readonly store: MemoryStore;
  readonly memory: MemoryService;
  readonly sessions: SessionService;
  readonly scheduler: MaintenanceScheduler;
  readonly handlers: ReturnType<typeof createMemoryHandlers>;
  /** Catches up missed maintenance and starts the timers. */
  start(): Promise<void>;
  /** Stops the timers, waits for a running job and indexes pending messages. */
  close(): Promise<void>;
}

/** Builds the memory services over an open database. */
export function createMemory(deps: {
  db: Db;
  limits: MemoryLimits;
  events: EventBus;
  clock?: Clock;
  summarizer?: Summarizer;
  onMaintenanceReport?: (report: MaintenanceReport) => void;
}): MemoryModule {
  const store = new MemoryStore(deps.db, deps.limits, deps.clock ?? systemClock, deps.events);
  const memory = new MemoryService(store);
  const sessions = new SessionService(store);
  const scheduler = new MaintenanceScheduler(store, deps.summarizer ?? new ExtractiveSummarizer(), deps.onMaintenanceReport);
  memory.attachMaintenance((task) => scheduler.run(task, 'manual'));
  // New warm/cold quotas and ages apply at once; the hot cache is sized at start.
  const unsubscribe = deps.events.subscribe((name, payload) => {
    if (name !== 'settings.changed') return;
    const { hotSessionBytes: _fixedAtStart, ...updated } = limitsFromQuotas((payload as SettingsView).quotas);
    Object.assign(store.limits, {
      warmUserBytes: updated.warmUserBytes,
      coldUserBytes: updated.coldUserBytes,
      warmTtlMs: updated.warmTtlMs,
      coldRetentionMs: updated.coldRetentionMs,
    });
  });
  return {
    store,
    memory,
    sessions,
    scheduler,
    handlers: createMemoryHandlers({ memory, sessions }),
    start: () => scheduler.start(),
    async close() {
      unsubscribe();
      await scheduler.close();
      store.clearIndexTimer();
      if (deps.db.open) store.indexAllPending();
      store.hot.clear();
    },
  };
}

export { createMemoryHandlers } from './handlers';
export { limitsFromQuotas, type MemoryLimits } from './limits';
