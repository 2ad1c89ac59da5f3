import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AppImageUpdater, CancellationToken } from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter';
import type { InstallOptions } from 'electron-updater/out/BaseUpdater';
import { ElectronHttpExecutor } from 'electron-updater/out/electronHttpExecutor';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppNotice } from '@shared/contract/app';
import type { UpdateStatus } from '@shared/contract/updates';
import { AppError } from '@shared/errors';
import { UpdateController, withUpdateChannels, type UpdateSettings } from '../../src/main/shell/updates';
import { LEVEL, captureLog } from '../helpers/logCapture';
import { ManualClock } from '../helpers/manualClock';
import { tempDir } from '../helpers/tempDir';

// The update policy on the real electron-updater (its AppImage updater and generic provider)
// against a real update server on loopback serving latest-linux.yml and the AppImage. What cannot
// run here is stubbed and nothing more: Electron's `app` (a test AppAdapter, as electron-updater's
// own tests do), its `net` (Node's http instead), and the installer itself (`doInstall` records
// the call instead of replacing the running app).

/** electron-updater's own executor (its download and checksum code), on Node's http instead of Electron's `net`. */
class NodeHttpExecutor extends ElectronHttpExecutor {
  constructor() {
    super(() => undefined);
  }
  override createRequest(
    options: http.RequestOptions,
    callback: (response: http.IncomingMessage) => void,
  ): ReturnType<ElectronHttpExecutor['createRequest']> {
    // Node's request has the part of Electron's ClientRequest the executor uses (write, end, abort, events).
    return http.request(options, callback) as unknown as ReturnType<ElectronHttpExecutor['createRequest']>;
  }
}

class TestAppAdapter implements AppAdapter {
  readonly name = 'MM Assistant';
  readonly isPackaged = true;
  /** Handlers electron-updater hooks on the app's quit itself (it must hook none: the app installs). */
  readonly quitHandlers: ((exitCode: number) => void)[] = [];
  constructor(
    readonly version: string,
    readonly userDataPath: string,
    readonly baseCachePath: string,
    readonly appUpdateConfigPath: string,
  ) {}
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  relaunch(): void {}
  quit(): void {}
  onQuit(handler: (exitCode: number) => void): void {
    this.quitHandlers.push(handler);
  }
}

/** The real AppImage updater; only the install step is recorded instead of run. */
class RecordingUpdater extends AppImageUpdater {
  readonly installs: InstallOptions[] = [];
  protected override doInstall(options: InstallOptions): boolean {
    this.installs.push(options);
    return true;
  }
}

interface UpdateServer {
  url: string;
  hits: Map<string, number>;
  /** Sets what latest-linux.yml announces. */
  publish(version: string, extra?: { stagingPercentage?: number; sha512?: string }): void;
  /** Holds the next installer downloads until `release()`. */
  hold(): void;
  release(): void;
  fail(status: number | null): void;
  close(): Promise<void>;
}

const installer = Buffer.from('#!/bin/sh\necho "MM Assistant 1.1.0"\n'.repeat(200));
const installerSha512 = crypto.createHash('sha512').update(installer).digest('base64');

async function updateServer(): Promise<UpdateServer> {
  const hits = new Map<string, number>();
  let latest = '';
  let failWith: number | null = null;
  let held: (() => void)[] | null = null;
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
    if (failWith !== null) {
      res.writeHead(failWith).end('server trouble');
      return;
    }
    if (pathname === '/latest-linux.yml') {
      res.writeHead(200, { 'Content-Type': 'text/yaml' }).end(latest);
      return;
    }
    if (pathname.endsWith('.AppImage')) {
      const send = () =>
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(installer.length) }).end(installer);
      if (held) held.push(send);
      else send();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    hits,
    publish(version, extra = {}) {
      const file = `MM-Assistant-${version}.AppImage`;
      latest = [
        `version: ${version}`,
        'files:',
        `  - url: ${file}`,
        `    sha512: ${extra.sha512 ?? installerSha512}`,
        `    size: ${installer.length}`,
        `path: ${file}`,
        `sha512: ${extra.sha512 ?? installerSha512}`,
        `releaseDate: '2026-11-30T08:00:00.000Z'`,
        ...(extra.stagingPercentage === undefined ? [] : [`stagingPercentage: ${extra.stagingPercentage}`]),
        '',
      ].join('\n');
    },
    hold() {
      held = [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const send of waiting) send();
    },
    fail(status) {
      failWith = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Statuses as the windows get them (`updates.changed`), and a way to wait for one. */
function recorder() {
  const statuses: UpdateStatus[] = [];
  const notices: AppNotice[] = [];
  const waiting: { predicate: (status: UpdateStatus) => boolean; resolve: (status: UpdateStatus) => void }[] = [];
  return {
    statuses,
    notices,
    publish(status: UpdateStatus) {
      statuses.push(status);
      for (const waiter of waiting.splice(0)) {
        if (waiter.predicate(status)) waiter.resolve(status);
        else waiting.push(waiter);
      }
    },
    until(predicate: (status: UpdateStatus) => boolean): Promise<UpdateStatus> {
      const seen = statuses.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiting.push({ predicate, resolve }));
    },
  };
}

let server: UpdateServer;
const previousAppImage = process.env.APPIMAGE;
beforeAll(async () => {
  server = await updateServer();
});
afterAll(async () => {
  await server.close();
  if (previousAppImage === undefined) delete process.env.APPIMAGE;
  else process.env.APPIMAGE = previousAppImage;
});
const controllers: UpdateController[] = [];
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.close();
  server.fail(null);
  server.release();
  server.hits.clear();
});

/** A staging id whose last four bytes put this computer at `position` (0–1) of the rollout, as electron-updater computes it. */
function stagingId(position: 'first' | 'last'): string {
  // (Not ffffffff: electron-updater keeps a computer whose share is exactly 1.0 out even at 100%.)
  return `6f1c1f5e-8a2b-4c3d-9e4f-5a6b${position === 'first' ? '00000000' : 'fffffff0'}`;
}

function setup(options: { enabled?: boolean; feed?: string; staging?: 'first' | 'last'; language?: 'vi' | 'en' } = {}) {
  const dir = tempDir('mm-updates-');
  const userData = path.join(dir, 'userData');
  fs.mkdirSync(userData);
  if (options.staging) fs.writeFileSync(path.join(userData, '.updaterId'), stagingId(options.staging));
  const config = path.join(dir, 'app-update.yml');
  fs.writeFileSync(config, `provider: generic\nurl: ${server.url}\nupdaterCacheDirName: mm-assistant-updater\n`);
  // The running AppImage electron-updater replaces (only its path is read here).
  process.env.APPIMAGE = path.join(dir, 'MM-Assistant-1.0.0.AppImage');
  fs.writeFileSync(process.env.APPIMAGE, 'old');
  const adapter = new TestAppAdapter('1.0.0', userData, path.join(dir, 'cache'), config);
  const updater = new RecordingUpdater(null, adapter);
  updater.updateConfigPath = config;
  Object.assign(updater, { httpExecutor: new NodeHttpExecutor(), _testOnlyOptions: { platform: 'linux', isUseDifferentialDownload: false } });
  updater.disableDifferentialDownload = true;

  let settings: UpdateSettings = { updatesEnabled: options.enabled ?? true, updateFeedUrl: options.feed ?? '', language: options.language ?? 'vi' };
  const record = recorder();
  const clock = new ManualClock(Date.parse('2026-12-01T08:00:00Z'));
  const logs = captureLog();
  const controller = new UpdateController({
    kit: { updater, cancellationToken: () => new CancellationToken() },
    currentVersion: '1.0.0',
    buildFeedUrl: server.url,
    settings: () => settings,
    publish: (status) => record.publish(status),
    notify: (notice) => record.notices.push(notice),
    clock,
    logger: logs.child('updates'),
  });
  controllers.push(controller);
  return {
    controller,
    updater,
    adapter,
    record,
    clock,
    logs,
    change(patch: Partial<UpdateSettings>) {
      settings = { ...settings, ...patch };
      controller.settingsChanged();
    },
  };
}

const metadataHits = () => server.hits.get('/latest-linux.yml') ?? 0;
const downloadHits = () => [...server.hits].filter(([name]) => name.endsWith('.AppImage')).reduce((sum, [, count]) => sum + count, 0);

describe('automatic updates (electron-updater on a loopback update server)', () => {
  it('switched off: no check, no download, no install on quit', async () => {
    server.publish('1.1.0');
    const { controller, updater, adapter, clock } = setup({ enabled: false });
    controller.start();
    await controller.check();
    await clock.advance(24 * 60 * 60 * 1000);
    expect(server.hits.size).toBe(0);
    expect(controller.status()).toMatchObject({ state: 'disabled', enabled: false, installOnQuit: false });
    expect(() => controller.setConsent(true)).toThrow(AppError);
    expect(controller.planQuit()).toBe(false);
    expect(controller.installOnQuit(controller.planQuit())).toBe('none');
    expect(updater.autoInstallOnAppQuit).toBe(false);
    expect(adapter.quitHandlers).toEqual([]);
    expect(updater.installs).toEqual([]);
  });

  it('on: checks at start and every few hours, downloads in the background, installs on quit only after consent', async () => {
    server.publish('1.1.0');
    server.hold();
    const { controller, updater, adapter, record, clock } = setup();
    controller.start();
    // The check ends while the installer is still on its way: the download runs in the background.
    await record.until((status) => status.state === 'downloading');
    expect(metadataHits()).toBe(1);
    expect(controller.status()).toMatchObject({ state: 'downloading', availableVersion: '1.1.0', installOnQuit: false });
    server.release();
    const downloaded = await record.until((status) => status.state === 'downloaded');
    expect(downloaded).toMatchObject({ availableVersion: '1.1.0', installOnQuit: false, lastCheckedAt: clock.now() });
    expect(downloadHits()).toBe(1);
    expect(record.notices).toEqual([
      expect.objectContaining({ level: 'info', code: 'update_ready', message: expect.stringContaining('Cập nhật khi thoát') }),
    ]);

    // Downloaded, not agreed: quitting installs nothing, and electron-updater hooked nothing on quit.
    expect(controller.planQuit()).toBe(false);
    expect(updater.autoInstallOnAppQuit).toBe(false);
    expect(adapter.quitHandlers).toEqual([]);
    for (const handler of adapter.quitHandlers) handler(0);
    expect(updater.installs).toEqual([]);

    // "Cập nhật khi thoát", then quit: installed once, silently, not relaunched.
    expect(controller.setConsent(true)).toMatchObject({ installOnQuit: true });
    expect(controller.planQuit()).toBe(true);
    expect(controller.installOnQuit(true)).toBe('installing');
    expect(updater.installs).toEqual([expect.objectContaining({ isSilent: true, isForceRunAfter: false })]);

    // Every four hours another check.
    await clock.advance(4 * 60 * 60 * 1000);
    expect(metadataHits()).toBe(2);
  });

  it('agreement can be withdrawn, and switching updates off withdraws it', async () => {
    server.publish('1.1.0');
    const { controller, updater, record, change } = setup();
    controller.start();
    await record.until((status) => status.state === 'downloaded');
    controller.setConsent(true);
    controller.setConsent(false);
    expect(controller.planQuit()).toBe(false);
    controller.setConsent(true);
    change({ updatesEnabled: false });
    expect(controller.status()).toMatchObject({ state: 'disabled', installOnQuit: false });
    expect(controller.planQuit()).toBe(false);
    expect(controller.installOnQuit(controller.planQuit())).toBe('none');
    expect(updater.installs).toEqual([]);
  });

  it('switching updates off during a download cancels it', async () => {
    server.publish('1.1.0');
    server.hold();
    const { controller, record, change } = setup();
    controller.start();
    await record.until((status) => status.state === 'downloading');
    change({ updatesEnabled: false });
    server.release();
    // A check after switching on again finds the version again; the cancelled download left nothing agreed to.
    expect(controller.status()).toMatchObject({ state: 'disabled', availableVersion: '1.1.0', installOnQuit: false });
    expect(() => controller.setConsent(true)).toThrow('switched off');
    expect(record.notices).toEqual([]);
    change({ updatesEnabled: true });
    await record.until((status) => status.state === 'downloaded');
    expect(controller.setConsent(true)).toMatchObject({ installOnQuit: true });
  });

  it('honours the staged rollout percentage of latest.yml', async () => {
    server.publish('1.1.0', { stagingPercentage: 50 });
    const outside = setup({ staging: 'last' });
    await outside.controller.check();
    expect(outside.controller.status()).toMatchObject({ state: 'up_to_date', availableVersion: null });
    expect(metadataHits()).toBe(1);
    expect(downloadHits()).toBe(0);
    outside.controller.close();

    const inside = setup({ staging: 'first' });
    await inside.controller.check();
    await inside.record.until((status) => status.state === 'downloaded');
    expect(downloadHits()).toBe(1);

    // 100%: everyone; 0%: nobody.
    server.publish('1.1.0', { stagingPercentage: 0 });
    const nobody = setup({ staging: 'first' });
    await nobody.controller.check();
    expect(nobody.controller.status().state).toBe('up_to_date');
    server.publish('1.1.0', { stagingPercentage: 100 });
    const everyone = setup({ staging: 'last' });
    await everyone.controller.check();
    await everyone.record.until((status) => status.state === 'downloaded');
  });

  it('shows errors to the staff (status, notice) and logs them', async () => {
    server.publish('1.1.0');
    server.fail(500);
    const { controller, record, logs } = setup({ language: 'en' });
    await controller.check();
    const failed = await record.until((status) => status.state === 'error');
    expect(failed.error).toEqual(expect.stringContaining('500'));
    expect(record.notices).toEqual([
      expect.objectContaining({ level: 'error', code: 'update_failed', message: expect.stringContaining('The update failed') }),
    ]);
    expect(record.notices).toHaveLength(1);
    expect(logs.lines().some((line) => line.level === LEVEL.error && line.msg === 'update failed')).toBe(true);

    // A download that does not match its checksum is an error too, never "downloaded".
    server.fail(null);
    server.publish('1.2.0', { sha512: crypto.createHash('sha512').update('something else').digest('base64') });
    await controller.check();
    const mismatch = await record.until((status) => status.state === 'error' && status.availableVersion === '1.2.0');
    expect(mismatch.error).toEqual(expect.stringMatching(/sha512|checksum/i));
    expect(() => controller.setConsent(true)).toThrow('No update is downloaded');
  });

  it('uses the update server set in Settings over the one set at build time', async () => {
    server.publish('1.1.0');
    const other = await updateServer();
    try {
      other.publish('1.0.0');
      const { controller, change, record } = setup();
      change({ updateFeedUrl: other.url });
      await record.until((status) => status.state === 'up_to_date');
      expect(other.hits.get('/latest-linux.yml')).toBe(1);
      expect(metadataHits()).toBe(0);
      expect(controller.status()).toMatchObject({ feedUrl: other.url, buildFeedUrl: server.url });
    } finally {
      await other.close();
    }
  });

  it('answers the updates channels with contract checks, before the services', async () => {
    server.publish('1.0.0');
    const { controller } = setup();
    const passed: unknown[] = [];
    const dispatch = withUpdateChannels((channel) => {
      passed.push(channel);
      return Promise.resolve({ ok: true, value: 'services' });
    }, controller);
    expect(await dispatch('updates.status', {}, { transport: 'ipc' })).toMatchObject({ ok: true, value: { state: 'idle', enabled: true } });
    expect(await dispatch('updates.consent', { installOnQuit: 'yes' }, { transport: 'ipc' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    expect(await dispatch('updates.consent', { installOnQuit: true }, { transport: 'ipc' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(await dispatch('app.info', {}, { transport: 'ipc' })).toEqual({ ok: true, value: 'services' });
    expect(passed).toEqual(['app.info']);
  });
});
