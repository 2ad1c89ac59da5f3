import { useT } from '../../i18n';
import { useMemoryStore, type MemoryView } from '../../store/memoryStore';
import { CustomerProfile } from './CustomerProfile';
import { StorageView } from './StorageView';

const views: MemoryView[] = ['profile', 'storage'];

/**
 * The Memory pane: the customer profile for staff (the main view), and Storage for the store's IT
 * staff (tiers, quotas, metrics, maintenance, export).
 */
export function MemoryPane() {
  const t = useT();
  const view = useMemoryStore((state) => state.view);
  const setView = useMemoryStore((state) => state.setView);
  return (
    <div className="memory-pane">
      <div className="view-switch" role="group" aria-label={t('memory.views')}>
        {views.map((name) => (
          <button key={name} type="button" aria-pressed={view === name} className={view === name ? 'active' : ''} onClick={() => setView(name)}>
            {t(`memory.view.${name}`)}
          </button>
        ))}
      </div>
      {view === 'profile' ? <CustomerProfile /> : <StorageView />}
    </div>
  );
}
