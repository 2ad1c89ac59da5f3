// The Electron binary cannot be installed here, so the shell runs against a stub of the `electron`
// module that records what the shell asks of it. Everything behind the shell is real.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LOG_FILE_NAME } from '../../src/main/app/config';
import { channelNames } from '@shared/contract';
import { CONTENT_SECURITY_POLICY } from '@shared/security';
import { LEVEL, readLogLines } from '../helpers/logCapture';

const stub = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown;
  const appListeners = new Map<string, Listener[]>();
  const state = {
    userData: '',
    windows: [] as { options: Record<string, unknown>; loadedUrl: string }[],
    handlers: new Map<string, Listener>(),
    permissionRequest: null as null | Listener,
    permissionCheck: null as null | Listener,
    headersReceived: null as null | Listener,
    openedExternally: [] as string[],
    exitCodes: [] as number[],
    menu: null as unknown,
    appListeners,
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, Listener>(),
  };
  class BrowserWindow {
    static all: BrowserWindow[] = [];
    static getAllWindows = () => BrowserWindow.all;
    webContents = { send: () => undefined, on: () => undefined };
    record: { options: Record<string, unknown>; loadedUrl: string };
    constructor(options: Record<string, unknown>) {
      this.record = { options, loadedUrl: '' };
      state.windows.push(this.record);
      BrowserWindow.all.push(this);
    }
    once() {}
    on() {}
    isDestroyed() {
      return false;
    }
    loadURL(url: string) {
      this.record.loadedUrl = url;
      return Promise.resolve();
    }
  }
  const electron = {
    app: {
      requestSingleInstanceLock: () => true,
      quit: () => undefined,
      setName: () => undefined,
      whenReady: () => Promise.resolve(),
      getPath: () => state.userData,
      getVersion: () => '9.9.9',
      isPackaged: false,
      exit: (code: number) => state.exitCodes.push(code),
      on: (event: string, listener: Listener) => appListeners.set(event, [...(appListeners.get(event) ?? []), listener]),
    },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, listener: Listener) => {
        if (state.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        state.handlers.set(channel, listener);
      },
      removeHandler: (channel: string) => state.handlers.delete(channel),
    },
    Menu: { buildFromTemplate: (template: unknown) => template, setApplicationMenu: (menu: unknown) => (state.menu = menu) },
    nativeTheme: { shouldUseDarkColors: false },
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (plain: string) => Buffer.from([...plain].reverse().join('')),
      decryptString: (cipher: Buffer) => [...cipher.toString()].reverse().join(''),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: Listener) => (state.permissionRequest = handler),
        setPermissionCheckHandler: (handler: Listener) => (state.permissionCheck = handler),
        webRequest: { onHeadersReceived: (handler: Listener) => (state.headersReceived = handler) },
      },
    },
    shell: { openExternal: (url: string) => (state.openedExternally.push(url), Promise.resolve()) },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => state.schemes.push(...schemes),
      handle: (scheme: string, handler: Listener) => state.protocolHandlers.set(scheme, handler),
    },
    dialog: { showMessageBox: () => Promise.resolve({ response: 0 }), showErrorBox: () => undefined },
  };
  return { state, electron };
});

vi.mock('electron', () => stub.electron);

const { startDesktopApp } = await import('../../src/main/shell/desktopApp');

function fakeContents() {
  const contents = new EventEmitter() as EventEmitter & { windowOpen?: (details: { url: string }) => { action: string } };
  Object.assign(contents, {
    setWindowOpenHandler: (handler: (details: { url: string }) => { action: string }) => (contents.windowOpen = handler),
  });
  return contents;
}

function navigate(contents: EventEmitter, event: string, url: string): boolean {
  let prevented = false;
  contents.emit(event, { preventDefault: () => (prevented = true) }, url);
  return prevented;
}

describe('Electron shell (stubbed electron module)', async () => {
  // Kept for the whole describe (tempDir's folders go after each test): the log is read at the end.
  stub.state.userData = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-shell-'));
  afterAll(() => fs.rmSync(stub.state.userData, { recursive: true, force: true }));
  // The process's fatal-error events: a stand-in, so the test worker's own handlers stay untouched.
  const desktop = await startDesktopApp({}, ['electron', '.'], { processEvents: new EventEmitter() });
  const window = stub.state.windows[0]!;
  const appUrl = window.loadedUrl;

  it('creates the window isolated, sandboxed, without node, with the contract preload', () => {
    const preferences = window.options.webPreferences as Record<string, unknown>;
    expect(preferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
    });
    expect(preferences).not.toHaveProperty('enableBlinkFeatures');
    expect(String(preferences.preload)).toMatch(/preload[\\/]index\.cjs$/);
    // The app's own scheme, never file:// (checklist item 18).
    expect(appUrl).toBe('mm-app://app/index.html');
    expect(stub.state.schemes).toEqual([
      expect.objectContaining({ scheme: 'mm-app', privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ]);
    expect([...stub.state.protocolHandlers.keys()]).toEqual(['mm-app']);
  });

  it('sends a strict CSP with every response', () => {
    let headers: Record<string, string[]> = {};
    stub.state.headersReceived!({ responseHeaders: { 'X-Other': ['1'] } }, (response: { responseHeaders: Record<string, string[]> }) => {
      headers = response.responseHeaders;
    });
    expect(headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('denies navigation away from the app and new windows; http(s) links go to the system browser', () => {
    const contents = fakeContents();
    for (const listener of stub.state.appListeners.get('web-contents-created') ?? []) listener({}, contents);
    expect(navigate(contents, 'will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate(contents, 'will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(navigate(contents, 'will-redirect', 'http://127.0.0.1:9/')).toBe(true);
    expect(navigate(contents, 'will-navigate', `${appUrl}#memory`)).toBe(false);

    expect(contents.windowOpen!({ url: 'https://online.mmvietnam.com/sua-tuoi.html' })).toEqual({ action: 'deny' });
    expect(contents.windowOpen!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(contents.windowOpen!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(stub.state.openedExternally).toEqual(['https://online.mmvietnam.com/sua-tuoi.html']);
  });

  it('denies every permission the app does not use', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'midi', 'openExternal', 'clipboard-read', 'display-capture']) {
      let granted: boolean | null = null;
      stub.state.permissionRequest!({}, permission, (answer: boolean) => (granted = answer));
      expect(granted, permission).toBe(false);
      expect(stub.state.permissionCheck!({}, permission)).toBe(false);
    }
  });

  it('registers every contract channel once, checking the sender frame', async () => {
    expect([...stub.state.handlers.keys()].sort()).toEqual([...channelNames].sort());
    const handler = stub.state.handlers.get('app.info')!;
    const trusted = await handler({ senderFrame: { parent: null, url: `${appUrl}#chat` } }, {});
    expect(trusted).toMatchObject({ ok: true, value: { mode: 'desktop', version: '9.9.9' } });

    const subFrame = await handler({ senderFrame: { parent: {}, url: appUrl } }, {});
    expect(subFrame).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const otherOrigin = await handler({ senderFrame: { parent: null, url: 'https://evil.example/' } }, {});
    expect(otherOrigin).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const noFrame = await handler({ senderFrame: null }, {});
    expect(noFrame).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    const setter = stub.state.handlers.get('settings.set')!;
    const untrustedWrite = await setter({ senderFrame: { parent: null, url: 'https://evil.example/' } }, { language: 'en' });
    expect(untrustedWrite).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(desktop!.host.current().settings.get().language).toBe('vi');
  });

  it('keeps the API key encrypted at rest with safeStorage and never returns it', async () => {
    const setKey = stub.state.handlers.get('settings.setApiKey')!;
    const key = 'AIzaSyDESKTOPKEY_1234567890abcdefgh';
    const result = await setKey({ senderFrame: { parent: null, url: appUrl } }, { apiKey: key });
    expect(result).toMatchObject({ ok: true, value: { apiKeySet: true, apiKeyStorage: 'safeStorage' } });
    expect(JSON.stringify(result)).not.toContain(key);
    const stored = desktop!.host.current().db!.prepare('SELECT ciphertext FROM secrets').get() as { ciphertext: Buffer };
    expect(stored.ciphertext.toString()).not.toContain(key);
    expect(desktop!.host.current().settings.apiKey()).toBe(key);
  });

  it('installs the usual menu roles', () => {
    const roles = (stub.state.menu as { role?: string }[]).map((item) => item.role);
    expect(roles).toEqual(expect.arrayContaining(['fileMenu', 'editMenu', 'viewMenu', 'windowMenu']));
  });

  it('logs refused IPC and navigation as warnings from the shell, with the origin only, never the request', async () => {
    const handler = stub.state.handlers.get('settings.set')!;
    await handler({ senderFrame: { parent: null, url: 'https://evil.example/page?customer=KH-0901234567' } }, { language: 'en' });
    const contents = fakeContents();
    for (const listener of stub.state.appListeners.get('web-contents-created') ?? []) listener({}, contents);
    navigate(contents, 'will-navigate', 'https://evil.example/cart?customer=KH-0901234567');

    const file = path.join(stub.state.userData, LOG_FILE_NAME);
    const lines = readLogLines(file);
    expect(lines.findLast((line) => line.msg === 'IPC from an untrusted frame refused' && line.channel === 'settings.set')).toMatchObject({
      level: LEVEL.warn,
      service: 'shell',
      channel: 'settings.set',
      frame: 'https://evil.example/page',
    });
    expect(lines.find((line) => line.msg === 'navigation away from the app refused' && line.target === 'https://evil.example')).toMatchObject({
      level: LEVEL.warn,
      service: 'shell',
      what: 'navigate',
      target: 'https://evil.example',
    });
    expect(readLogLines(file).some((line) => JSON.stringify(line).includes('KH-0901234567'))).toBe(false);
  });

  it('quits gracefully: closes the services, then exits', async () => {
    let prevented = false;
    for (const listener of stub.state.appListeners.get('before-quit') ?? []) listener({ preventDefault: () => (prevented = true) });
    const { db } = desktop!.host.current();
    await desktop!.quit();
    expect(prevented).toBe(true);
    expect(db!.open).toBe(false);
    expect(stub.state.exitCodes).toEqual([0]);
    expect(stub.state.handlers.size).toBe(0);
  });
});
