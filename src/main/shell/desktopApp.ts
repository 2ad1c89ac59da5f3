import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, nativeTheme, safeStorage, session, shell } from 'electron';
import { APP_NAME } from '../app/config';
import { startServiceHost, type ServiceHost } from '../app/host';
import type { Logger } from '../core/logger';
import { EncryptedSecretStore, ProcessSecretStore } from '../settings/secretStore';
import { forwardEvents, registerIpcHandlers } from './ipc';
import { menuTemplate } from './menu';
import { hardenContents, hardenSession, isSafeExternalUrl, secureWebPreferences } from './security';

export interface DesktopApp {
  host: ServiceHost;
  window: BrowserWindow;
  quit(): Promise<void>;
}

const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

/** The page the window shows: the dev server under `electron-vite dev`, else the built index.html. */
export function appUrl(env: Readonly<Record<string, string | undefined>>): string {
  return env.ELECTRON_RENDERER_URL ?? new URL('../renderer/index.html', import.meta.url).href;
}

async function openExternal(url: string): Promise<void> {
  if (isSafeExternalUrl(url)) await shell.openExternal(url);
}

/** Window and renderer failures: a page that did not load, a renderer that crashed or hangs. */
function watchWindow(window: BrowserWindow, log: Logger): void {
  window.webContents.on('did-fail-load', (_event, errorCode, errorDescription, _url, isMainFrame) => {
    if (isMainFrame) log.error({ errorCode, errorDescription }, 'the app page failed to load');
  });
  window.webContents.on('render-process-gone', (_event, details) => {
    log.error({ reason: details.reason, exitCode: details.exitCode }, 'the window renderer is gone');
  });
  window.on('unresponsive', () => log.warn('the window stopped responding'));
  window.on('responsive', () => log.info('the window responds again'));
}

/**
 * The Electron shell: single instance, hardened window and session, IPC from the contract, and a
 * quit that closes the services before the process ends. Returns null when another instance runs.
 */
export async function startDesktopApp(env: Readonly<Record<string, string | undefined>>, argv: string[]): Promise<DesktopApp | null> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  app.setName(APP_NAME);
  await app.whenReady();

  const url = appUrl(env);
  const host = await startServiceHost({
    userDataDir: app.getPath('userData'),
    mode: 'desktop',
    version: app.getVersion(),
    createSecretStore: (db) => (db ? new EncryptedSecretStore(db, safeStorage) : new ProcessSecretStore(undefined)),
    settingsOverrides: argv.includes('--demo') ? { demoStore: true } : undefined,
    env,
  });

  const log = host.current().log.logger.child({ service: 'shell' });
  try {
    return openWindow(host, url, log);
  } catch (error) {
    // Logged while the log is open; index.ts prints the one line for the person starting the app.
    log.fatal({ err: error }, 'the desktop window could not be set up');
    await host.close();
    throw error;
  }
}

function openWindow(host: ServiceHost, url: string, log: Logger): DesktopApp {
  hardenSession(session.defaultSession);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, url, openExternal, log));
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(process.platform, APP_NAME)));
  const unregister = registerIpcHandlers(ipcMain, host.dispatch, url, log);
  const stopForwarding = forwardEvents(host.events, () => BrowserWindow.getAllWindows(), log);

  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: APP_NAME,
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#15171a' : '#f6f7f9',
    webPreferences: secureWebPreferences(preloadPath),
  });
  watchWindow(window, log);
  window.once('ready-to-show', () => {
    window.show();
    log.info('window shown');
  });
  window.loadURL(url).catch((error: unknown) => log.error({ err: error }, 'the app page could not be loaded'));

  app.on('second-instance', () => {
    if (window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  let quitting: Promise<void> | null = null;
  const quit = () => {
    quitting ??= (async () => {
      log.info('quitting');
      stopForwarding();
      unregister();
      try {
        await host.close();
      } catch (error) {
        // The log is closed by now; each service that failed to close was logged before it (app/services.ts).
        console.error(`MM Assistant: closing failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        app.exit(0);
      }
    })();
    return quitting;
  };
  // Quit waits for the services (database, sockets, timers) to close.
  app.on('before-quit', (event) => {
    event.preventDefault();
    void quit();
  });
  app.on('window-all-closed', () => void quit());

  return { host, window, quit };
}
