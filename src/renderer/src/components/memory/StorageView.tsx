import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { errorText, useT } from '../../i18n';
import { useMemoryStore } from '../../store/memoryStore';
import { EntryDetail } from './EntryDetail';
import { EntryList } from './EntryList';
import { MemoryFilters } from './MemoryFilters';
import { Overview } from './Overview';

/** Storage, for IT staff: filters and the entry list on one side, the selected entry or the overview (quotas, metrics, maintenance) on the other. */
export function StorageView() {
  const t = useT();
  const { entries, nextCursor, loading, listError, selected, warnings } = useMemoryStore(
    useShallow((state) => ({
      entries: state.entries,
      nextCursor: state.nextCursor,
      loading: state.loading,
      listError: state.listError,
      selected: state.selected,
      warnings: state.warnings,
    })),
  );
  const reload = useMemoryStore((state) => state.reload);
  const loadMore = useMemoryStore((state) => state.loadMore);
  const refreshStats = useMemoryStore((state) => state.refreshStats);

  useEffect(() => {
    void reload();
    void refreshStats();
    const timer = setInterval(() => void refreshStats(), 5000);
    return () => clearInterval(timer);
  }, [reload, refreshStats]);

  return (
    <div className="storage-view">
      <h2 className="visually-hidden">{t('memory.view.storage')}</h2>
      <section className="memory-list-column" aria-labelledby="storage-entries">
        <h3 id="storage-entries" className="visually-hidden">
          {t('storage.entries')}
        </h3>
        <MemoryFilters />
        {listError && (
          <div className="field-error" role="alert">
            {errorText(t, listError)}
          </div>
        )}
        <EntryList entries={entries} hasMore={nextCursor !== null} loading={loading} onEnd={() => void loadMore()} />
      </section>
      <div className="memory-side">
        {warnings.length > 0 && (
          <div className="banner banner-warning" role="alert" data-testid="quota-warning">
            {warnings.map((warning) => (
              <div key={`${warning.userId}-${warning.quota}`}>
                {t('memory.quotaWarning', { customer: warning.userId, quota: t(`tier.${warning.quota}`), percent: Math.round(warning.ratio * 100) })}
              </div>
            ))}
          </div>
        )}
        {selected ? <EntryDetail key={`${selected.userId}/${selected.sessionId}/${selected.key}/${selected.updatedAt}`} /> : <Overview />}
      </div>
    </div>
  );
}
