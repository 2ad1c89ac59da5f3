// The Electron binary cannot be installed here, so the shell runs against a stub of the `electron`
// module that records what the shell asks of it (the window, the protocol, dialogs, app events).
// Everything behind the shell is real: the services, the SQLite file, the demo store on loopback,
// the image cache, the app protocol's handler.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ProductSearchResult } from '@shared/commerce';
import { CONTENT_SECURITY_POLICY, productImageSrc } from '@shared/security';
import type { Result } from '@shared/errors';
import type { UpdateStatus } from '@shared/contract/updates';
import { LOG_FILE_NAME } from '../../src/main/app/config';
import { CrashRecovery } from '../../src/main/shell/recovery';
import { captureLog, LEVEL, readLogLines } from '../helpers/logCapture';
import { ManualClock } from '../helpers/manualClock';

const stub = await vi.hoisted(async () => {
  // Hoisted above the imports: it loads what it needs itself.
  const { EventEmitter } = await import('node:events');
  type Listener = (...args: unknown[]) => unknown;
  const state = {
    userData: '',
    ready: false,
    /** Whether the app was ready when the scheme was registered (it must not be). */
    schemesRegisteredWhenReady: [] as boolean[],
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    handlers: new Map<string, Listener>(),
    appListeners: new Map<string, Listener[]>(),
    windows: [] as InstanceType<typeof BrowserWindow>[],
    messages: [] as string[],
    errorBoxes: [] as string[],
    exitCodes: [] as number[],
  };
  class BrowserWindow extends EventEmitter {
    static getAllWindows = () => state.windows;
    webContents = Object.assign(new EventEmitter(), { send: () => undefined });
    loaded: string[] = [];
    constructor(readonly options: Record<string, unknown>) {
      super();
      state.windows.push(this);
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
  }
  const electron = {
    app: {
      requestSingleInstanceLock: () => true,
      quit: () => undefined,
      setName: () => undefined,
      whenReady: () => {
        state.ready = true;
        return Promise.resolve();
      },
      getPath: () => state.userData,
      getVersion: () => '1.0.0',
      isPackaged: false,
      exit: (code: number) => state.exitCodes.push(code),
      on: (event: string, listener: Listener) => state.appListeners.set(event, [...(state.appListeners.get(event) ?? []), listener]),
    },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, listener: Listener) => state.handlers.set(channel, listener),
      removeHandler: (channel: string) => state.handlers.delete(channel),
    },
    Menu: { buildFromTemplate: (template: unknown) => template, setApplicationMenu: () => undefined },
    nativeTheme: { shouldUseDarkColors: false },
    safeStorage: { isEncryptionAvailable: () => false, encryptString: () => Buffer.alloc(0), decryptString: () => '' },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => undefined,
        setPermissionCheckHandler: () => undefined,
        webRequest: { onHeadersReceived: () => undefined },
      },
    },
    shell: { openExternal: () => Promise.resolve() },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => {
        state.schemesRegisteredWhenReady.push(state.ready);
        state.schemes.push(...schemes);
      },
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => state.protocolHandlers.set(scheme, handler),
    },
    dialog: {
      showMessageBox: (_window: unknown, options: { message: string }) => {
        state.messages.push(options.message);
        return Promise.resolve({ response: 0 });
      },
      showErrorBox: (_title: string, content: string) => state.errorBoxes.push(content),
    },
  };
  return { state, electron };
});

vi.mock('electron', () => stub.electron);

const { startDesktopApp } = await import('../../src/main/shell/desktopApp');

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

/** A fresh app on its own data folder and built-renderer folder; the stub forgets the previous app. */
async function startApp(argv: string[] = []) {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-shell-hard-'));
  folders.push(base);
  const rendererDir = path.join(base, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>MM</title>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'index.js'), 'export {}');
  fs.writeFileSync(path.join(base, 'outside.txt'), 'outside the app');
  Object.assign(stub.state, { userData: path.join(base, 'userData'), ready: false, windows: [], messages: [], errorBoxes: [], exitCodes: [] });
  stub.state.appListeners.clear();
  stub.state.handlers.clear();
  const processEvents = new EventEmitter();
  const desktop = (await startDesktopApp({}, ['electron', '.', ...argv], { processEvents, rendererDir, loadUpdater: () => Promise.resolve(null) }))!;
  const window = stub.state.windows[0]!;
  const serve = (url: string) => stub.state.protocolHandlers.get('mm-app')!(new Request(url));
  const invoke = <T>(channel: string, request: unknown, frameUrl = 'mm-app://app/index.html') =>
    stub.state.handlers.get(channel)!({ senderFrame: { parent: null, url: frameUrl } }, request) as Promise<Result<T>>;
  const emitApp = (event: string, ...args: unknown[]) => {
    for (const listener of stub.state.appListeners.get(event) ?? []) listener(...args);
  };
  const logLines = () => readLogLines(path.join(stub.state.userData, LOG_FILE_NAME));
  return { desktop, window, processEvents, serve, invoke, emitApp, logLines };
}

describe('the hardened shell (stubbed electron module)', async () => {
  const app = await startApp(['--demo']);

  it('registers mm-app as a privileged standard, secure scheme before the app is ready, and loads the window from it', () => {
    expect(stub.state.schemesRegisteredWhenReady).toEqual([false]);
    expect(stub.state.schemes).toEqual([
      { scheme: 'mm-app', privileges: expect.objectContaining({ standard: true, secure: true, supportFetchAPI: true }) as unknown },
    ]);
    expect(app.window.loaded).toEqual(['mm-app://app/index.html']);
    expect(app.window.loaded.some((url) => url.startsWith('file:'))).toBe(false);
  });

  it('serves the built renderer on the app scheme with its CSP header, and nothing outside it', async () => {
    const page = await app.serve('mm-app://app/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("img-src 'self' data: mm-app://app;");
    expect((await app.serve('mm-app://app/assets/index.js')).status).toBe(200);
    for (const url of [
      'mm-app://app/../outside.txt',
      'mm-app://app/%2e%2e/outside.txt',
      'mm-app://app/..%2foutside.txt',
      'mm-app://app/..%5coutside.txt',
    ]) {
      const response = await app.serve(url);
      expect(response.status, url).toBe(404);
      expect(await response.text()).not.toContain('outside the app');
    }
  });

  it('trusts IPC only from the app scheme page', async () => {
    expect(await app.invoke('app.info', {})).toMatchObject({ ok: true, value: { mode: 'desktop' } });
    for (const frame of ['mm-app://evil/index.html', 'mm-app://app/other.html', 'file:///tmp/renderer/index.html', 'https://evil.example/']) {
      expect(await app.invoke('app.info', {}, frame), frame).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
  });

  it('shows product images through the app scheme, fetched from the store once and from disk once the store is gone', async () => {
    const search = await app.invoke<ProductSearchResult>('catalog.search', { query: 'sữa tươi' });
    expect(search.ok).toBe(true);
    const storeUrl = search.ok ? search.value.items.find((item) => item.imageUrl)?.imageUrl : undefined;
    expect(storeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\//);
    const imageUrl = `mm-app://app${productImageSrc(storeUrl!)}`;

    const fetched = await app.serve(imageUrl);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/svg+xml');
    const body = await fetched.text();
    expect(body).toContain('<svg');

    // The store goes away; the card still gets its image.
    await app.desktop.host.current().commerce.demo!.close();
    const offline = await app.serve(imageUrl);
    expect(offline.status).toBe(200);
    expect(await offline.text()).toBe(body);
    // An image from anywhere but the store is not fetched.
    expect((await app.serve(`mm-app://app${productImageSrc('https://evil.example/x.png')}`)).status).toBe(403);
  });

  it('logs a crashed renderer and reloads the window with a message in the staff language', async () => {
    app.window.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    await vi.waitFor(() => expect(stub.state.messages).toHaveLength(1));
    expect(app.window.loaded).toEqual(['mm-app://app/index.html', 'mm-app://app/index.html']);
    expect(stub.state.messages[0]).toContain('đã được mở lại');
    expect(app.logLines().find((line) => line.msg === 'the window renderer is gone')).toMatchObject({
      level: LEVEL.error,
      service: 'shell',
      reason: 'crashed',
      exitCode: 139,
    });
  });

  it('logs a child process that is gone; a dead GPU process reloads the window too', async () => {
    app.emitApp(
      'child-process-gone',
      {},
      { type: 'Utility', reason: 'crashed', exitCode: 1, serviceName: 'network.mojom.NetworkService', name: 'Network Service' },
    );
    expect(app.window.loaded).toHaveLength(2);
    app.emitApp('child-process-gone', {}, { type: 'GPU', reason: 'crashed', exitCode: 1 });
    await vi.waitFor(() => expect(stub.state.messages).toHaveLength(2));
    expect(app.window.loaded).toHaveLength(3);
    const gone = app.logLines().filter((line) => line.msg === 'a child process of the app is gone');
    expect(gone.map((line) => [line.level, line.type])).toEqual([
      [LEVEL.error, 'Utility'],
      [LEVEL.error, 'GPU'],
    ]);
  });

  it('answers the updates channels: a development run does not update itself', async () => {
    const status = await app.invoke<UpdateStatus>('updates.status', {});
    expect(status).toMatchObject({ ok: true, value: { state: 'unsupported', unsupportedReason: 'not_packaged', currentVersion: '1.0.0' } });
    expect(await app.invoke('updates.consent', { installOnQuit: true })).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it('an uncaught exception is logged and ends in an orderly quit that closes the database', async () => {
    const { db } = app.desktop.host.current();
    app.processEvents.emit('uncaughtException', new Error('boom in main'));
    await app.desktop.quit();
    expect(db!.open).toBe(false);
    expect(stub.state.exitCodes).toEqual([1]);
    expect(stub.state.errorBoxes).toHaveLength(1);
    expect(stub.state.handlers.size).toBe(0);
    expect(app.logLines().find((line) => line.msg.startsWith('an error nobody handled'))).toMatchObject({ level: LEVEL.fatal, service: 'shell' });
  });
});

describe('an unhandled rejection in main', () => {
  it('ends in the same orderly quit', async () => {
    const app = await startApp();
    const { db } = app.desktop.host.current();
    app.processEvents.emit('unhandledRejection', new Error('a promise nobody awaited'));
    await app.desktop.quit();
    expect(db!.open).toBe(false);
    expect(stub.state.exitCodes).toEqual([1]);
  });

  it('a normal quit exits 0 and lets a later quit (an installer quitting the app) through', async () => {
    const app = await startApp();
    let prevented = 0;
    app.emitApp('before-quit', { preventDefault: () => prevented++ });
    await app.desktop.quit();
    expect(stub.state.exitCodes).toEqual([0]);
    app.emitApp('before-quit', { preventDefault: () => prevented++ });
    expect(prevented).toBe(1);
  });
});

describe('crash recovery', () => {
  it('does not reload a window that keeps crashing in a loop', () => {
    const loads: string[] = [];
    const messages: string[] = [];
    const clock = new ManualClock(0);
    const logs = captureLog();
    const recovery = new CrashRecovery({
      window: { isDestroyed: () => false, loadURL: (url) => (loads.push(url), Promise.resolve()) },
      url: 'mm-app://app/index.html',
      log: logs.child('shell'),
      language: () => 'en',
      showMessage: (message) => messages.push(message),
      clock,
      maxReloads: 3,
      periodMs: 60_000,
    });
    for (let crash = 0; crash < 4; crash++) recovery.rendererGone({ reason: 'crashed', exitCode: 1 });
    expect(loads).toHaveLength(3);
    expect(messages.at(-1)).toContain('keeps failing');
    // Later, the window may be reloaded again.
    clock.advanceTo(120_000);
    recovery.rendererGone({ reason: 'oom', exitCode: 1 });
    expect(loads).toHaveLength(4);
    // Renderers ending while the app quits are expected.
    recovery.quit();
    recovery.rendererGone({ reason: 'killed', exitCode: 9 });
    expect(loads).toHaveLength(4);
    expect(
      logs
        .lines()
        .filter((line) => line.level === LEVEL.error)
        .map((line) => line.msg),
    ).toEqual([
      'the window renderer is gone',
      'the window renderer is gone',
      'the window renderer is gone',
      'the window renderer is gone',
      'the window keeps failing; it is not reloaded again',
      'the window renderer is gone',
    ]);
  });
});
