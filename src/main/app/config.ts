import os from 'node:os';
import path from 'node:path';
import type { AppMode } from '@shared/contract/app';
import type { SettingsPatch } from '@shared/settings';
import type { Db } from '../storage/database';
import type { SecretStore } from '../settings/secretStore';
import type { SyncTimings } from '../sync';
import { makePrivateDir } from '../core/privateFiles';

export const APP_NAME = 'MM Assistant';
export const DB_FILE_NAME = 'mm-assistant.sqlite';

/** Everything the composition root needs; the Electron shell and the bridge each build one. */
export interface AppConfig {
  userDataDir: string;
  mode: AppMode;
  version: string;
  /** Builds the API-key store once the database is open (desktop: safeStorage; bridge: env). */
  createSecretStore: (db: Db | null) => SecretStore;
  /**
   * Builds the store of the sync hub's device token (desktop: safeStorage, like the API key).
   * Without it the token lives in this process only (from `MM_SYNC_TOKEN` in `env`, or enrollment).
   */
  createSyncTokenStore?: (db: Db | null) => SecretStore;
  /** Values that win over the saved settings for this run only (e.g. `--demo`). */
  settingsOverrides?: SettingsPatch;
  /** Environment the services read (GEMINI_BASE_URL, ...); never `process.env` directly inside core. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Sync's timers (tests and benchmarks shorten them); the defaults otherwise. */
  syncTimings?: Partial<SyncTimings>;
  /** Readable log lines on the console besides the file (development); the file is always written. */
  logConsole?: 'pretty' | 'json' | false;
}

/** The log file, in the user-data folder beside the data file. */
export const LOG_FILE_NAME = path.join('logs', 'mm-assistant.log');

/** The folder Electron's `app.getPath('userData')` uses for this app, so bridge and desktop share data. */
export function defaultUserDataDir(platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_NAME);
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_NAME);
}

/**
 * Creates the user-data folder owner-only (0700) and tightens one left wider (an earlier version,
 * a folder made by hand): it is the app's own and holds customers' data. Nothing on Windows, whose
 * per-user folders are already private.
 */
export function preparePrivateDir(dir: string, platform: NodeJS.Platform = process.platform): void {
  const failure = makePrivateDir(dir, platform);
  if (failure) throw failure;
}
