import { useShallow } from 'zustand/react/shallow';
import { maintenanceTasks, type MaintenanceReport } from '@shared/contract/memory';
import { formatBytes, formatCount, formatDateTime } from '../../format';
import { useT, type Translate } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useMemoryStore, type MetricsSample } from '../../store/memoryStore';
import { CustomerActions } from './CustomerActions';
import { LineChart } from './LineChart';
import { QuotaBar } from './QuotaBar';
import { Term } from './Term';

const MB = 1024 * 1024;
/** How often Storage reads the figures (StorageView's timer). */
const SAMPLE_SECONDS = 5;

/** Reads per sample interval (the counters only grow; a restart of main starts them again). */
function perInterval(samples: MetricsSample[], pick: (sample: MetricsSample) => number): number[] {
  return samples.slice(1).map((sample, index) => Math.max(0, pick(sample) - pick(samples[index]!)));
}

/**
 * The report in words. A summarization that summarized nothing says why: the conversations it left
 * had a message in the last `days` days (a long conversation from today is not summarized), or were open.
 */
function reportText(t: Translate, report: MaintenanceReport, freed: string, days: number): string {
  if (report.task === 'summarize' && report.summarized === 0) {
    const kept = [
      ...(report.recent > 0 ? [t('memory.report.recent', { count: report.recent, days })] : []),
      ...(report.skipped > 0 ? [t('memory.report.open', { count: report.skipped })] : []),
    ];
    return kept.length > 0 ? t('memory.report.summarizeKept', { kept: kept.join('; '), days }) : t('memory.report.summarizeNone');
  }
  return t('memory.report', {
    task: t(`task.${report.task}`),
    expired: report.expiredDeleted,
    demoted: report.demoted,
    compressed: report.compressed,
    summarized: report.summarized,
    freed,
  });
}

/** With no entry selected: quotas, metrics with charts, maintenance on demand, summaries, and the customer's data actions. */
export function Overview() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const settingsHot = useAppStore((state) => state.settings?.quotas.hotSessionBytes ?? null);
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
  const mb = (bytes: number) => formatBytes(bytes, language);
  const hits = perInterval(samples, (sample) => sample.hits);
  const misses = perInterval(samples, (sample) => sample.misses);
  const rss = samples.map((sample) => sample.rss / MB);
  const minutes = Math.max(1, Math.round(((samples.length - 1) * SAMPLE_SECONDS) / 60));

  return (
    <div className="memory-overview">
      <h3>{t('memory.quotas')}</h3>
      {/* The fast cache is one in-process cache for all conversations: twice the per-conversation limit it started with. */}
      <QuotaBar
        id="hot"
        label={t('quota.hot')}
        explain={t('term.hot', { perSession: mb(stats.limits.hotSessionBytes), cap: mb(stats.limits.hotCapBytes) })}
        used={stats.tiers.hot.bytes}
        limit={stats.limits.hotCapBytes}
      />
      <p className="muted" data-testid="hot-quota-note">
        {t('quota.hotNote', { perSession: mb(stats.limits.hotSessionBytes), cap: mb(stats.limits.hotCapBytes) })}
        {settingsHot !== null && settingsHot !== stats.limits.hotSessionBytes && ` ${t('quota.hotAfterRestart', { perSession: mb(settingsHot) })}`}
      </p>
      {userId ? (
        <>
          <QuotaBar id="warm" label={t('quota.warm')} explain={t('term.warm')} used={customer?.warm.bytes ?? 0} limit={stats.limits.warmUserBytes} />
          <QuotaBar id="cold" label={t('quota.cold')} explain={t('term.cold')} used={customer?.cold.bytes ?? 0} limit={stats.limits.coldUserBytes} />
        </>
      ) : (
        <p className="muted">{t('quota.pickCustomer')}</p>
      )}

      <h3>{t('memory.metrics')}</h3>
      <dl className="facts" data-testid="metrics">
        <dt>
          <Term label={t('metric.hits')} explain={t('term.hits')} />
        </dt>
        <dd>{t('metric.hitsValue', { hot: stats.hits.hot, warm: stats.hits.warm, cold: stats.hits.cold })}</dd>
        <dt>
          <Term label={t('metric.misses')} explain={t('term.misses')} />
        </dt>
        <dd>{formatCount(stats.misses, language)}</dd>
        <dt>
          <Term label={t('metric.compressions')} explain={t('term.compressions')} />
        </dt>
        <dd>{formatCount(stats.compressions, language)}</dd>
        <dt>
          <Term label={t('metric.cleanups')} explain={t('term.cleanups')} />
        </dt>
        <dd>{formatCount(stats.cleanups, language)}</dd>
        <dt>
          <Term label={t('metric.summaries')} explain={t('term.summaries')} />
        </dt>
        <dd>{formatCount(stats.summaries, language)}</dd>
        <dt>
          <Term label={t('metric.process')} explain={t('term.process')} />
        </dt>
        <dd>{mb(stats.process.rss)}</dd>
      </dl>
      {samples.length > 2 && (
        <div className="charts">
          <LineChart
            testId="chart-reads"
            title={t('chart.reads.title', { seconds: SAMPLE_SECONDS })}
            summary={t('chart.reads.summary', { hits: hits.at(-1) ?? 0, misses: misses.at(-1) ?? 0 })}
            yLabel={t('chart.reads.y')}
            xLabel={t('chart.x')}
            xEnds={[t('chart.minutesAgo', { minutes }), t('chart.now')]}
            series={[
              { name: t('chart.reads.hits'), values: hits, className: 'series-a' },
              { name: t('chart.reads.misses'), values: misses, className: 'series-b' },
            ]}
            formatY={(value) => formatCount(Math.round(value), language)}
          />
          <LineChart
            testId="chart-process"
            title={t('chart.process.title')}
            summary={t('chart.process.summary', { size: mb(stats.process.rss) })}
            yLabel={t('chart.process.y')}
            xLabel={t('chart.x')}
            xEnds={[t('chart.minutesAgo', { minutes }), t('chart.now')]}
            series={[{ name: t('metric.process'), values: rss, className: 'series-a' }]}
            formatY={(value) => formatCount(Math.round(value), language)}
          />
        </div>
      )}

      <h3>{t('memory.maintenance')}</h3>
      <ul className="maintenance-list">
        {maintenanceTasks.map((task) => (
          <li key={task}>
            <button type="button" disabled={running !== null} onClick={() => void runMaintenance(task)}>
              {running === task ? t('memory.running') : t(`memory.run.${task}`)}
            </button>
            <span className="muted">
              {' '}
              {t(`memory.runHint.${task}`, {
                warmDays: stats.limits.warmTtlDays,
                coldDays: stats.limits.coldRetentionDays,
                days: stats.limits.summarizeAfterDays,
              })}
              {stats.lastRuns[task] ? ` ${t('memory.lastRun', { when: formatDateTime(stats.lastRuns[task], language) })}` : ''}
            </span>
          </li>
        ))}
      </ul>
      {report && (
        <p className="muted" role="status" data-testid="maintenance-report">
          {reportText(t, report, mb(report.bytesFreed), stats.limits.summarizeAfterDays)}
        </p>
      )}

      {summaries.length > 0 && (
        <>
          <h3>{t('memory.summaries')}</h3>
          <ul className="summaries" data-testid="summaries">
            {summaries.map((summary) => (
              <li key={`${summary.sessionId}-${summary.createdAt}`}>
                <details>
                  <summary>
                    {formatDateTime(summary.firstTimestamp, language)} – {formatDateTime(summary.lastTimestamp, language)} · {summary.summary}
                  </summary>
                  {summary.key_facts.length > 0 && (
                    <ul>
                      {summary.key_facts.map((fact, index) => (
                        <li key={index}>{fact}</li>
                      ))}
                    </ul>
                  )}
                  {Object.entries(summary.user_preferences).length > 0 && (
                    <dl className="facts">
                      {Object.entries(summary.user_preferences).map(([name, value]) => (
                        <div key={name} className="contents">
                          <dt>{name}</dt>
                          <dd>{value}</dd>
                        </div>
                      ))}
                    </dl>
                  )}
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
