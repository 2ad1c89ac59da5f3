import { memo } from 'react';
import type { MemoryEntryView } from '@shared/contract/memory';
import { formatAge, formatBytes } from '../../format';
import { useT } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useMemoryStore } from '../../store/memoryStore';

export const ROW_HEIGHT = 40;

/** One row of the list; unchanged rows skip re-rendering while the list scrolls. */
export const EntryRow = memo(function EntryRow({ entry, start, now }: { entry: MemoryEntryView; start: number; now: number }) {
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
