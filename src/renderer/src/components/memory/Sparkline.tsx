import { useT } from '../../i18n';
import type { MetricsSample } from '../../store/memoryStore';

/** Memory reads (hits and misses) over the last samples. */
export function Sparkline({ samples }: { samples: MetricsSample[] }) {
  const t = useT();
  if (samples.length < 2) return null;
  const values = samples.map((sample) => sample.hits + sample.misses);
  const min = Math.min(...values);
  const span = Math.max(1, Math.max(...values) - min);
  const points = values.map((value, index) => `${(index / (values.length - 1)) * 200},${40 - ((value - min) / span) * 36 - 2}`).join(' ');
  return (
    <svg className="sparkline" viewBox="0 0 200 40" role="img" aria-label={t('memory.readsOverTime')}>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}
