import { useEffect, useState } from 'react';
import { memoryTiers, type MemoryTier } from '@shared/contract/memory';
import { formatBytes, formatDateTime } from '../../format';
import { useT } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useMemoryStore } from '../../store/memoryStore';

/** Customer, conversation, tier, text, key, size and age filters of the entry list. */
export function MemoryFilters() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const filters = useMemoryStore((state) => state.filters);
  const sessions = useMemoryStore((state) => state.sessions);
  const stats = useMemoryStore((state) => state.stats);
  const setFilters = useMemoryStore((state) => state.setFilters);
  const loadSessions = useMemoryStore((state) => state.loadSessions);
  const [query, setQuery] = useState(filters.query);

  // The selected customer's conversations, to narrow the list to one.
  useEffect(() => {
    void loadSessions();
  }, [filters.userId, loadSessions]);

  // Search as the staff types, once they pause.
  useEffect(() => {
    if (query === useMemoryStore.getState().filters.query) return;
    const timer = setTimeout(() => void setFilters({ query }), 250);
    return () => clearTimeout(timer);
  }, [query, setFilters]);

  const known = stats?.customers.map((customer) => customer.userId) ?? [];
  const customers = filters.userId && !known.includes(filters.userId) ? [filters.userId, ...known] : known;

  return (
    <div className="memory-filters">
      <label>
        <span className="visually-hidden">{t('memory.customer')}</span>
        <select
          value={filters.userId}
          onChange={(event) => void setFilters({ userId: event.target.value, sessionId: '' })}
          aria-label={t('memory.customer')}
        >
          <option value="">{t('memory.allCustomers')}</option>
          {customers.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </label>
      <select
        aria-label={t('memory.session')}
        value={filters.sessionId}
        disabled={!filters.userId}
        onChange={(event) => void setFilters({ sessionId: event.target.value })}
      >
        <option value="">{t('memory.allSessions')}</option>
        {(filters.userId ? sessions : []).map((session) => (
          <option key={session.sessionId} value={session.sessionId}>
            {session.title ?? t('session.untitled', { date: formatDateTime(session.createdAt, language) })}
          </option>
        ))}
      </select>
      <select
        aria-label={t('memory.tier')}
        value={filters.tier}
        onChange={(event) => void setFilters({ tier: event.target.value as MemoryTier | '' })}
      >
        <option value="">{t('memory.allTiers')}</option>
        {memoryTiers.map((tier) => (
          <option key={tier} value={tier}>
            {t(`tier.${tier}`)}
          </option>
        ))}
      </select>
      <input
        type="search"
        aria-label={t('memory.search')}
        placeholder={t('memory.search')}
        value={query}
        maxLength={200}
        onChange={(event) => setQuery(event.target.value)}
      />
      <input
        aria-label={t('memory.keyFilter')}
        placeholder={t('memory.keyFilter')}
        value={filters.keyContains}
        maxLength={256}
        onChange={(event) => void setFilters({ keyContains: event.target.value })}
      />
      <select
        aria-label={t('memory.sizeFilter')}
        value={filters.minBytes}
        onChange={(event) => void setFilters({ minBytes: Number(event.target.value) })}
      >
        {[0, 1024, 10 * 1024, 100 * 1024, 1024 * 1024].map((bytes) => (
          <option key={bytes} value={bytes}>
            {bytes === 0 ? t('memory.anySize') : `≥ ${formatBytes(bytes, language)}`}
          </option>
        ))}
      </select>
      <select
        aria-label={t('memory.ageFilter')}
        value={filters.olderThanDays}
        onChange={(event) => void setFilters({ olderThanDays: Number(event.target.value) })}
      >
        {[0, 1, 7, 30].map((days) => (
          <option key={days} value={days}>
            {days === 0 ? t('memory.anyAge') : t('memory.olderThan', { days })}
          </option>
        ))}
      </select>
    </div>
  );
}
