/**
 * Exposes exactly the contract as `window.api`: invoke a contract channel, subscribe to a contract
 * event. Nothing else of Electron or Node reaches the page. It checks names only (main validates
 * every request), so it imports the zod-free names list and bundles no schema library.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { WindowApi } from '@shared/contract';
import { EVENT_IPC_CHANNEL, isChannelName, isEventName } from '@shared/contract/names';

const api: WindowApi = {
  invoke(channel, request) {
    if (!isChannelName(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'unknown_channel', message: `Unknown channel: ${String(channel)}` } });
    }
    return ipcRenderer.invoke(channel, request);
  },
  on(event, listener) {
    if (!isEventName(event)) throw new Error(`Unknown event: ${String(event)}`);
    const handler = (_ipcEvent: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (name === event) (listener as (payload: unknown) => void)(payload);
    };
    ipcRenderer.on(EVENT_IPC_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_IPC_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('api', api);
