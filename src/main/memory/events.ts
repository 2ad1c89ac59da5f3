import { Emitter } from '../core/emitter';
import type { QuotaUse } from '@shared/contract/memory';

/** What changed in memory: one entry (`put`, `forget`), a customer or session erased, or a maintenance run. */
export interface MemoryChange {
  userId: string | null;
  sessionId: string | null;
  key: string | null;
  change: 'put' | 'forget' | 'deleteCustomer' | 'deleteSession' | 'maintenance';
}

/** A quota of a customer (or of one session, for hot) crossed the warning ratio. */
export interface QuotaWarning extends QuotaUse {
  userId: string;
  sessionId: string | null;
}

/** The memory module's own events; the composition root decides what the renderer hears of them. */
export type MemoryEvents = {
  changed: MemoryChange;
  quotaWarning: QuotaWarning;
};

export type MemoryEmitter = Emitter<MemoryEvents>;

export function createMemoryEmitter(): MemoryEmitter {
  return new Emitter<MemoryEvents>();
}
