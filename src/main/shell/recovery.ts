import type { Details, RenderProcessGoneDetails } from 'electron';
import type { Language } from '@shared/settings';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';

/** The part of a `BrowserWindow` recovery needs. */
export interface RecoverableWindow {
  isDestroyed(): boolean;
  loadURL(url: string): Promise<void>;
}

export interface RecoveryOptions {
  window: RecoverableWindow;
  /** The app's page, loaded again after a crash. */
  url: string;
  log: Logger;
  /** The staff's language now; the message is in it. */
  language: () => Language;
  /** Shows a message over the window (a native message box in the app). */
  showMessage: (message: string) => void;
  clock: Clock;
  /** Reloads allowed within `periodMs` before the app stops reloading a window that keeps crashing. */
  maxReloads?: number;
  periodMs?: number;
}

const messages: Record<Language, { reloaded: string; givenUp: string }> = {
  vi: {
    reloaded: 'Cửa sổ Trợ lý MM gặp sự cố và đã được mở lại. Dữ liệu đã lưu vẫn còn; nếu một câu trả lời đang chạy, hãy gửi lại yêu cầu.',
    givenUp: 'Cửa sổ Trợ lý MM liên tục gặp sự cố. Hãy đóng ứng dụng rồi mở lại; nếu vẫn lỗi, báo bộ phận IT.',
  },
  en: {
    reloaded: 'The MM Assistant window had a problem and was reloaded. Saved data is kept; if an answer was running, send the request again.',
    givenUp: 'The MM Assistant window keeps failing. Close the app and open it again; if it still fails, tell IT.',
  },
};

/**
 * A window whose renderer (or GPU process) died is logged and loaded again, with a message; one
 * that keeps dying is not reloaded in a loop: after `maxReloads` in `periodMs` the staff is told
 * to restart the app. Other child processes (network, utility) are logged; Chromium restarts them.
 */
export class CrashRecovery {
  private readonly reloads: number[] = [];
  private quitting = false;
  private readonly maxReloads: number;
  private readonly periodMs: number;

  constructor(private readonly options: RecoveryOptions) {
    this.maxReloads = options.maxReloads ?? 3;
    this.periodMs = options.periodMs ?? 5 * 60_000;
  }

  /** From the quit on, renderers going away are expected. */
  quit(): void {
    this.quitting = true;
  }

  /** `webContents` `render-process-gone`. */
  rendererGone(details: Pick<RenderProcessGoneDetails, 'reason' | 'exitCode'>): void {
    const { reason, exitCode } = details;
    if (this.quitting || reason === 'clean-exit') {
      this.options.log.info({ reason, exitCode }, 'the window renderer ended');
      return;
    }
    this.options.log.error({ reason, exitCode }, 'the window renderer is gone');
    this.recover('renderer');
  }

  /** `app` `child-process-gone`. */
  childGone(details: Pick<Details, 'type' | 'reason' | 'exitCode'> & { serviceName?: string; name?: string }): void {
    const { type, reason, exitCode, serviceName, name } = details;
    const normal = reason === 'clean-exit' || this.quitting;
    this.options.log[normal ? 'info' : 'error']({ type, reason, exitCode, serviceName, name }, 'a child process of the app is gone');
    // A dead GPU process can leave the page blank; Chromium restarts the other services itself.
    if (!normal && type === 'GPU') this.recover('gpu');
  }

  private recover(what: 'renderer' | 'gpu'): void {
    const { window, log } = this.options;
    if (window.isDestroyed()) return;
    const now = this.options.clock.now();
    while (this.reloads.length > 0 && now - this.reloads[0]! > this.periodMs) this.reloads.shift();
    const text = messages[this.language()];
    if (this.reloads.length >= this.maxReloads) {
      log.error({ what, reloads: this.reloads.length, periodMs: this.periodMs }, 'the window keeps failing; it is not reloaded again');
      this.options.showMessage(text.givenUp);
      return;
    }
    this.reloads.push(now);
    log.warn({ what, reloads: this.reloads.length }, 'reloading the window');
    window.loadURL(this.options.url).then(
      () => this.options.showMessage(text.reloaded),
      (error: unknown) => log.error({ err: error }, 'the window could not be reloaded after a crash'),
    );
  }

  private language(): Language {
    try {
      return this.options.language();
    } catch (error) {
      // The services are restarting: the default language.
      this.options.log.debug({ err: error }, 'the language could not be read for a message');
      return 'vi';
    }
  }
}
