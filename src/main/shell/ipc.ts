import type { BrowserWindow, IpcMain } from 'electron';
import { channelNames, EVENT_IPC_CHANNEL } from '@shared/contract/names';
import type { Dispatch } from '../core/dispatch';
import type { EventBus } from '../core/eventBus';
import { silentLogger, type Logger } from '../core/logger';
import { isTrustedSender, pageOf } from './security';

/**
 * Registers one handler per contract channel, all in this one place. Each checks the sender frame
 * before the dispatcher validates the request.
 */
export function registerIpcHandlers(ipcMain: IpcMain, dispatch: Dispatch, appUrl: string, log: Logger = silentLogger()): () => void {
  for (const channel of channelNames) {
    ipcMain.handle(channel, async (event, request: unknown) => {
      if (!isTrustedSender(event.senderFrame, appUrl)) {
        // The frame's page without query or fragment; never the request.
        log.warn({ channel, frame: event.senderFrame ? pageOf(event.senderFrame.url) : null }, 'IPC from an untrusted frame refused');
        return { ok: false, error: { code: 'forbidden', message: `IPC from an untrusted frame was refused (${channel}).` } };
      }
      return dispatch(channel, request, { transport: 'ipc' });
    });
  }
  return () => {
    for (const channel of channelNames) ipcMain.removeHandler(channel);
  };
}

/** Forwards every core event to the app's windows; a window that cannot take it does not keep it from the others. */
export function forwardEvents(events: EventBus, windows: () => BrowserWindow[], log: Logger = silentLogger()): () => void {
  return events.subscribe((name, payload) => {
    for (const window of windows()) {
      if (window.isDestroyed()) continue;
      try {
        window.webContents.send(EVENT_IPC_CHANNEL, name, payload);
      } catch (error) {
        // The window is closing or its renderer is gone; the next event tries again.
        log.warn({ event: name, windowId: window.id, err: error }, 'event not delivered to a window');
      }
    }
  });
}
