import type { QuotaSettings } from '@shared/settings';

const KB = 1024;
const MB = 1024 * KB;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Every size, age and count the tiers obey; built from the user's quota settings plus fixed defaults. */
export interface MemoryLimits {
  /** Byte cap of one scope (a session, or a customer's session-less memories) in the hot cache. */
  hotSessionBytes: number;
  /** Byte cap of the whole hot cache (entries and session windows of every scope). */
  hotCapBytes: number;
  /** Entries smaller than this are cached hot after a write or read. */
  hotEntryMaxBytes: number;
  /** Entries smaller than this are stored warm (plain); larger ones cold (compressed). */
  warmEntryMaxBytes: number;
  /** The largest entry accepted at all. */
  coldEntryMaxBytes: number;
  warmUserBytes: number;
  coldUserBytes: number;
  /** A warm entry not read for this long is demoted to cold by the compression job. */
  warmTtlMs: number;
  /** A cold entry or summary not read for this long is deleted by the cleanup job. */
  coldRetentionMs: number;
  /** Conversations whose last event is older than this are summarized. */
  summarizeAfterMs: number;
  /** A session is open (never summarized) until closed or idle this long. */
  sessionIdleMs: number;
  /** Reads refresh an entry's TTL at most this often, so reads stay reads. */
  accessRefreshMs: number;
  /** Events of each active session kept hot. */
  recentEventsCached: number;
  /** Share of a quota at which a warning is emitted. */
  warnRatio: number;
  /** Budget of one synchronous maintenance slice. */
  sliceBudgetMs: number;
}

export function limitsFromQuotas(quotas: QuotaSettings, overrides: Partial<MemoryLimits> = {}): MemoryLimits {
  return {
    hotSessionBytes: quotas.hotSessionBytes,
    hotCapBytes: 2 * quotas.hotSessionBytes,
    hotEntryMaxBytes: 10 * KB,
    warmEntryMaxBytes: 100 * KB,
    coldEntryMaxBytes: 8 * MB,
    warmUserBytes: quotas.warmUserBytes,
    coldUserBytes: quotas.coldUserBytes,
    warmTtlMs: quotas.warmTtlDays * DAY,
    coldRetentionMs: quotas.coldRetentionDays * DAY,
    summarizeAfterMs: quotas.summarizeAfterDays * DAY,
    sessionIdleMs: HOUR,
    accessRefreshMs: HOUR,
    recentEventsCached: 100,
    warnRatio: 0.9,
    sliceBudgetMs: 10,
    ...overrides,
  };
}
