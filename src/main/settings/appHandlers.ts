import type { StorageStatus } from '../../shared/contract/app';
import type { appChannels } from '../../shared/contract/app';
import type { AppConfig } from '../core/config';
import type { HandlersFor } from '../core/dispatch';
import type { SettingsService } from './settingsService';

export function createAppHandlers(deps: {
  config: AppConfig;
  settings: SettingsService;
  storage: StorageStatus;
}): HandlersFor<keyof typeof appChannels> {
  const { config, settings, storage } = deps;
  return {
    'app.info': () => {
      const current = settings.get();
      return {
        name: 'MM Assistant',
        version: config.version,
        mode: config.mode,
        modelProvider: settings.apiKey() ? 'gemini' : 'offline',
        model: current.model,
        storeEndpoint: current.storeEndpoint,
        storeCode: current.storeCode,
        demoStore: current.demoStore,
        storage,
      };
    },
    'settings.get': () => settings.view(),
    'settings.set': (patch) => settings.set(patch),
    'settings.setApiKey': ({ apiKey }) => settings.setApiKey(apiKey),
  };
}
