import type {
  CustomerExport,
  DeletedCounts,
  MaintenanceReport,
  MaintenanceTask,
  MemoryPage,
  MemoryScope,
  MemoryStats,
  MemoryValueView,
  SearchHit,
  SummaryRecord,
  SummaryView,
} from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { CustomerData } from './data/customerData';
import type { Entries, ListMemoriesQuery, MemorizeOptions } from './entries/entries';
import type { EntryStore } from './entries/entryStore';
import type { HotTier } from './hotTier';
import type { MemoryLimits } from './limits';
import type { Metrics } from './metrics';
import type { SearchIndex } from './search/searchIndex';
import type { SessionStore } from './sessions/sessionStore';
import type { SummaryStore } from './summaries/summaryStore';
import type { UsageLedger } from './usage/ledger';
import { validId, validLimit, validScope } from './validate';

export type { ListMemoriesQuery, MemorizeOptions } from './entries/entries';

/** Runs maintenance on demand; the scheduler provides it once it exists. */
export type MaintenanceRunner = (task: MaintenanceTask) => Promise<MaintenanceReport>;

/** What the memory service answers from; the composition (`index.ts`) wires them. */
export interface MemoryServiceParts {
  entries: Entries;
  entryStore: EntryStore;
  sessions: SessionStore;
  summaries: SummaryStore;
  search: SearchIndex;
  ledger: UsageLedger;
  customerData: CustomerData;
  hot: HotTier;
  metrics: Metrics;
  limits: Readonly<MemoryLimits>;
  lastRuns: () => MemoryStats['lastRuns'];
}

/**
 * Memory as the app uses it (inspector channels, agent tools, the runner's context): customer
 * memories in tiers, search, summaries, stats, export and erasure. Each call goes to the part
 * that does that job.
 */
export class MemoryService {
  private maintenance: MaintenanceRunner | null = null;

  constructor(private readonly parts: MemoryServiceParts) {}

  /** Lets the scheduler serve `runMaintenance`; set once by the composition. */
  attachMaintenance(runner: MaintenanceRunner): void {
    this.maintenance = runner;
  }

  /** Stores a value; acknowledged only once committed to SQLite. */
  memorize(scope: MemoryScope, key: string, value: unknown, options: MemorizeOptions = {}): MemoryValueView {
    return this.parts.entries.memorize(scope, key, value, options);
  }

  /** Appends to (without duplicating items already there) or replaces a list value. */
  memorizeList(scope: MemoryScope, key: string, items: unknown[], options: MemorizeOptions & { mode: 'append' | 'replace' }): MemoryValueView {
    return this.parts.entries.memorizeList(scope, key, items, options);
  }

  /** The value and the tier it was served from; `not_found` when absent or expired. */
  getMemory(scope: MemoryScope, key: string): MemoryValueView {
    return this.parts.entries.getMemory(scope, key);
  }

  forget(scope: MemoryScope, key: string): { deleted: boolean } {
    return this.parts.entries.forget(scope, key);
  }

  /** A page of entries in a stable order (customer, session, key); pass `nextCursor` for the next. */
  listMemories(query: ListMemoriesQuery = {}): MemoryPage {
    return this.parts.entries.listMemories(query);
  }

  /**
   * Accent-insensitive full-text search over the customer's memories, messages and conversation
   * summaries, best matches first. Without a `sessionId` (staff in the inspector), everything the
   * customer has. With one, what that conversation may see: the customer-wide memories and that
   * session's own memories, messages and summary; with `pastSummaries` also the summaries of the
   * customer's other conversations (what the agent recalls of earlier visits). Another
   * conversation's session-scoped memories and raw messages never appear.
   */
  searchMemory(scope: MemoryScope, query: string, limit = 20, options: { pastSummaries?: boolean } = {}): SearchHit[] {
    const { userId, sessionId } = validScope(scope);
    const max = validLimit(limit, 20, 100);
    if (typeof query !== 'string' || query.length > 200) throw new AppError('invalid_request', 'query must be text of at most 200 characters');
    const match = this.parts.search.match(userId, query);
    if (match === null) return [];
    const hits: SearchHit[] = [];
    for (const { source, id } of this.parts.search.ranked(match, sessionId === null ? max : max * 4)) {
      const hit =
        source === 'entry' ? this.parts.entryStore.hit(id) : source === 'event' ? this.parts.sessions.hit(id) : this.parts.summaries.hit(id);
      if (!hit || hit.userId !== userId) continue;
      if (sessionId !== null && hit.sessionId !== null && hit.sessionId !== sessionId && !(options.pastSummaries && hit.kind === 'summary')) continue;
      hits.push(hit);
      if (hits.length >= max) break;
    }
    return hits;
  }

  /** The customer's most recent conversation summary (the agent's context policy uses it), or null. */
  latestSummary(userId: string): SummaryRecord | null {
    return this.parts.summaries.latest(validId(userId, 'userId'));
  }

  /** A customer's stored conversation summaries, newest first (one session's when `sessionId` is given). */
  listSummaries(userId: string, sessionId?: string): SummaryView[] {
    return this.parts.summaries.list(validId(userId, 'userId'), sessionId === undefined ? null : validId(sessionId, 'sessionId'));
  }

  stats(): MemoryStats {
    const { hot, limits } = this.parts;
    const customers = new Map<string, MemoryStats['customers'][number]>();
    const tiers: MemoryStats['tiers'] = { hot: hot.figures(), warm: { bytes: 0, entries: 0 }, cold: { bytes: 0, entries: 0 } };
    for (const row of this.parts.ledger.all()) {
      let customer = customers.get(row.user_id);
      if (!customer) {
        customer = { userId: row.user_id, warm: { bytes: 0, entries: 0 }, cold: { bytes: 0, entries: 0 } };
        customers.set(row.user_id, customer);
      }
      customer[row.tier] = { bytes: row.bytes, entries: row.entries };
      tiers[row.tier].bytes += row.bytes;
      tiers[row.tier].entries += row.entries;
    }
    const memory = process.memoryUsage();
    return {
      ...this.parts.metrics.snapshot(),
      tiers,
      customers: [...customers.values()],
      limits: {
        hotSessionBytes: limits.hotSessionBytes,
        hotCapBytes: limits.hotCapBytes,
        warmUserBytes: limits.warmUserBytes,
        coldUserBytes: limits.coldUserBytes,
        warmTtlDays: limits.warmTtlMs / 86_400_000,
        coldRetentionDays: limits.coldRetentionMs / 86_400_000,
        summarizeAfterDays: limits.summarizeAfterMs / 86_400_000,
      },
      lastRuns: this.parts.lastRuns(),
      process: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external },
    };
  }

  /** Deletes every row of a customer in every tier, summaries and search index included, in one transaction. */
  deleteUserData(userId: string): DeletedCounts {
    return this.parts.customerData.erase(validId(userId, 'userId'), null);
  }

  /** Everything kept about a customer, decoded, as JSON a person can read. */
  exportUserData(userId: string): CustomerExport {
    return this.parts.customerData.export(validId(userId, 'userId'));
  }

  runMaintenance(task: MaintenanceTask): Promise<MaintenanceReport> {
    if (!this.maintenance) throw new AppError('storage_unavailable', 'Memory maintenance is not running.');
    return this.maintenance(task);
  }
}
