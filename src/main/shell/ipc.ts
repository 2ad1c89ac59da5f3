import type { BrowserWindow, IpcMain } from 'electron';
import { channelNames, EVENT_IPC_CHANNEL } from '../../shared/contract/names';
import type { Dispatch } from '../core/dispatch';
import type { EventBus } from '../core/eventBus';
import { isTrustedSender } from './security';

/**
 * Registers one handler per contract channel, all in this one place. Each checks the sender frame
 * before the dispatcher validates the request.
 */
export function registerIpcHandlers(ipcMain: IpcMain, dispatch: Dispatch, appUrl: string): () => void {
  for (const channel of channelNames) {
    ipcMain.handle(channel, async (event, request: unknown) => {
      if (!isTrustedSender(event.senderFrame, appUrl)) {
        return { ok: false, error: { code: 'forbidden', message: `IPC from an untrusted frame was refused (${channel}).` } };
      }
      return dispatch(channel, request, { transport: 'ipc' });
    });
  }
  return () => {
    for (const channel of channelNames) ipcMain.removeHandler(channel);
  };
}

/** Forwards every core event to the app's windows. */
export function forwardEvents(events: EventBus, windows: () => BrowserWindow[]): () => void {
  return events.subscribe((name, payload) => {
    for (const window of windows()) {
      if (!window.isDestroyed()) window.webContents.send(EVENT_IPC_CHANNEL, name, payload);
    }
  });
}
