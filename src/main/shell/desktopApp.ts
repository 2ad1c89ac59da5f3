import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, protocol, safeStorage, session, shell } from 'electron';
import type { AppNotice } from '@shared/contract/app';
import type { UpdateStatus } from '@shared/contract/updates';
import { APP_SCHEME } from '@shared/security';
import { APP_NAME } from '../app/config';
import { startServiceHost, type ServiceHost } from '../app/host';
import { systemClock } from '../core/clock';
import type { Dispatch } from '../core/dispatch';
import type { Logger } from '../core/logger';
import { EncryptedSecretStore, ProcessSecretStore, SYNC_TOKEN_SECRET } from '../settings/secretStore';
import { forwardEvents, registerIpcHandlers } from './ipc';
import { menuTemplate } from './menu';
import { APP_PAGE_URL, createAppProtocolHandler, registerAppScheme } from './protocol';
import { CrashRecovery } from './recovery';
import { hardenContents, hardenSession, isSafeExternalUrl, secureWebPreferences } from './security';
import { readBuildFeedUrl, UpdateController, withUpdateChannels, type UpdaterKit } from './updates';

export interface DesktopApp {
  host: ServiceHost;
  window: BrowserWindow;
  updates: UpdateController;
  /** Orderly quit: services (and the data file) closed, then an agreed update installed, then exit. */
  quit(exitCode?: number): Promise<void>;
}

/** What the shell needs of the process: its fatal-error events (a stand-in in tests). */
export interface ProcessEvents {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (error: unknown) => void): unknown;
  off(event: 'uncaughtException' | 'unhandledRejection', listener: (error: unknown) => void): unknown;
}

export interface DesktopOptions {
  /** Defaults to `process`. */
  processEvents?: ProcessEvents;
  /** electron-updater for an installed app; defaults to loading it when `app.isPackaged`. */
  loadUpdater?: () => Promise<UpdaterKit | null>;
  /** The built renderer the app's scheme serves; defaults to `out/renderer` beside the build. */
  rendererDir?: string;
}

const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
/** The built renderer, served by the app's protocol (src/main/shell/protocol.ts). */
const builtRendererDir = fileURLToPath(new URL('../renderer/', import.meta.url));

/** The page the window shows: the dev server under `electron-vite dev`, else the app's own scheme — never `file://`. */
export function appUrl(env: Readonly<Record<string, string | undefined>>): string {
  return env.ELECTRON_RENDERER_URL ?? APP_PAGE_URL;
}

async function openExternal(url: string): Promise<void> {
  if (isSafeExternalUrl(url)) await shell.openExternal(url);
}

/** electron-updater, only in an installed app (in development it would find no `app-update.yml`). */
async function loadElectronUpdater(): Promise<UpdaterKit | null> {
  if (!app.isPackaged) return null;
  const updaterModule = (await import('electron-updater')).default;
  return { updater: updaterModule.autoUpdater, cancellationToken: () => new updaterModule.CancellationToken() };
}

/** Window and renderer failures: a page that did not load, a renderer that crashed or hangs. */
function watchWindow(window: BrowserWindow, recovery: CrashRecovery, log: Logger): void {
  window.webContents.on('did-fail-load', (_event, errorCode, errorDescription, _url, isMainFrame) => {
    if (isMainFrame) log.error({ errorCode, errorDescription }, 'the app page failed to load');
  });
  window.webContents.on('render-process-gone', (_event, details) => recovery.rendererGone(details));
  window.on('unresponsive', () => log.warn('the window stopped responding'));
  window.on('responsive', () => log.info('the window responds again'));
}

/**
 * The Electron shell: single instance, the app's own scheme for the page and product images,
 * hardened window and session, IPC from the contract, automatic updates, crash recovery, and a
 * quit that closes the services before the process ends. Returns null when another instance runs.
 */
export async function startDesktopApp(
  env: Readonly<Record<string, string | undefined>>,
  argv: string[],
  options: DesktopOptions = {},
): Promise<DesktopApp | null> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  app.setName(APP_NAME);
  // Before the app is ready, or Chromium does not treat the scheme as standard and secure.
  registerAppScheme(protocol);
  await app.whenReady();

  const url = appUrl(env);
  const host = await startServiceHost({
    userDataDir: app.getPath('userData'),
    mode: 'desktop',
    version: app.getVersion(),
    createSecretStore: (db) => (db ? new EncryptedSecretStore(db, safeStorage) : new ProcessSecretStore(undefined)),
    createSyncTokenStore: (db) => (db ? new EncryptedSecretStore(db, safeStorage, SYNC_TOKEN_SECRET) : new ProcessSecretStore(undefined)),
    settingsOverrides: argv.includes('--demo') ? { demoStore: true } : undefined,
    env,
  });

  const log = host.current().log.logger.child({ service: 'shell' });
  try {
    const kit = await (options.loadUpdater ?? loadElectronUpdater)();
    return openWindow(host, url, kit, options.rendererDir ?? builtRendererDir, options.processEvents ?? process, log);
  } catch (error) {
    // Logged while the log is open; index.ts prints the one line for the person starting the app.
    log.fatal({ err: error }, 'the desktop window could not be set up');
    await host.close();
    throw error;
  }
}

function openWindow(
  host: ServiceHost,
  url: string,
  kit: UpdaterKit | null,
  rendererDir: string,
  processEvents: ProcessEvents,
  log: Logger,
): DesktopApp {
  hardenSession(session.defaultSession);
  const devOrigin = url.startsWith('http') ? new URL(url).origin : null;
  protocol.handle(
    APP_SCHEME,
    createAppProtocolHandler({
      rendererDir,
      images: (src) => host.current().images.get(src),
      imageInitiators: devOrigin ? [devOrigin] : [],
      logger: log,
    }),
  );
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, url, openExternal, log));
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(process.platform, APP_NAME)));

  const settings = () => host.current().settings.get();
  const updates = new UpdateController({
    kit,
    currentVersion: app.getVersion(),
    buildFeedUrl: kit ? readBuildFeedUrl(path.join(process.resourcesPath, 'app-update.yml'), log) : '',
    settings,
    publish: (status: UpdateStatus) => host.events.emit('updates.changed', status),
    notify: (notice: AppNotice) => host.events.emit('app.notice', notice),
    clock: systemClock,
    logger: host.current().log.logger.child({ service: 'updates' }),
  });
  const stopFollowingSettings = host.events.subscribe((name) => {
    if (name === 'settings.changed') updates.settingsChanged();
  });
  const dispatch: Dispatch = withUpdateChannels(host.dispatch, updates);
  const unregister = registerIpcHandlers(ipcMain, dispatch, url, log);
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
  const recovery = new CrashRecovery({
    window,
    url,
    log,
    language: () => settings().language,
    showMessage: (message) => {
      if (window.isDestroyed()) return;
      dialog
        .showMessageBox(window, { type: 'warning', title: APP_NAME, message })
        .catch((error: unknown) => log.warn({ err: error }, 'a message could not be shown'));
    },
    clock: systemClock,
  });
  watchWindow(window, recovery, log);
  app.on('child-process-gone', (_event, details) => recovery.childGone(details));
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
  /** Set once the services are closed: a quit from then on (Squirrel.Mac installing an update) goes through. */
  let closed = false;
  const quit = (exitCode = 0) => {
    quitting ??= (async () => {
      log.info({ exitCode }, 'quitting');
      recovery.quit();
      // Decided while the log is open; carried out once the data file is closed.
      const installUpdate = exitCode === 0 && updates.planQuit();
      updates.close();
      stopFollowingSettings();
      stopForwarding();
      unregister();
      processEvents.off('uncaughtException', onFatal);
      processEvents.off('unhandledRejection', onFatal);
      try {
        await host.close();
      } catch (error) {
        // The log is closed by now; each service that failed to close was logged before it (app/services.ts).
        console.error(`MM Assistant: closing failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        closed = true;
        if (exitCode !== 0) showFatalMessage();
        const installing = updates.installOnQuit(installUpdate);
        // macOS: Squirrel.Mac installs, then quits the app itself.
        if (installing !== 'handed_over') app.exit(exitCode);
      }
    })();
    return quitting;
  };
  // Quit waits for the services (database, sockets, timers) to close.
  app.on('before-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    void quit();
  });
  app.on('window-all-closed', () => void quit());

  /** A fault nothing caught: logged, then the same orderly quit (the data file closed), with exit code 1. */
  function onFatal(error: unknown): void {
    log.fatal({ err: error }, 'an error nobody handled in the main process; the app quits');
    void quit(1);
  }
  /** Once the data file is closed, before the exit: the staff learns why the app went away. */
  function showFatalMessage(): void {
    try {
      dialog.showErrorBox(
        APP_NAME,
        'Trợ lý MM gặp lỗi và đã đóng; dữ liệu đã lưu vẫn còn.\nMM Assistant hit an error and closed; saved data is kept.',
      );
    } catch (dialogError) {
      console.error(`MM Assistant: the error dialog could not be shown: ${String(dialogError)}`);
    }
  }
  processEvents.on('uncaughtException', onFatal);
  processEvents.on('unhandledRejection', onFatal);

  updates.start();
  return { host, window, updates, quit };
}
