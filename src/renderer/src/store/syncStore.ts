import { create } from 'zustand';
import type { SyncStatus } from '@shared/contract/sync';
import { call } from '../api/client';

/** A failed action, as data: the code picks the staff's language; field problems are shown next to their field. */
export interface SyncFailure {
  code: string;
  message: string;
  /** Field path → zod issue code, for `invalid_request` naming `hubUrl` or `code`. */
  fields: Record<string, string>;
}

interface SyncState {
  status: SyncStatus | null;
  busy: 'enroll' | 'sync' | 'leave' | null;
  failure: SyncFailure | null;
  load(): Promise<void>;
  /** The status main pushed (`sync.changed`). */
  receive(status: SyncStatus): void;
  enroll(hubUrl: string, code: string): Promise<boolean>;
  syncNow(): Promise<void>;
  leave(): Promise<void>;
}

function failureOf(error: unknown): SyncFailure {
  const { code, details } = error as { code?: unknown; details?: unknown };
  const fields: Record<string, string> = {};
  if (Array.isArray(details)) {
    for (const issue of details as { path?: unknown; code?: unknown }[]) {
      if (Array.isArray(issue.path) && typeof issue.path[0] === 'string')
        fields[issue.path[0]] = typeof issue.code === 'string' ? issue.code : 'custom';
    }
  }
  return { code: typeof code === 'string' ? code : 'internal', message: error instanceof Error ? error.message : String(error), fields };
}

/** Settings › Sync: this desk's link with its hub. */
export const useSyncStore = create<SyncState>()((set, get) => {
  /** An answer and an event can cross: the newer status (by revision) stays. */
  function keep(status: SyncStatus): void {
    const current = get().status;
    if (current === null || status.revision >= current.revision) set({ status });
  }
  async function run(busy: NonNullable<SyncState['busy']>, action: () => Promise<SyncStatus>): Promise<boolean> {
    if (get().busy) return false;
    set({ busy, failure: null });
    try {
      keep(await action());
      return true;
    } catch (error) {
      set({ failure: failureOf(error) });
      return false;
    } finally {
      set({ busy: null });
    }
  }
  return {
    status: null,
    busy: null,
    failure: null,
    async load() {
      try {
        keep(await call('sync.status', {}));
      } catch (error) {
        set({ failure: failureOf(error) });
      }
    },
    receive: (status) => keep(status),
    enroll: (hubUrl, code) => run('enroll', () => call('sync.enroll', { hubUrl, code })),
    syncNow: async () => {
      await run('sync', () => call('sync.now', {}));
    },
    leave: async () => {
      await run('leave', () => call('sync.leave', {}));
    },
  };
});
