import { formatBytes } from '../../format';
import { useAppStore } from '../../store/appStore';

/** How much of a quota is used, as a meter that turns amber at 70 % and red at 90 %. */
export function QuotaBar({ label, used, limit }: { label: string; used: number; limit: number }) {
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
