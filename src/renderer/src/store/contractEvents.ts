import { useAppStore } from './appStore';
import { useCartStore } from './cartStore';
import { useChatStore } from './chatStore';
import { useCustomerStore } from './customerStore';
import { useMemoryStore } from './memoryStore';

/**
 * Routes every event main pushes to the store that owns its data; returns the unsubscribe. With
 * `api/client.ts`'s `call`, the stores are where the renderer meets `window.api`: components use the stores.
 */
export function subscribeContractEvents(): () => void {
  const api = window.api;
  const unsubscribe = [
    api.on('settings.changed', (settings) => useAppStore.getState().applySettings(settings)),
    api.on('chat.event', (event) => {
      useChatStore.getState().receive(event);
      if (event.type === 'done') void useCustomerStore.getState().refreshSessions();
    }),
    api.on('cart.changed', (change) => useCartStore.getState().receive(change)),
    api.on('memory.quotaWarning', (warning) => useMemoryStore.getState().warn(warning)),
    api.on('app.notice', (notice) => useAppStore.getState().setNotice(notice)),
    api.on('app.storageChanged', (storage) => useAppStore.getState().setStorage(storage)),
  ];
  return () => unsubscribe.forEach((off) => off());
}
