import { memo } from 'react';
import type { MemoryEntryView } from '@shared/contract/memory';
import { formatAge, formatBytes } from '../../format';
import { useT } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useMemoryStore } from '../../store/memoryStore';

export const ROW_HEIGHT = 40;

/** One row of the list; unchanged rows skip re-rendering while the list scrolls. The tier is where the entry is kept; "⚡" marks it cached. */
export const EntryRow = memo(function EntryRow({ entry, start, now }: { entry: MemoryEntryView; start: number; now: number }) {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const select = useMemoryStore((state) => state.select);
  return (
    <div role="listitem" className="entry-row" style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}>
      <button type="button" className="entry-button" onClick={() => void select(entry)} data-key={entry.key}>
        <span className="entry-key">{entry.key}</span>
        <span className={`tier tier-${entry.storedTier}`}>
          {t(`tier.${entry.storedTier}`)}
          {entry.tier === 'hot' && <span title={t('memory.inCache')}> ⚡</span>}
        </span>
        <span className="muted entry-owner">
          {entry.userId}
          {entry.sessionId ? ` · ${t('memory.sessionOnly')}` : ''}
        </span>
        <span className="muted">{formatBytes(entry.sizeBytes, language)}</span>
        <span className="muted">{formatAge(entry.updatedAt, now, language)}</span>
      </button>
    </div>
  );
});
