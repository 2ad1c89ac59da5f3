import { z } from 'zod';
import { settingsPatchSchema, type SettingsView } from '../settings';
import { channel, event } from './define';

export type AppMode = 'desktop' | 'bridge';

/**
 * The state of the SQLite file; anything but `ok` is shown to the user as a banner. `damaged`: the
 * file is open but damage was found (at run time or by the daily integrity check), so the app is in
 * read-only safe mode. `corrupt`, `unreadable`, `migration_failed`: the file could not be opened.
 */
export interface StorageStatus {
  state: 'ok' | 'damaged' | 'corrupt' | 'unreadable' | 'migration_failed';
  path: string;
  schemaVersion: number;
  message?: string;
}

export interface AppInfo {
  name: string;
  version: string;
  mode: AppMode;
  modelProvider: 'gemini' | 'offline';
  model: string;
  storeEndpoint: string;
  storeCode: string;
  demoStore: boolean;
  storage: StorageStatus;
}

export interface AppNotice {
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
}

const empty = z.object({}).strict();

export const appChannels = {
  'app.info': channel<AppInfo>()(empty),
  'settings.get': channel<SettingsView>()(empty),
  'settings.set': channel<SettingsView>()(settingsPatchSchema),
  'settings.setApiKey': channel<SettingsView>()(
    z
      .object({
        apiKey: z
          .string()
          .trim()
          .min(20, 'API key looks too short')
          .max(200)
          .regex(/^[A-Za-z0-9_\-.]+$/, 'API key has characters a key never has')
          .nullable(),
      })
      .strict(),
  ),
};

export const appEvents = {
  'settings.changed': event<SettingsView>(),
  'app.notice': event<AppNotice>(),
  /** The data file's state changed while the app runs (it went into read-only safe mode). */
  'app.storageChanged': event<StorageStatus>(),
};
