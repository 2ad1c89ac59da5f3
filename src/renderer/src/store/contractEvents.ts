import { useAppStore } from './appStore';
import { useCartStore } from './cartStore';
import { useChatStore } from './chatStore';
import { useCustomerStore } from './customerStore';
import { useMemoryStore } from './memoryStore';
import { useSyncStore } from './syncStore';
import { useProfileStore } from './profileStore';
import { useStoreWaitStore } from './storeWaitStore';

/**
 * Routes every event main pushes to the store that owns its data; returns the unsubscribe. With
 * `api/client.ts`'s `call`, the stores are where the renderer meets `window.api`: components use the stores.
 */
export function subscribeContractEvents(): () => void {
  const api = window.api;
  const unsubscribe = [
    // Main announces a saved change once it is applied: a changed store is in use when the cart is read again.
    api.on('settings.changed', (settings) => useAppStore.getState().applySettings(settings)),
    api.on('chat.event', (event) => {
      useChatStore.getState().receive(event);
      useStoreWaitStore.getState().receive(event);
      if (event.type === 'done') void useCustomerStore.getState().refreshSessions();
    }),
    api.on('cart.changed', (change) => useCartStore.getState().receive(change)),
    api.on('memory.quotaWarning', (warning) => useMemoryStore.getState().warn(warning)),
    api.on('memory.changed', (change) => {
      const profile = useProfileStore.getState();
      // The profile on screen follows what the assistant (or another window) learned or forgot.
      if (profile.userId !== null && (change.userId === null || change.userId === profile.userId)) void profile.refresh();
    }),
    api.on('app.notice', (notice) => {
      useAppStore.getState().setNotice(notice);
      // Events may have been missed while the connection was down: what the desk shows is read again.
      if (notice.code === 'bridge_reconnected') useAppStore.getState().reconnected();
    }),
    api.on('app.storageChanged', (storage) => useAppStore.getState().setStorage(storage)),
    api.on('sync.changed', (status) => useSyncStore.getState().receive(status)),
  ];
  return () => unsubscribe.forEach((off) => off());
}
