import type { MemoryCounters, StoredTier } from '@shared/contract/memory';

/** Counters since the app started, for `memory.stats`; every part counts through these methods. */
export class Metrics {
  private readonly hits = { hot: 0, warm: 0, cold: 0 };
  private misses = 0;
  private compressions = 0;
  private cleanups = 0;
  private summaries = 0;
  private quotaWarnings = 0;

  hit(tier: StoredTier | 'hot'): void {
    this.hits[tier]++;
  }

  miss(): void {
    this.misses++;
  }

  compressed(count = 1): void {
    this.compressions += count;
  }

  cleanedUp(): void {
    this.cleanups++;
  }

  summarized(): void {
    this.summaries++;
  }

  warned(): void {
    this.quotaWarnings++;
  }

  snapshot(): MemoryCounters {
    return {
      hits: { ...this.hits },
      misses: this.misses,
      compressions: this.compressions,
      cleanups: this.cleanups,
      summaries: this.summaries,
      quotaWarnings: this.quotaWarnings,
    };
  }
}
