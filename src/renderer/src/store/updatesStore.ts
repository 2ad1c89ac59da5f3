import { create } from 'zustand';
import type { UpdateStatus } from '@shared/contract/updates';
import { call } from '../api/client';

/** What went wrong, as data: the code picks the staff's language, the message says the specifics. */
export interface UpdatesProblem {
  code: string;
  message: string;
}

interface UpdatesState {
  status: UpdateStatus | null;
  busy: boolean;
  problem: UpdatesProblem | null;
  load(): Promise<void>;
  check(): Promise<void>;
  /** "Cập nhật khi thoát" (true), or withdrawn (false). */
  consent(installOnQuit: boolean): Promise<void>;
  receive(status: UpdateStatus): void;
  /** Follows `updates.changed` while Settings is open; returns the unsubscribe. */
  follow(): () => void;
}

function problemOf(error: unknown): UpdatesProblem {
  const code = (error as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'internal', message: error instanceof Error ? error.message : String(error) };
}

export const useUpdatesStore = create<UpdatesState>()((set, get) => {
  async function run(action: () => Promise<UpdateStatus>): Promise<void> {
    if (get().busy) return;
    set({ busy: true, problem: null });
    try {
      set({ status: await action() });
    } catch (error) {
      set({ problem: problemOf(error) });
    } finally {
      set({ busy: false });
    }
  }
  return {
    status: null,
    busy: false,
    problem: null,
    async load() {
      try {
        set({ status: await call('updates.status', {}) });
      } catch (error) {
        set({ problem: problemOf(error) });
      }
    },
    check: () => run(() => call('updates.check', {})),
    consent: (installOnQuit) => run(() => call('updates.consent', { installOnQuit })),
    receive: (status) => set({ status }),
    follow: () => window.api.on('updates.changed', (status) => get().receive(status)),
  };
});
