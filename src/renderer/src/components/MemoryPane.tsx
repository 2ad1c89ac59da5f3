import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef, useState } from 'react';
import { maintenanceTasks, memoryTiers, type JsonValue, type MemoryEntryView, type MemoryTier, type SessionView } from '../../../shared/contract/memory';
import { call } from '../api/client';
import { formatAge, formatBytes, formatDateTime } from '../format';
import { useT } from '../i18n';
import { useAppStore } from '../store/appStore';
import { useCustomerStore } from '../store/customerStore';
import { useMemoryStore, type MetricsSample } from '../store/memoryStore';

const ROW_HEIGHT = 40;

export function MemoryPane() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const { filters, entries, nextCursor, loading, listError, selected, stats, warnings } = useMemoryStore();
  const { setFilters, loadMore, refreshStats } = useMemoryStore.getState();
  const [query, setQuery] = useState(filters.query);
  const [sessions, setSessions] = useState<SessionView[]>([]);

  // The selected customer's conversations, to narrow the list to one.
  useEffect(() => {
    if (!filters.userId) {
      setSessions([]);
      return;
    }
    let current = true;
    call('sessions.list', { userId: filters.userId }).then(
      (result) => current && setSessions(result.sessions),
      () => current && setSessions([]),
    );
    return () => {
      current = false;
    };
  }, [filters.userId]);

  useEffect(() => {
    void useMemoryStore.getState().reload();
    void refreshStats();
    const timer = setInterval(() => void refreshStats(), 5000);
    return () => clearInterval(timer);
  }, [refreshStats]);

  // Search as the staff types, once they pause.
  useEffect(() => {
    if (query === useMemoryStore.getState().filters.query) return;
    const timer = setTimeout(() => void setFilters({ query }), 250);
    return () => clearTimeout(timer);
  }, [query, setFilters]);

  const known = stats?.customers.map((customer) => customer.userId) ?? [];
  const customers = filters.userId && !known.includes(filters.userId) ? [filters.userId, ...known] : known;

  return (
    <div className="memory-pane">
      <section className="memory-list-column" aria-label={t('memory.filters')}>
        <div className="memory-filters">
          <label>
            <span className="visually-hidden">{t('memory.customer')}</span>
            <select value={filters.userId} onChange={(event) => void setFilters({ userId: event.target.value, sessionId: '' })} aria-label={t('memory.customer')}>
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
            {sessions.map((session) => (
              <option key={session.sessionId} value={session.sessionId}>
                {session.title ?? t('session.untitled', { date: formatDateTime(session.createdAt, language) })}
              </option>
            ))}
          </select>
          <select aria-label={t('memory.tier')} value={filters.tier} onChange={(event) => void setFilters({ tier: event.target.value as MemoryTier | '' })}>
            <option value="">{t('memory.allTiers')}</option>
            {memoryTiers.map((tier) => (
              <option key={tier} value={tier}>
                {t(`tier.${tier}`)}
              </option>
            ))}
          </select>
          <input type="search" aria-label={t('memory.search')} placeholder={t('memory.search')} value={query} maxLength={200} onChange={(event) => setQuery(event.target.value)} />
          <input
            aria-label={t('memory.keyFilter')}
            placeholder={t('memory.keyFilter')}
            value={filters.keyContains}
            maxLength={256}
            onChange={(event) => void setFilters({ keyContains: event.target.value })}
          />
          <select aria-label={t('memory.sizeFilter')} value={filters.minBytes} onChange={(event) => void setFilters({ minBytes: Number(event.target.value) })}>
            {[0, 1024, 10 * 1024, 100 * 1024, 1024 * 1024].map((bytes) => (
              <option key={bytes} value={bytes}>
                {bytes === 0 ? t('memory.anySize') : `≥ ${formatBytes(bytes, language)}`}
              </option>
            ))}
          </select>
          <select aria-label={t('memory.ageFilter')} value={filters.olderThanDays} onChange={(event) => void setFilters({ olderThanDays: Number(event.target.value) })}>
            {[0, 1, 7, 30].map((days) => (
              <option key={days} value={days}>
                {days === 0 ? t('memory.anyAge') : t('memory.olderThan', { days })}
              </option>
            ))}
          </select>
        </div>
        {listError && (
          <div className="field-error" role="alert">
            {listError}
          </div>
        )}
        <EntryList entries={entries} hasMore={nextCursor !== null} loading={loading} onEnd={() => void loadMore()} />
      </section>
      <aside className="memory-side">
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
      </aside>
    </div>
  );
}

function EntryList(props: { entries: MemoryEntryView[]; hasMore: boolean; loading: boolean; onEnd: () => void }) {
  const { entries, hasMore, loading, onEnd } = props;
  const t = useT();
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    useFlushSync: false,
  });
  // Ages are shown to the minute, so rows keep the same props (and skip re-rendering) within one.
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const lastIndex = virtualizer.getVirtualItems().at(-1)?.index ?? -1;

  useEffect(() => {
    if (hasMore && !loading && lastIndex >= entries.length - 20) onEnd();
  }, [lastIndex, entries.length, hasMore, loading, onEnd]);

  if (entries.length === 0) return <p className="muted">{loading ? '…' : t('memory.noEntries')}</p>;
  return (
    <div className="entry-list" ref={scroller} role="list" aria-label={t('nav.memory')} data-testid="entry-list">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((row) => (
          <EntryRow key={row.key} entry={entries[row.index]!} start={row.start} now={now} />
        ))}
      </div>
    </div>
  );
}

/** One row of the list; unchanged rows skip re-rendering while the list scrolls. */
const EntryRow = memo(function EntryRow({ entry, start, now }: { entry: MemoryEntryView; start: number; now: number }) {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const select = useMemoryStore((state) => state.select);
  return (
    <div role="listitem" className="entry-row" style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}>
      <button type="button" className="entry-button" onClick={() => void select(entry)} data-key={entry.key}>
        <span className="entry-key">{entry.key}</span>
        <span className={`tier tier-${entry.tier}`}>{t(`tier.${entry.tier}`)}</span>
        <span className="muted entry-owner">
          {entry.userId}
          {entry.sessionId ? ` / ${entry.sessionId.slice(0, 8)}` : ''}
        </span>
        <span className="muted">{formatBytes(entry.sizeBytes, language)}</span>
        <span className="muted">{formatAge(entry.updatedAt, now, language)}</span>
      </button>
    </div>
  );
});

function EntryDetail() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const { selected, entryError } = useMemoryStore();
  const { save, forget, closeEntry } = useMemoryStore.getState();
  const [draft, setDraft] = useState(() => JSON.stringify(selected?.value ?? null, null, 2));
  const [invalid, setInvalid] = useState(false);
  if (!selected) return null;

  function submit() {
    let value: JsonValue;
    try {
      value = JSON.parse(draft) as JsonValue;
    } catch {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    void save(selected!, value);
  }

  const provenance = selected.provenance.sessionId
    ? t('memory.provenanceValue', { session: selected.provenance.sessionId, turn: selected.provenance.turnId ?? '—' })
    : t('memory.provenanceNone');
  return (
    <section className="entry-detail" aria-labelledby="entry-title" data-testid="entry-detail">
      <div className="row">
        <h2 id="entry-title">{selected.key}</h2>
        <button type="button" onClick={closeEntry} aria-label={t('settings.cancel')}>
          ×
        </button>
      </div>
      <dl className="facts">
        <dt>{t('memory.customer')}</dt>
        <dd>{selected.userId}</dd>
        <dt>{t('memory.session')}</dt>
        <dd>{selected.sessionId ?? '—'}</dd>
        <dt>{t('memory.tier')}</dt>
        <dd data-testid="entry-tier">{t(`tier.${selected.tier}`)}</dd>
        <dt>{t('memory.size')}</dt>
        <dd>
          {formatBytes(selected.sizeBytes, language)}
          {selected.codec !== 'none' ? ` (${formatBytes(selected.storedBytes, language)} ${selected.codec})` : ''}
        </dd>
        <dt>{t('memory.created')}</dt>
        <dd>{formatDateTime(selected.createdAt, language)}</dd>
        <dt>{t('memory.lastRead')}</dt>
        <dd>{formatDateTime(selected.accessedAt, language)}</dd>
        <dt>{t('memory.expires')}</dt>
        <dd>{selected.expiresAt ? formatDateTime(selected.expiresAt, language) : t('memory.never')}</dd>
        <dt>{t('memory.provenance')}</dt>
        <dd data-testid="entry-provenance">{provenance}</dd>
      </dl>
      <label htmlFor="entry-value">{t('memory.value')}</label>
      <textarea id="entry-value" className="json-editor" rows={10} value={draft} spellCheck={false} aria-invalid={invalid} onChange={(event) => setDraft(event.target.value)} />
      {invalid && (
        <div className="field-error" role="alert">
          {t('memory.invalidJson')}
        </div>
      )}
      {entryError && (
        <div className="field-error" role="alert">
          {entryError}
        </div>
      )}
      <div className="row">
        <button type="button" className="primary" onClick={submit}>
          {t('memory.save')}
        </button>
        <button type="button" className="danger" onClick={() => void forget(selected)}>
          {t('memory.forget')}
        </button>
      </div>
    </section>
  );
}

function QuotaBar({ label, used, limit }: { label: string; used: number; limit: number }) {
  const language = useAppStore((state) => state.language);
  const ratio = limit > 0 ? used / limit : 0;
  return (
    <div className="quota" data-testid={`quota-${label}`}>
      <div className="row quota-label">
        <span>{label}</span>
        <span className="muted">
          {formatBytes(used, language)} / {formatBytes(limit, language)}
        </span>
      </div>
      <meter min={0} max={1} low={0.7} high={0.9} optimum={0} value={Math.min(ratio, 1)} aria-label={label} />
    </div>
  );
}

function Sparkline({ samples }: { samples: MetricsSample[] }) {
  if (samples.length < 2) return null;
  const values = samples.map((sample) => sample.hits + sample.misses);
  const min = Math.min(...values);
  const span = Math.max(1, Math.max(...values) - min);
  const points = values.map((value, index) => `${(index / (values.length - 1)) * 200},${40 - ((value - min) / span) * 36 - 2}`).join(' ');
  return (
    <svg className="sparkline" viewBox="0 0 200 40" role="img" aria-label="reads over time">
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}

function Overview() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const { stats, samples, running, report, filters, summaries } = useMemoryStore();
  const runMaintenance = useMemoryStore((state) => state.runMaintenance);
  const [confirmText, setConfirmText] = useState('');
  const [outcome, setOutcome] = useState<string | null>(null);
  const userId = filters.userId;
  if (!stats) return null;
  const customer = stats.customers.find((item) => item.userId === userId);

  async function exportData() {
    const data = await call('memory.export', { userId });
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `mm-assistant-${userId}.json`;
    link.click();
    URL.revokeObjectURL(url);
  }

  async function deleteAll() {
    const counts = await call('memory.deleteCustomer', { userId });
    setOutcome(t('memory.deleteDone', { memories: counts.memories, sessions: counts.sessions, events: counts.events }));
    setConfirmText('');
    useCustomerStore.getState().forgetCustomer(userId);
    await useMemoryStore.getState().setFilters({ userId: '', sessionId: '' });
  }

  return (
    <div className="memory-overview">
      <h2>{t('memory.quotas')}</h2>
      {/* The hot tier is one in-process cache for all sessions; its whole size is what can be shown. */}
      <QuotaBar label={t('tier.hot')} used={stats.tiers.hot.bytes} limit={stats.limits.hotCapBytes} />
      <QuotaBar label={t('tier.warm')} used={customer?.warm.bytes ?? 0} limit={stats.limits.warmUserBytes} />
      <QuotaBar label={t('tier.cold')} used={customer?.cold.bytes ?? 0} limit={stats.limits.coldUserBytes} />
      {!customer && <p className="muted">{t('memory.selectCustomer')}</p>}

      <h2>{t('memory.metrics')}</h2>
      <dl className="facts" data-testid="metrics">
        <dt>{t('memory.hits')}</dt>
        <dd>
          {stats.hits.hot} / {stats.hits.warm} / {stats.hits.cold}
        </dd>
        <dt>{t('memory.misses')}</dt>
        <dd>{stats.misses}</dd>
        <dt>{t('memory.compressions')}</dt>
        <dd>{stats.compressions}</dd>
        <dt>{t('memory.cleanups')}</dt>
        <dd>{stats.cleanups}</dd>
        <dt>{t('memory.summaries')}</dt>
        <dd>{stats.summaries}</dd>
        <dt>{t('memory.processMemory')}</dt>
        <dd>{formatBytes(stats.process.rss, language)}</dd>
      </dl>
      <Sparkline samples={samples} />

      <h2>{t('memory.maintenance')}</h2>
      <div className="row wrap">
        {maintenanceTasks.map((task) => (
          <button key={task} type="button" disabled={running !== null} onClick={() => void runMaintenance(task)}>
            {running === task ? t('memory.running') : t(`memory.run.${task}`)}
          </button>
        ))}
      </div>
      {report && (
        <p className="muted" role="status" data-testid="maintenance-report">
          {t('memory.report', {
            task: t(`task.${report.task}`),
            expired: report.expiredDeleted,
            demoted: report.demoted,
            compressed: report.compressed,
            summarized: report.summarized,
            freed: formatBytes(report.bytesFreed, language),
          })}
        </p>
      )}

      {summaries.length > 0 && (
        <>
          <h2>{t('memory.summaries')}</h2>
          <ul className="summaries" data-testid="summaries">
            {summaries.map((summary) => (
              <li key={`${summary.sessionId}-${summary.createdAt}`}>
                <details>
                  <summary>
                    {formatDateTime(summary.firstTimestamp, language)} – {formatDateTime(summary.lastTimestamp, language)} · {summary.summary}
                  </summary>
                  <pre className="json-view">
                    {JSON.stringify(
                      { summary: summary.summary, key_facts: summary.key_facts, user_preferences: summary.user_preferences, important_events: summary.important_events, timestamp: summary.timestamp },
                      null,
                      2,
                    )}
                  </pre>
                </details>
              </li>
            ))}
          </ul>
        </>
      )}

      {userId && (
        <div className="customer-actions">
          <button type="button" onClick={() => void exportData()}>
            {t('memory.export')}
          </button>
          <label htmlFor="delete-confirm">{t('memory.deleteConfirm', { customer: userId })}</label>
          <div className="row">
            <input id="delete-confirm" value={confirmText} onChange={(event) => setConfirmText(event.target.value)} autoComplete="off" />
            <button type="button" className="danger" disabled={confirmText !== userId} onClick={() => void deleteAll()}>
              {t('memory.deleteCustomer')}
            </button>
          </div>
        </div>
      )}
      {outcome && (
        <p role="status" className="muted">
          {outcome}
        </p>
      )}
    </div>
  );
}
