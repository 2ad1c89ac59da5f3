import fs from 'node:fs';
import { z } from 'zod';
import type { AppUpdater, CancellationToken } from 'electron-updater';
import { contract } from '@shared/contract';
import type { AppNotice } from '@shared/contract/app';
import type { UpdateStatus } from '@shared/contract/updates';
import { AppError, toErrorShape } from '@shared/errors';
import { isAllowedModelEndpoint, type Language, type Settings } from '@shared/settings';
import type { Clock } from '../core/clock';
import type { Dispatch } from '../core/dispatch';
import { errorFacts, type Logger } from '../core/logger';

/** What the app uses of electron-updater's `AppUpdater` (its `autoUpdater` in the app; the tests pass the real class on a test adapter). */
export type Updater = Pick<
  AppUpdater,
  'autoDownload' | 'autoInstallOnAppQuit' | 'logger' | 'setFeedURL' | 'checkForUpdates' | 'downloadUpdate' | 'quitAndInstall' | 'on' | 'off'
> & {
  /** `BaseUpdater` (Windows, Linux): runs the installer now, to finish as the app exits. Absent on macOS, where Squirrel.Mac installs. */
  install?(isSilent?: boolean, isForceRunAfter?: boolean): boolean;
};

export interface UpdaterKit {
  updater: Updater;
  /** electron-updater's `CancellationToken`, to stop a download when updates are switched off. */
  cancellationToken: () => CancellationToken;
}

export type UpdateSettings = Pick<Settings, 'updatesEnabled' | 'updateFeedUrl' | 'language'>;

export interface UpdateControllerOptions {
  /** Null when this app cannot update itself (not installed: a development run). */
  kit: UpdaterKit | null;
  currentVersion: string;
  /** The update server set at build time (`app-update.yml`, electron-builder `publish`); '' when unknown. */
  buildFeedUrl: string;
  /** Read at every decision, so the switch is honoured the moment it changes. */
  settings: () => UpdateSettings;
  /** `updates.changed` to the windows. */
  publish: (status: UpdateStatus) => void;
  /** `app.notice` to the windows: an update ready, an update that failed. */
  notify: (notice: AppNotice) => void;
  clock: Clock;
  /** Between two checks; 4 hours by default. */
  intervalMs?: number;
  logger: Logger;
}

/** What quitting does about updates: nothing, an installer started (it finishes as the app exits), or Squirrel.Mac installs and quits the app itself. */
export type QuitInstall = 'none' | 'installing' | 'handed_over';

const notices: Record<Language, { ready: (version: string) => string; failed: (reason: string) => string }> = {
  vi: {
    ready: (version) => `Đã tải bản cập nhật ${version}. Mở Cài đặt › Cập nhật và chọn "Cập nhật khi thoát" để cài khi đóng ứng dụng.`,
    failed: (reason) => `Không cập nhật được: ${reason}`,
  },
  en: {
    ready: (version) => `Update ${version} is downloaded. Open Settings › Updates and choose "Update on quit" to install it when the app closes.`,
    failed: (reason) => `The update failed: ${reason}`,
  },
};

/**
 * The update policy of the desktop app, over electron-updater:
 * - switched off (`updatesEnabled: false`): no check, no download (a running one is cancelled),
 *   no install on quit, whatever was agreed before;
 * - on: a check at start and every few hours, from the Settings server or the one set at build
 *   time; a newer version (inside its staged rollout: electron-updater reads `stagingPercentage`
 *   from latest.yml) downloads in the background;
 * - it is installed when the app quits only after the staff agreed ("Cập nhật khi thoát").
 *   electron-updater never installs on its own (`autoInstallOnAppQuit` stays false): the app's
 *   orderly quit calls `installOnQuit()` once the data file is closed.
 * Failures are logged, shown in Settings and sent as a notice.
 */
export class UpdateController {
  private state: UpdateStatus['state'];
  private availableVersion: string | null = null;
  private downloadedVersion: string | null = null;
  private percent: number | null = null;
  private consent = false;
  private lastCheckedAt: number | null = null;
  private error: string | null = null;
  private appliedFeed: string | null = null;
  private checking: Promise<void> | null = null;
  private download: CancellationToken | null = null;
  private downloadRun: Promise<unknown> | null = null;
  /** A download cancelled by switching off, until it has settled (electron-updater hands it to the next caller otherwise). */
  private draining: Promise<unknown> | null = null;
  private cancelTimer: (() => void) | null = null;
  private lastFailure: unknown = null;
  private readonly intervalMs: number;
  private readonly log: Logger;
  private readonly detach: () => void;
  private wasEnabled: boolean;
  private feedSetting: string;

  constructor(private readonly options: UpdateControllerOptions) {
    this.intervalMs = options.intervalMs ?? 4 * 60 * 60 * 1000;
    this.log = options.logger;
    const settings = options.settings();
    this.wasEnabled = settings.updatesEnabled;
    this.feedSetting = settings.updateFeedUrl;
    this.state = !options.kit ? 'unsupported' : settings.updatesEnabled ? 'idle' : 'disabled';
    const updater = options.kit?.updater;
    if (!updater) {
      this.detach = () => undefined;
      return;
    }
    // The app decides when to download and when to install.
    updater.autoDownload = false;
    updater.autoInstallOnAppQuit = false;
    updater.logger = {
      info: (message?: unknown) => this.log.info({ updater: String(message) }, 'updater'),
      warn: (message?: unknown) => this.log.warn({ updater: String(message) }, 'updater'),
      error: (message?: unknown) => this.log.error({ updater: String(message).split('\n')[0] }, 'updater'),
      debug: (message: string) => this.log.debug({ updater: message }, 'updater'),
    };
    const onError = (error: Error) => this.fail(error);
    const onProgress = (progress: { percent: number }) => {
      if (this.state !== 'downloading') return;
      this.percent = Math.max(0, Math.min(100, Math.round(progress.percent)));
      this.changed();
    };
    updater.on('error', onError);
    updater.on('download-progress', onProgress);
    this.detach = () => {
      updater.off('error', onError);
      updater.off('download-progress', onProgress);
    };
  }

  status(): UpdateStatus {
    const enabled = this.options.settings().updatesEnabled;
    return {
      state: this.state,
      unsupportedReason: this.options.kit ? null : 'not_packaged',
      enabled,
      currentVersion: this.options.currentVersion,
      feedUrl: this.feedUrl(),
      buildFeedUrl: this.options.buildFeedUrl,
      availableVersion: this.availableVersion,
      percent: this.state === 'downloading' ? this.percent : null,
      installOnQuit: this.consent && enabled && this.downloadedVersion !== null,
      lastCheckedAt: this.lastCheckedAt,
      error: this.error,
    };
  }

  /** At start: a first check (in the background) and the periodic ones, when updates are on. */
  start(): void {
    if (!this.options.kit || !this.enabled()) return;
    this.schedule();
    void this.check();
  }

  /** After the settings changed: switched off stops everything; switched on, or another server, checks now. */
  settingsChanged(): void {
    if (!this.options.kit) return;
    const { updatesEnabled, updateFeedUrl } = this.options.settings();
    const switched = updatesEnabled !== this.wasEnabled;
    const otherFeed = updateFeedUrl !== this.feedSetting;
    this.wasEnabled = updatesEnabled;
    this.feedSetting = updateFeedUrl;
    if (!updatesEnabled) {
      if (switched) this.switchOff();
      return;
    }
    if (switched || otherFeed) {
      this.log.info({ feed: originOf(this.feedUrl()) }, switched ? 'updates switched on' : 'update server changed');
      if (switched) this.state = 'idle';
      this.error = null;
      this.schedule();
      this.changed();
      // After a check still running (it may have asked the old server): this one asks the new settings.
      void (this.checking ?? Promise.resolve()).then(() => this.check());
    }
  }

  /** A check now (Settings' button), in the background; resolves when it (and not the download) ended. */
  check(): Promise<void> {
    const kit = this.options.kit;
    if (!kit || !this.enabled()) return Promise.resolve();
    // A download running, or a check: nothing more to ask the server now.
    if (this.state === 'downloading') return Promise.resolve();
    this.checking ??= this.runCheck(kit.updater).finally(() => (this.checking = null));
    return this.checking;
  }

  /** "Cập nhật khi thoát": install the downloaded update when the app quits (or not). */
  setConsent(installOnQuit: boolean): UpdateStatus {
    if (!this.options.kit) throw new AppError('conflict', 'This app was not installed, so it does not update itself.');
    if (installOnQuit) {
      if (!this.enabled()) throw new AppError('conflict', 'Updates are switched off in Settings.');
      if (this.downloadedVersion === null) throw new AppError('conflict', 'No update is downloaded yet.');
    }
    this.consent = installOnQuit;
    this.log.info(
      { version: this.downloadedVersion, installOnQuit },
      installOnQuit ? 'staff agreed to install the update on quit' : 'install on quit withdrawn',
    );
    this.changed();
    return this.status();
  }

  /**
   * What quitting will do, decided (and logged) while the log is still open: an install only when
   * updates are on, one is downloaded and the staff agreed.
   */
  planQuit(): boolean {
    const go = this.options.kit !== null && this.enabled() && this.consent && this.downloadedVersion !== null;
    if (go) this.log.info({ version: this.downloadedVersion }, 'the downloaded update is installed as the app quits');
    return go;
  }

  /** After the services closed (the data file is closed): starts the install `planQuit` agreed to. Never throws. */
  installOnQuit(planned: boolean): QuitInstall {
    const updater = this.options.kit?.updater;
    if (!updater || !planned) return 'none';
    try {
      if (updater.install) return updater.install(true, false) ? 'installing' : 'none';
      // macOS: Squirrel.Mac fetches the update from electron-updater, installs it and quits the app.
      updater.quitAndInstall(true, false);
      return 'handed_over';
    } catch (error) {
      // The log is closed by now.
      console.error(`MM Assistant: the update could not be installed: ${error instanceof Error ? error.message : String(error)}`);
      return 'none';
    }
  }

  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.detach();
  }

  private async runCheck(updater: Updater): Promise<void> {
    if (this.draining) {
      await this.draining;
      this.draining = null;
    }
    const feed = this.feedUrl();
    if (feed === '' || !isAllowedModelEndpoint(feed)) {
      this.fail(new Error(feed === '' ? 'No update server is set (Settings › Updates).' : 'The update server must be an https URL.'));
      return;
    }
    if (feed !== this.appliedFeed) {
      updater.setFeedURL({ provider: 'generic', url: feed });
      this.appliedFeed = feed;
    }
    this.state = 'checking';
    this.error = null;
    this.changed();
    try {
      const result = await updater.checkForUpdates();
      this.lastCheckedAt = this.options.clock.now();
      // Switched off while the server answered: nothing found is acted on.
      if (!this.enabled()) return;
      if (!result) {
        // electron-updater does not run here (not an installed app); said once, in the log.
        this.state = this.downloadedVersion ? 'downloaded' : 'idle';
        this.changed();
        return;
      }
      const version = result.updateInfo.version;
      if (!result.isUpdateAvailable) {
        this.log.info({ latest: version }, 'no update for this computer (up to date, or outside the staged rollout)');
        this.state = this.downloadedVersion ? 'downloaded' : 'up_to_date';
        this.changed();
        return;
      }
      if (version === this.downloadedVersion) {
        this.state = 'downloaded';
        this.changed();
        return;
      }
      this.startDownload(updater, version);
    } catch (error) {
      this.fail(error);
    }
  }

  private startDownload(updater: Updater, version: string): void {
    const token = this.options.kit!.cancellationToken();
    this.download = token;
    // A newer version replaces the one downloaded before: agreement is asked again for it.
    this.downloadedVersion = null;
    this.consent = false;
    this.availableVersion = version;
    this.percent = 0;
    this.state = 'downloading';
    this.log.info({ version }, 'downloading an update in the background');
    this.changed();
    this.downloadRun = updater.downloadUpdate(token);
    this.downloadRun.then(
      () => {
        if (this.download !== token) return;
        this.download = null;
        if (!this.enabled()) return;
        this.downloadedVersion = version;
        this.state = 'downloaded';
        this.log.info({ version }, 'update downloaded; installed on quit once the staff agrees');
        this.changed();
        this.options.notify({ level: 'info', code: 'update_ready', message: notices[this.language()].ready(version) });
      },
      (error: unknown) => {
        // Cancelled because updates were switched off: not a failure.
        if (this.download !== token) return;
        this.download = null;
        this.fail(error);
      },
    );
  }

  private switchOff(): void {
    this.log.info('updates switched off: no check, download or install on quit');
    this.cancelTimer?.();
    this.cancelTimer = null;
    const running = this.download;
    this.download = null;
    if (running) {
      running.cancel();
      // Its rejection (cancelled) is expected and was handled in startDownload.
      this.draining = this.downloadRun?.catch(() => undefined) ?? null;
    }
    this.consent = false;
    this.percent = null;
    this.state = 'disabled';
    if (this.options.kit) this.options.kit.updater.autoInstallOnAppQuit = false;
    this.changed();
  }

  private schedule(): void {
    this.cancelTimer?.();
    const next = () => {
      this.cancelTimer = this.options.clock.schedule(() => {
        next();
        void this.check();
      }, this.intervalMs);
    };
    next();
  }

  private fail(error: unknown): void {
    // electron-updater both emits `error` and rejects with the same error: reported once.
    if (error === this.lastFailure) return;
    this.lastFailure = error;
    if (!this.enabled() && this.state === 'disabled') return;
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
    this.state = 'error';
    this.error = reason;
    this.percent = null;
    this.log.error({ ...errorFacts(error), reason }, 'update failed');
    this.changed();
    this.options.notify({ level: 'error', code: 'update_failed', message: notices[this.language()].failed(reason) });
  }

  private changed(): void {
    this.options.publish(this.status());
  }

  private enabled(): boolean {
    return this.options.settings().updatesEnabled;
  }

  private language(): Language {
    return this.options.settings().language;
  }

  private feedUrl(): string {
    return this.options.settings().updateFeedUrl || this.options.buildFeedUrl;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** The update server electron-builder wrote into the installed app (`resources/app-update.yml`, from `publish`); '' when there is none. */
export function readBuildFeedUrl(file: string, log?: Logger): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const url = /^url:\s*['"]?([^'"\s]+)['"]?\s*$/m.exec(text)?.[1] ?? '';
    return isAllowedModelEndpoint(url) ? url : '';
  } catch (error) {
    // Not an installed app, or built without `publish`: only the Settings server can be used.
    log?.info({ ...errorFacts(error) }, 'no update server was set at build time');
    return '';
  }
}

const updateChannelNames = ['updates.status', 'updates.check', 'updates.consent'] as const;
type UpdateChannel = (typeof updateChannelNames)[number];

/**
 * The desktop app answers the `updates.*` channels itself (electron-updater lives in the shell);
 * every other channel goes to the services. The request is checked against the contract first.
 */
export function withUpdateChannels(dispatch: Dispatch, controller: UpdateController): Dispatch {
  const handlers: Record<UpdateChannel, (request: unknown) => UpdateStatus> = {
    'updates.status': () => controller.status(),
    'updates.check': () => {
      void controller.check();
      return controller.status();
    },
    'updates.consent': (request) => controller.setConsent((request as { installOnQuit: boolean }).installOnQuit),
  };
  return async (channel, request, context) => {
    if (!(updateChannelNames as readonly unknown[]).includes(channel)) return dispatch(channel, request, context);
    const name = channel as UpdateChannel;
    const schema: z.ZodType = contract[name].request;
    const parsed = schema.safeParse(request ?? {});
    if (!parsed.success) {
      return { ok: false, error: { code: 'invalid_request', message: `Invalid request for ${name}: ${z.prettifyError(parsed.error)}` } };
    }
    try {
      return { ok: true, value: handlers[name](parsed.data) };
    } catch (error) {
      return { ok: false, error: toErrorShape(error) };
    }
  };
}
