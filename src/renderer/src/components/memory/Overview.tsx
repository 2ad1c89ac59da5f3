import { useShallow } from 'zustand/react/shallow';
import { maintenanceTasks } from '@shared/contract/memory';
import { formatBytes, formatDateTime } from '../../format';
import { useT } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useMemoryStore } from '../../store/memoryStore';
import { CustomerActions } from './CustomerActions';
import { QuotaBar } from './QuotaBar';
import { Sparkline } from './Sparkline';

/** With no entry selected: quotas, metrics, maintenance on demand, summaries, and the customer's data actions. */
export function Overview() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const { stats, samples, running, report, userId, summaries } = useMemoryStore(
    useShallow((state) => ({
      stats: state.stats,
      samples: state.samples,
      running: state.running,
      report: state.report,
      userId: state.filters.userId,
      summaries: state.summaries,
    })),
  );
  const runMaintenance = useMemoryStore((state) => state.runMaintenance);
  if (!stats) return null;
  const customer = stats.customers.find((item) => item.userId === userId);

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
                      {
                        summary: summary.summary,
                        key_facts: summary.key_facts,
                        user_preferences: summary.user_preferences,
                        important_events: summary.important_events,
                        timestamp: summary.timestamp,
                      },
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

      <CustomerActions userId={userId} />
    </div>
  );
}
