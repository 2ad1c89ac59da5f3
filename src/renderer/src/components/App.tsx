import { useEffect, useRef, useSyncExternalStore, type KeyboardEvent } from 'react';
import { useT } from '../i18n';
import { panes, useAppStore, type Pane } from '../store/appStore';
import { useCartStore } from '../store/cartStore';
import { subscribeContractEvents } from '../store/contractEvents';
import { useCustomerStore } from '../store/customerStore';
import { useMemoryStore } from '../store/memoryStore';
import { useProfileStore } from '../store/profileStore';
import { Banners } from './Banners';
import { CartPane } from './CartPane';
import { ChatPane } from './ChatPane';
import { HelpDialog } from './HelpDialog';
import { MemoryPane } from './memory/MemoryPane';
import { SettingsDialog } from './SettingsDialog';

/** From this width, chat and cart are shown side by side. */
const SPLIT_QUERY = '(min-width: 1280px)';

/** Loads the app's info and routes the events main pushes to the stores that own the data. */
function useContractEvents() {
  const load = useAppStore((state) => state.load);
  useEffect(() => {
    void load();
    return subscribeContractEvents();
  }, [load]);
}

function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (notify) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', notify);
      return () => list.removeEventListener('change', notify);
    },
    () => window.matchMedia(query).matches,
  );
}

/** Typing in a field: single-key shortcuts ("?") are text there. */
function typingIn(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/**
 * Shows a pane and puts the focus where work starts there: the chat box (the customer field while
 * no customer is open), the cart's heading (Tab then reaches its first line), the memory views.
 */
function showPane(pane: Pane, field: 'chat-input' | 'customer-input' = 'chat-input') {
  useAppStore.getState().setPane(pane);
  // The pane shows on the next frame.
  requestAnimationFrame(() => {
    const target =
      pane === 'chat'
        ? (document.getElementById(field) ?? document.getElementById('customer-input'))
        : document.querySelector<HTMLElement>(pane === 'cart' ? '#pane-cart h2' : '#pane-memory .view-switch button[aria-pressed="true"]');
    target?.focus();
    // What the customer field holds is replaced by what staff type next.
    if (target instanceof HTMLInputElement) target.select();
  });
}

/**
 * The keyboard shortcuts, listed in the help dialog: Alt+C the chat box, Alt+K the customer field,
 * Alt+1…3 the panes, F1 or ? the help. Esc stops an answer (ChatPane).
 */
function useShortcuts() {
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const app = useAppStore.getState();
      if (event.key === 'F1' || (event.key === '?' && !event.ctrlKey && !event.altKey && !typingIn(event.target))) {
        event.preventDefault();
        app.setHelpOpen(true);
        return;
      }
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const pane = /^Digit([1-3])$/.exec(event.code);
      if (event.code === 'KeyC') showPane('chat', 'chat-input');
      else if (event.code === 'KeyK') showPane('chat', 'customer-input');
      else if (pane) showPane(panes[Number(pane[1]) - 1]!);
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

export function App() {
  const t = useT();
  const pane = useAppStore((state) => state.pane);
  const info = useAppStore((state) => state.info);
  const setPane = useAppStore((state) => state.setPane);
  const setSettingsOpen = useAppStore((state) => state.setSettingsOpen);
  const setHelpOpen = useAppStore((state) => state.setHelpOpen);
  const customerId = useCustomerStore((state) => state.customerId);
  const split = useMediaQuery(SPLIT_QUERY);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  useContractEvents();
  useShortcuts();

  // The cart and the memory inspector follow the customer being served.
  useEffect(() => {
    void useCartStore.getState().load(customerId);
    if (customerId) void useMemoryStore.getState().setFilters({ userId: customerId, sessionId: '' });
  }, [customerId]);

  // A forget waiting for its undo time is done before the page goes.
  useEffect(() => {
    const flush = () => void useProfileStore.getState().flushForget();
    window.addEventListener('pagehide', flush);
    return () => window.removeEventListener('pagehide', flush);
  }, []);

  /** Arrow keys, Home and End move between the tabs (and show their pane); Tab leaves the tab list. */
  function onTabKey(event: KeyboardEvent<HTMLButtonElement>, index: number) {
    const next =
      event.key === 'ArrowRight'
        ? (index + 1) % panes.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + panes.length) % panes.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? panes.length - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    setPane(panes[next]!);
    tabs.current[next]?.focus();
  }

  // Chat and cart side by side on a wide screen; the chat pane is never unmounted or taken out of
  // layout, so its scroll position, drafts and cards stay as staff left them.
  const shown = (name: Pane) => pane === name || (split && pane !== 'memory' && (name === 'chat' || name === 'cart'));
  const paneClass = (name: Pane) => `pane pane-${name}${shown(name) ? '' : ' pane-away'}`;

  return (
    <div className="app">
      <header className="topbar">
        <h1>{t('app.title')}</h1>
        <div aria-label={t('nav.label')} className="tabs" role="tablist">
          {panes.map((name, index) => (
            <button
              key={name}
              ref={(element) => {
                tabs.current[index] = element;
              }}
              type="button"
              role="tab"
              id={`tab-${name}`}
              aria-selected={pane === name}
              aria-controls={`pane-${name}`}
              aria-keyshortcuts={`Alt+${index + 1}`}
              tabIndex={pane === name ? 0 : -1}
              className={pane === name ? 'tab active' : 'tab'}
              onClick={() => setPane(name)}
              onKeyDown={(event) => onTabKey(event, index)}
            >
              {t(`nav.${name}`)}
            </button>
          ))}
        </div>
        <div className="topbar-end">
          {info && (
            <span className="muted app-mode" data-testid="app-mode">
              {/* In a narrow window only the store is named; the mode and version show from 1280 px. */}
              <span className="app-mode-long">
                {t(info.mode === 'bridge' ? 'mode.bridge' : 'mode.desktop')} · {t('info.version')} {info.version} ·{' '}
              </span>
              {t('info.store')} {info.storeCode}
            </span>
          )}
          <button type="button" onClick={() => setHelpOpen(true)} aria-keyshortcuts="F1" title={t('help.open')}>
            {t('help.button')}
          </button>
          <button type="button" onClick={() => setSettingsOpen(true)}>
            {t('nav.settings')}
          </button>
        </div>
      </header>
      <Banners />
      <main className={`panes${split && pane !== 'memory' ? ' panes-split' : ''}`}>
        <section id="pane-chat" role="tabpanel" aria-labelledby="tab-chat" className={paneClass('chat')}>
          <ChatPane />
        </section>
        <section id="pane-cart" role="tabpanel" aria-labelledby="tab-cart" hidden={!shown('cart')} className={paneClass('cart')}>
          <CartPane />
        </section>
        <section id="pane-memory" role="tabpanel" aria-labelledby="tab-memory" hidden={!shown('memory')} className={paneClass('memory')}>
          {pane === 'memory' && <MemoryPane />}
        </section>
      </main>
      <SettingsDialog />
      <HelpDialog />
    </div>
  );
}
