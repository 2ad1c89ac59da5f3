import { create } from 'zustand';
import type {
  CustomerExport,
  DeletedCounts,
  JsonValue,
  MaintenanceReport,
  MaintenanceTask,
  MemoryEntryView,
  MemoryStats,
  MemoryTier,
  MemoryValueView,
  QuotaWarning,
  SessionView,
  SummaryView,
} from '@shared/contract/memory';
import type { ErrorCode } from '@shared/errors';
import { ApiError, call } from '../api/client';

/** The Memory pane's two views: the customer profile for staff, and Storage (tiers, quotas, maintenance) for IT staff. */
export type MemoryView = 'profile' | 'storage';

export interface MemoryFilters {
  userId: string;
  sessionId: string;
  tier: MemoryTier | '';
  query: string;
  keyContains: string;
  /** 0 = any size. */
  minBytes: number;
  /** 0 = any age; otherwise only entries unchanged for at least this many days. */
  olderThanDays: number;
}

const DAY_MS = 24 * 3600 * 1000;

export interface MetricsSample {
  at: number;
  hits: number;
  misses: number;
  rss: number;
}

const PAGE_SIZE = 200;
const MAX_SAMPLES = 60;

interface MemoryState {
  view: MemoryView;
  setView(view: MemoryView): void;
  filters: MemoryFilters;
  entries: MemoryEntryView[];
  nextCursor: string | null;
  loading: boolean;
  /** Error codes, shown in the staff's language. */
  listError: ErrorCode | null;
  selected: MemoryValueView | null;
  entryError: ErrorCode | null;
  stats: MemoryStats | null;
  samples: MetricsSample[];
  warnings: QuotaWarning[];
  running: MaintenanceTask | null;
  report: MaintenanceReport | null;
  /** Summaries of the selected customer's old conversations. */
  summaries: SummaryView[];
  /** The selected customer's conversations, to narrow the list to one. */
  sessions: SessionView[];
  /** The conversations of the selected entry's customer, to name the one it was learned in. */
  entrySessions: SessionView[];
  setFilters(filters: Partial<MemoryFilters>): Promise<void>;
  loadSessions(): Promise<void>;
  reload(): Promise<void>;
  loadMore(): Promise<void>;
  select(entry: Pick<MemoryEntryView, 'userId' | 'sessionId' | 'key'>): Promise<void>;
  closeEntry(): void;
  save(entry: MemoryEntryView, value: JsonValue): Promise<void>;
  forget(entry: MemoryEntryView): Promise<void>;
  refreshStats(): Promise<void>;
  runMaintenance(task: MaintenanceTask): Promise<void>;
  /** Everything kept about the customer, as JSON for the staff to hand over. */
  exportCustomer(userId: string): Promise<CustomerExport>;
  /** Deletes everything kept about the customer and shows all customers again. */
  deleteCustomer(userId: string): Promise<DeletedCounts>;
  warn(warning: QuotaWarning): void;
}

function listRequest(filters: MemoryFilters, cursor?: string) {
  return {
    ...(filters.userId ? { userId: filters.userId } : {}),
    ...(filters.sessionId ? { sessionId: filters.sessionId } : {}),
    ...(filters.tier ? { tier: filters.tier } : {}),
    ...(filters.query.trim() ? { query: filters.query.trim() } : {}),
    ...(filters.keyContains ? { keyContains: filters.keyContains } : {}),
    ...(filters.minBytes > 0 ? { minBytes: filters.minBytes } : {}),
    ...(filters.olderThanDays > 0 ? { updatedBefore: Date.now() - filters.olderThanDays * DAY_MS } : {}),
    ...(cursor ? { cursor } : {}),
    limit: PAGE_SIZE,
  };
}

const scopeOf = (entry: Pick<MemoryEntryView, 'userId' | 'sessionId'>) => ({
  userId: entry.userId,
  ...(entry.sessionId ? { sessionId: entry.sessionId } : {}),
});
const message = (error: unknown): ErrorCode => (error instanceof ApiError ? error.code : 'internal');

/** The memory inspector's data: everything comes from SQLite in main, so it all works offline. */
export const useMemoryStore = create<MemoryState>()((set, get) => ({
  view: 'profile',
  setView: (view) => set({ view }),
  filters: { userId: '', sessionId: '', tier: '', query: '', keyContains: '', minBytes: 0, olderThanDays: 0 },
  summaries: [],
  sessions: [],
  entrySessions: [],
  entries: [],
  nextCursor: null,
  loading: false,
  listError: null,
  selected: null,
  entryError: null,
  stats: null,
  samples: [],
  warnings: [],
  running: null,
  report: null,

  async setFilters(filters) {
    set({ filters: { ...get().filters, ...filters } });
    await get().reload();
  },
  async loadSessions() {
    const { userId } = get().filters;
    if (!userId) {
      set({ sessions: [] });
      return;
    }
    try {
      const { sessions } = await call('sessions.list', { userId });
      if (get().filters.userId === userId) set({ sessions });
    } catch {
      if (get().filters.userId === userId) set({ sessions: [] });
    }
  },
  async reload() {
    const filters = get().filters;
    set({ loading: true, listError: null });
    if (filters.userId) {
      const scope = { userId: filters.userId, ...(filters.sessionId ? { sessionId: filters.sessionId } : {}) };
      call('memory.summaries', scope).then(
        ({ summaries }) => get().filters === filters && set({ summaries }),
        () => set({ summaries: [] }),
      );
    } else set({ summaries: [] });
    try {
      const page = await call('memory.list', listRequest(filters));
      if (get().filters !== filters) return;
      performance.mark('mm:memory-data'); // for the ui benchmark: render time after data arrives
      set({ entries: page.items, nextCursor: page.nextCursor });
    } catch (error) {
      set({ listError: message(error), entries: [], nextCursor: null });
    } finally {
      set({ loading: false });
    }
  },
  async loadMore() {
    const { filters, nextCursor, loading } = get();
    if (!nextCursor || loading) return;
    set({ loading: true });
    try {
      const page = await call('memory.list', listRequest(filters, nextCursor));
      if (get().filters !== filters) return;
      set({ entries: [...get().entries, ...page.items], nextCursor: page.nextCursor });
    } catch (error) {
      set({ listError: message(error) });
    } finally {
      set({ loading: false });
    }
  },
  async select(entry) {
    set({ entryError: null });
    call('sessions.list', { userId: entry.userId }).then(
      ({ sessions }) => set({ entrySessions: sessions }),
      () => set({ entrySessions: [] }),
    );
    try {
      set({ selected: await call('memory.get', { ...scopeOf(entry), key: entry.key }) });
    } catch (error) {
      set({ selected: null, entryError: message(error) });
    }
  },
  closeEntry: () => set({ selected: null, entryError: null }),
  async save(entry, value) {
    try {
      const saved = await call('memory.put', { ...scopeOf(entry), key: entry.key, value });
      set({ selected: saved, entryError: null, entries: get().entries.map((item) => (sameEntry(item, saved) ? saved : item)) });
      await get().refreshStats();
    } catch (error) {
      set({ entryError: message(error) });
    }
  },
  async forget(entry) {
    try {
      await call('memory.forget', { ...scopeOf(entry), key: entry.key });
      set({ selected: null, entries: get().entries.filter((item) => !sameEntry(item, entry)) });
      await get().refreshStats();
    } catch (error) {
      set({ entryError: message(error) });
    }
  },
  async refreshStats() {
    try {
      const stats = await call('memory.stats', {});
      const hits = stats.hits.hot + stats.hits.warm + stats.hits.cold;
      const samples = [...get().samples, { at: Date.now(), hits, misses: stats.misses, rss: stats.process.rss }].slice(-MAX_SAMPLES);
      set({ stats, samples });
    } catch (error) {
      set({ listError: message(error) });
    }
  },
  async runMaintenance(task) {
    set({ running: task, report: null });
    try {
      set({ report: await call('memory.runMaintenance', { task }) });
      await Promise.all([get().reload(), get().refreshStats()]);
    } catch (error) {
      set({ listError: message(error) });
    } finally {
      set({ running: null });
    }
  },
  exportCustomer: (userId) => call('memory.export', { userId }),
  async deleteCustomer(userId) {
    const counts = await call('memory.deleteCustomer', { userId });
    await get().setFilters({ userId: '', sessionId: '' });
    return counts;
  },
  warn(warning) {
    const others = get().warnings.filter((item) => !(item.userId === warning.userId && item.quota === warning.quota));
    set({ warnings: [...others, warning] });
  },
}));

function sameEntry(a: MemoryEntryView, b: MemoryEntryView): boolean {
  return a.userId === b.userId && a.sessionId === b.sessionId && a.key === b.key;
}
