import type { AppMode, StorageStatus, appChannels } from '@shared/contract/app';
import type { HandlersFor } from '../core/dispatch';
import type { SettingsService } from './settingsService';

export function createAppHandlers(deps: {
  /** What the app reports about itself. */
  app: { version: string; mode: AppMode };
  settings: SettingsService;
  /** The data file's state now (read at each call: it can turn read-only while the app runs). */
  storage: () => StorageStatus;
}): HandlersFor<keyof typeof appChannels> {
  const { app, settings, storage } = deps;
  return {
    'app.info': () => {
      const current = settings.get();
      return {
        name: 'MM Assistant',
        version: app.version,
        mode: app.mode,
        modelProvider: settings.apiKey() ? 'gemini' : 'offline',
        model: current.model,
        storeEndpoint: current.storeEndpoint,
        storeCode: current.storeCode,
        demoStore: current.demoStore,
        storage: storage(),
      };
    },
    'settings.get': () => settings.view(),
    'settings.set': (patch) => settings.set(patch),
    'settings.setApiKey': ({ apiKey }) => settings.setApiKey(apiKey),
  };
}
