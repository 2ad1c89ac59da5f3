import { useEffect } from 'react';
import { useT } from '../i18n';
import { useAppStore, type Pane } from '../store/appStore';
import { Banners } from './Banners';
import { EmptyState } from './EmptyState';
import { SettingsDialog } from './SettingsDialog';

const panes: Pane[] = ['chat', 'cart', 'memory'];

export function App() {
  const t = useT();
  const pane = useAppStore((state) => state.pane);
  const info = useAppStore((state) => state.info);
  const setPane = useAppStore((state) => state.setPane);
  const setSettingsOpen = useAppStore((state) => state.setSettingsOpen);
  const load = useAppStore((state) => state.load);
  const applySettings = useAppStore((state) => state.applySettings);

  useEffect(() => {
    void load();
    return window.api.on('settings.changed', applySettings);
  }, [load, applySettings]);

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
              {t(info.mode === 'bridge' ? 'mode.bridge' : 'mode.desktop')} · {t('info.version')} {info.version} · {t('info.store')}{' '}
              {info.storeCode}
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
          <EmptyState title={t('chat.empty.title')} body={t('chat.empty.body')} />
        </section>
        <section id="pane-cart" role="tabpanel" aria-labelledby="tab-cart" hidden={pane !== 'cart'} className="pane">
          <EmptyState title={t('cart.empty.title')} body={t('cart.empty.body')} />
        </section>
        <section id="pane-memory" role="tabpanel" aria-labelledby="tab-memory" hidden={pane !== 'memory'} className="pane">
          <EmptyState title={t('memory.empty.title')} body={t('memory.empty.body')} />
        </section>
      </main>
      <SettingsDialog />
    </div>
  );
}
