import { create } from 'zustand';
import type { BackupList } from '@shared/contract/storage';
import { call } from '../api/client';

/** What went wrong, as data: the code picks the staff's language, the message says the specifics. */
export interface StorageProblem {
  code: string;
  message: string;
}

interface StorageState {
  list: BackupList | null;
  busy: 'backup' | 'restore' | 'empty' | null;
  problem: StorageProblem | null;
  load(): Promise<void>;
  backupNow(): Promise<void>;
  /** Puts a backup in place of the data file; the services restart on it, then the page starts over. */
  restore(name: string): Promise<void>;
  startEmpty(): Promise<void>;
}

function problemOf(error: unknown): StorageProblem {
  const code = (error as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'internal', message: error instanceof Error ? error.message : String(error) };
}

export const useStorageStore = create<StorageState>()((set, get) => {
  /** Runs one action at a time; a restore or a fresh start reloads the page, whose state all came from the old file. */
  async function run(busy: NonNullable<StorageState['busy']>, action: () => Promise<unknown>, reload: boolean): Promise<void> {
    if (get().busy) return;
    set({ busy, problem: null });
    try {
      await action();
      if (reload) {
        window.location.reload();
        return;
      }
      await get().load();
    } catch (error) {
      set({ problem: problemOf(error) });
    } finally {
      set({ busy: null });
    }
  }
  return {
    list: null,
    busy: null,
    problem: null,
    async load() {
      try {
        set({ list: await call('storage.backups', {}) });
      } catch (error) {
        set({ problem: problemOf(error) });
      }
    },
    backupNow: () => run('backup', () => call('storage.backupNow', {}), false),
    restore: (name) => run('restore', () => call('storage.restore', { name }), true),
    startEmpty: () => run('empty', () => call('storage.startEmpty', { confirm: true }), true),
  };
});
