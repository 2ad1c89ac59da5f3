import type { SummaryRecord } from '@shared/contract/memory';

/**
 * Where memory tells about the changes it shares with other desks: customer-wide memories (put,
 * forget), customer records, customer erasures and the summaries maintenance writes. The sync
 * module implements it (src/main/sync/outbox.ts) and the composition root passes it to
 * `createMemory`; memory never imports sync. Session-scoped memories, conversation events and
 * carts are never told.
 *
 * Every call is made INSIDE the SQLite transaction of the change it records, so the change and
 * its record commit or roll back together; each call is one prepared statement or two. While
 * `active` is false (the desk has no hub) memory makes no call at all and stores no stamp.
 */
export interface ChangeFeed {
  /** True while this desk shares its changes (it is enrolled with a hub). */
  readonly active: boolean;
  /**
   * A customer-wide memory was written: returns the stamp stored with the row, or null when it is
   * not shared (too large). `expiresAt`: its time-to-live's end, shared with it. With `hlc`, the
   * row is sent again under the stamp it already has.
   */
  memoryPut(customerId: string, key: string, valueJson: string, options?: { expiresAt?: number | null; hlc?: string }): string | null;
  /** A customer-wide memory was forgotten: the stamp of the forget (the tombstone). */
  memoryForget(customerId: string, key: string): string;
  /**
   * A shared memory's time-to-live passed and it was deleted here (every desk deletes it at the
   * same time, so nothing is sent): its stamp is kept as a tombstone, so that an older value
   * arriving later brings nothing back.
   */
  memoryExpired(customerId: string, key: string, hlc: string): void;
  /** The customer record was created or changed (or, with `hlc`, is sent again): the stamp stored with the record. */
  customerPut(record: SharedCustomer, hlc?: string): string;
  /** Everything of the customer was erased here. */
  customerErase(customerId: string): void;
  /** Maintenance summarized one of the customer's conversations. */
  summaryAdd(customerId: string, summary: SharedSummary, createdAt: number): void;
}

export interface SharedCustomer {
  customerId: string;
  displayName: string | null;
  phone: string | null;
  membershipNumber: string | null;
}

/** A conversation summary as it is shared: the text, the key facts, the preferences as "what: value" lines. */
export interface SharedSummary {
  text: string;
  facts: string[];
  preferences: string[];
}

/** Where a row changed by another desk came from: shown as "learned at Quầy 3, b2c_10010_vi". */
export interface Origin {
  deskName: string;
  store: string;
  /** When the hub accepted the change (epoch ms). */
  at: number;
}

/** A desk without a hub: nothing is recorded. */
export const noChangeFeed: ChangeFeed = {
  active: false,
  memoryPut: () => null,
  memoryForget: () => {
    throw new Error('noChangeFeed records nothing');
  },
  customerPut: () => {
    throw new Error('noChangeFeed records nothing');
  },
  memoryExpired: () => undefined,
  customerErase: () => undefined,
  summaryAdd: () => undefined,
};

/** What of a stored summary is shared, within the protocol's limits (src/shared/sync.ts). */
export function sharedSummary(record: SummaryRecord): SharedSummary {
  const lines = (items: readonly string[]) => items.slice(0, 50).map((item) => item.slice(0, 500));
  return {
    text: record.summary.slice(0, 8000),
    facts: lines(record.key_facts),
    preferences: lines(Object.entries(record.user_preferences).map(([what, value]) => `${what}: ${value}`)),
  };
}
