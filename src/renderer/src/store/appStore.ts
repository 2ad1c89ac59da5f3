import { create } from 'zustand';
import type { AppInfo, AppNotice, StorageStatus } from '@shared/contract/app';
import type { UsageReport } from '@shared/contract/usage';
import type { Language, SettingsPatch, SettingsView } from '@shared/settings';
import { ApiError, call } from '../api/client';
import { useCartStore } from './cartStore';
import { useChatStore } from './chatStore';
import { useCustomerStore } from './customerStore';

export type Pane = 'chat' | 'cart' | 'memory';
export const panes: readonly Pane[] = ['chat', 'cart', 'memory'];

/** Banners staff may close; each comes back when its condition ends and starts again. */
export type BannerId = 'offline' | 'demo';

/** Endpoint, store code and demo flag: a change of any of them means another store (and another cart). */
const storeKeyOf = (settings: SettingsView) => `${settings.demoStore ? 'demo' : settings.storeEndpoint}|${settings.storeCode}`;

function bannerConditions(info: AppInfo): Record<BannerId, boolean> {
  return { offline: info.modelProvider === 'offline', demo: info.demoStore };
}

interface AppState {
  info: AppInfo | null;
  settings: SettingsView | null;
  language: Language;
  pane: Pane;
  settingsOpen: boolean;
  /** Why the app's info could not be read (an error code, shown in the staff's language). */
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
  /** The keyboard help (F1 or ?). */
  helpOpen: boolean;
  setHelpOpen(open: boolean): void;
  dismissed: Partial<Record<BannerId, true>>;
  dismissBanner(id: BannerId): void;
  /** The bridge's event stream is back (events may have been missed meanwhile): the cart, the open conversation and its list are read again. */
  reconnected(): void;
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
  helpOpen: false,
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  dismissed: {},
  dismissBanner: (id) => set({ dismissed: { ...get().dismissed, [id]: true } }),

  async load() {
    try {
      const [info, settings] = await Promise.all([call('app.info', {}), call('settings.get', {})]);
      setInfo(info);
      set({ loadError: null });
      get().applySettings(settings);
    } catch (error) {
      set({ loadError: error instanceof ApiError ? error.code : 'internal' });
    }
  },
  reconnected() {
    void useCartStore.getState().resync('reconnected');
    // A run may have ended, and messages been stored, while the events did not come: the open conversation is read again.
    void useChatStore.getState().resync();
    void useCustomerStore.getState().refreshSessions();
    void call('app.info', {}).then(setInfo, () => undefined);
    void call('settings.get', {}).then(
      (settings) => get().applySettings(settings),
      () => undefined,
    );
  },
  setPane: (pane) => set({ pane }),
  setSettingsOpen: (settingsOpen) => set({ settingsOpen }),
  async saveSettings(patch) {
    const settings = await call('settings.set', patch);
    get().applySettings(settings);
    setInfo(await call('app.info', {}));
    return settings;
  },
  async setApiKey(apiKey) {
    const settings = await call('settings.setApiKey', { apiKey });
    get().applySettings(settings);
    setInfo(await call('app.info', {}));
    return settings;
  },
  applySettings(settings) {
    const previous = get().settings;
    // The same settings again (the save's answer and main's event both carry them): nothing to redo.
    if (previous && JSON.stringify(previous) === JSON.stringify(settings)) return;
    document.documentElement.lang = settings.language;
    set({ settings, language: settings.language });
    // Another store: the cart on screen was the old store's. Main announces the change once the new store is in use.
    if (previous && storeKeyOf(previous) !== storeKeyOf(settings)) {
      void useCartStore.getState().resync('store_changed');
      void call('app.info', {}).then(setInfo, () => undefined);
    }
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

/** New info; a closed banner whose condition has ended is shown again the next time it starts. */
function setInfo(info: AppInfo): void {
  const conditions = bannerConditions(info);
  const dismissed = { ...useAppStore.getState().dismissed };
  for (const id of Object.keys(dismissed) as BannerId[]) if (!conditions[id]) delete dismissed[id];
  useAppStore.setState({ info, dismissed });
}
