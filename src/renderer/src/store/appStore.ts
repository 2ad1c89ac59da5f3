import { create } from 'zustand';
import type { AppInfo, AppNotice, StorageStatus } from '@shared/contract/app';
import type { UsageReport } from '@shared/contract/usage';
import type { Language, SettingsPatch, SettingsView } from '@shared/settings';
import { call } from '../api/client';

export type Pane = 'chat' | 'cart' | 'memory';

interface AppState {
  info: AppInfo | null;
  settings: SettingsView | null;
  language: Language;
  pane: Pane;
  settingsOpen: boolean;
  loadError: string | null;
  /** The latest notice main (or the bridge connection) sent, until dismissed. */
  notice: AppNotice | null;
  setNotice(notice: AppNotice | null): void;
  /** The data file's state changed while the app runs (read-only safe mode). */
  setStorage(storage: StorageStatus): void;
  load(): Promise<void>;
  setPane(pane: Pane): void;
  setSettingsOpen(open: boolean): void;
  saveSettings(patch: SettingsPatch): Promise<SettingsView>;
  setApiKey(apiKey: string | null): Promise<SettingsView>;
  applySettings(settings: SettingsView): void;
  /** Every customer's token use today, as Settings shows it; `unavailable` when it could not be read. */
  todayUsage: UsageReport['today'] | 'unavailable' | null;
  loadTodayUsage(): Promise<void>;
}

export const useAppStore = create<AppState>()((set, get) => ({
  info: null,
  settings: null,
  language: 'vi',
  pane: 'chat',
  settingsOpen: false,
  loadError: null,
  notice: null,
  setNotice: (notice) => set({ notice }),
  setStorage: (storage) => {
    const { info } = get();
    if (info) set({ info: { ...info, storage } });
  },

  async load() {
    try {
      const [info, settings] = await Promise.all([call('app.info', {}), call('settings.get', {})]);
      set({ info, loadError: null });
      get().applySettings(settings);
    } catch (error) {
      set({ loadError: error instanceof Error ? error.message : String(error) });
    }
  },
  setPane: (pane) => set({ pane }),
  setSettingsOpen: (settingsOpen) => set({ settingsOpen }),
  async saveSettings(patch) {
    const settings = await call('settings.set', patch);
    get().applySettings(settings);
    set({ info: await call('app.info', {}) });
    return settings;
  },
  async setApiKey(apiKey) {
    const settings = await call('settings.setApiKey', { apiKey });
    get().applySettings(settings);
    set({ info: await call('app.info', {}) });
    return settings;
  },
  applySettings(settings) {
    document.documentElement.lang = settings.language;
    set({ settings, language: settings.language });
  },
  todayUsage: null,
  async loadTodayUsage() {
    try {
      const report = await call('usage.get', {});
      set({ todayUsage: report.today });
    } catch {
      set({ todayUsage: 'unavailable' });
    }
  },
}));
