import { formatBytes } from '../../format';
import { useAppStore } from '../../store/appStore';
import { Term } from './Term';

/**
 * How much of a quota is used: a bar (amber at 70 %, red at 90 %) on a scale from 0 to the quota,
 * labelled in bytes, with what the quota means on hover.
 */
export function QuotaBar({ id, label, explain, used, limit }: { id: string; label: string; explain: string; used: number; limit: number }) {
  const language = useAppStore((state) => state.language);
  const ratio = limit > 0 ? used / limit : 0;
  return (
    <div className="quota" data-testid={`quota-${id}`}>
      <div className="row quota-label">
        <Term label={label} explain={explain} />
        <span className="muted" data-testid={`quota-${id}-figures`}>
          {formatBytes(used, language)} / {formatBytes(limit, language)} ({Math.round(Math.min(ratio, 9.99) * 100)} %)
        </span>
      </div>
      <meter min={0} max={1} low={0.7} high={0.9} optimum={0} value={Math.min(ratio, 1)} aria-label={label} />
      <div className="quota-scale" aria-hidden="true">
        <span>0</span>
        <span>{formatBytes(limit / 2, language)}</span>
        <span>{formatBytes(limit, language)}</span>
      </div>
    </div>
  );
}
