import type { QuotaUse, StoredTier } from '@shared/contract/memory';
import type { MemoryEmitter } from '../events';
import { HotTier } from '../hotTier';
import type { MemoryLimits } from '../limits';
import type { Metrics } from '../metrics';
import type { UsageLedger } from './ledger';

/** Emits `quotaWarning` once each time a quota crosses the warning ratio, and again only after it fell back below. */
export class QuotaWatch {
  /** Warned quotas: JSON of [userId, quota, sessionId (hot) or null]. */
  private readonly warned = new Set<string>();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly hot: HotTier,
    private readonly limits: Readonly<MemoryLimits>,
    private readonly metrics: Metrics,
    private readonly events: MemoryEmitter,
  ) {}

  quotaUse(userId: string, tier: StoredTier): QuotaUse {
    const limit = this.ledger.limit(tier);
    const used = this.ledger.usage(userId, tier).bytes;
    return { quota: tier, limit, used, ratio: limit > 0 ? used / limit : 1 };
  }

  /** Re-checks every quota of a customer (and the session's hot share); after a commit. */
  check(userId: string, sessionId: string | null): void {
    for (const tier of ['warm', 'cold'] as const) this.warnIfNear(userId, sessionId, this.quotaUse(userId, tier));
    if (sessionId !== null) {
      const used = this.hot.scopeUse(HotTier.scopeKey(userId, sessionId));
      const limit = this.limits.hotSessionBytes;
      this.warnIfNear(userId, sessionId, { quota: 'hot', limit, used, ratio: used / limit });
    }
  }

  /** After a write: re-checks quotas when this one is near its limit or was warned about. */
  noteUsage(userId: string, sessionId: string | null, tier: StoredTier, usedAfter: number, scopeKey?: string): void {
    const near =
      usedAfter >= this.ledger.limit(tier) * this.limits.warnRatio ||
      (sessionId !== null &&
        this.hot.scopeUse(scopeKey ?? HotTier.scopeKey(userId, sessionId)) >= this.limits.hotSessionBytes * this.limits.warnRatio);
    if (near || (this.warned.size > 0 && this.warned.has(JSON.stringify([userId, tier, null])))) this.check(userId, sessionId);
  }

  /** Forgets a customer's warnings (their data was erased). */
  forget(userId: string): void {
    for (const key of [...this.warned]) if ((JSON.parse(key) as string[])[0] === userId) this.warned.delete(key);
  }

  private warnIfNear(userId: string, sessionId: string | null, use: QuotaUse): void {
    const key = JSON.stringify([userId, use.quota, use.quota === 'hot' ? sessionId : null]);
    if (use.ratio < this.limits.warnRatio) {
      this.warned.delete(key);
      return;
    }
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.metrics.warned();
    this.events.emit('quotaWarning', { ...use, userId, sessionId });
  }
}
