import { useEffect } from 'react';
import { useT } from '../i18n';
import { useAppStore, type Pane } from '../store/appStore';
import { useCartStore } from '../store/cartStore';
import { subscribeContractEvents } from '../store/contractEvents';
import { useCustomerStore } from '../store/customerStore';
import { useMemoryStore } from '../store/memoryStore';
import { Banners } from './Banners';
import { CartPane } from './CartPane';
import { ChatPane } from './ChatPane';
import { MemoryPane } from './memory/MemoryPane';
import { SettingsDialog } from './SettingsDialog';

const panes: Pane[] = ['chat', 'cart', 'memory'];

/** Loads the app's info and routes the events main pushes to the stores that own the data. */
function useContractEvents() {
  const load = useAppStore((state) => state.load);
  useEffect(() => {
    void load();
    return subscribeContractEvents();
  }, [load]);
}

export function App() {
  const t = useT();
  const pane = useAppStore((state) => state.pane);
  const info = useAppStore((state) => state.info);
  const setPane = useAppStore((state) => state.setPane);
  const setSettingsOpen = useAppStore((state) => state.setSettingsOpen);
  const customerId = useCustomerStore((state) => state.customerId);
  useContractEvents();

  // The cart and the memory inspector follow the customer being served.
  useEffect(() => {
    void useCartStore.getState().load(customerId);
    if (customerId) void useMemoryStore.getState().setFilters({ userId: customerId, sessionId: '' });
  }, [customerId]);

  return (
    <div className="app">
      <header className="topbar">
        <h1>{t('app.title')}</h1>
        <nav aria-label={t('nav.label')} className="tabs" role="tablist">
          {panes.map((name) => (
            <button
              key={name}
              role="tab"
              id={`tab-${name}`}
              aria-selected={pane === name}
              aria-controls={`pane-${name}`}
              className={pane === name ? 'tab active' : 'tab'}
              onClick={() => setPane(name)}
            >
              {t(`nav.${name}`)}
            </button>
          ))}
        </nav>
        <div className="topbar-end">
          {info && (
            <span className="muted" data-testid="app-mode">
              {t(info.mode === 'bridge' ? 'mode.bridge' : 'mode.desktop')} · {t('info.version')} {info.version} · {t('info.store')} {info.storeCode}
            </span>
          )}
          <button type="button" onClick={() => setSettingsOpen(true)}>
            {t('nav.settings')}
          </button>
        </div>
      </header>
      <Banners />
      <main className="panes">
        <section id="pane-chat" role="tabpanel" aria-labelledby="tab-chat" hidden={pane !== 'chat'} className="pane">
          <ChatPane />
        </section>
        <section id="pane-cart" role="tabpanel" aria-labelledby="tab-cart" hidden={pane !== 'cart'} className="pane">
          <CartPane />
        </section>
        <section id="pane-memory" role="tabpanel" aria-labelledby="tab-memory" hidden={pane !== 'memory'} className="pane">
          {pane === 'memory' && <MemoryPane />}
        </section>
      </main>
      <SettingsDialog />
    </div>
  );
}
