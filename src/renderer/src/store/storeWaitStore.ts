import { create } from 'zustand';
import type { ChatEvent } from '@shared/contract/chat';

export type StoreWaitEvent = Extract<ChatEvent, { type: 'store_wait' }>;

interface StoreWaitState {
  /** The latest "waiting for the store" of a run; it lasts until that run's next event. */
  wait: StoreWaitEvent | null;
  receive(event: ChatEvent): void;
}

/** Whether a tool of the running answer is waiting for the store (`store_wait` chat events), for the chat's notice. */
export const useStoreWaitStore = create<StoreWaitState>()((set, get) => ({
  wait: null,
  receive(event) {
    if (event.type === 'store_wait') set({ wait: event });
    else if (get().wait?.runId === event.runId) set({ wait: null });
  },
}));
