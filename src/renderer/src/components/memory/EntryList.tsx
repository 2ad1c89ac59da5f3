import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { MemoryEntryView } from '@shared/contract/memory';
import { useT } from '../../i18n';
import { EntryRow, ROW_HEIGHT } from './EntryRow';

/** The matching entries; only the rows in view (plus a few) are in the DOM, the next page loads near the end. */
export function EntryList(props: { entries: MemoryEntryView[]; hasMore: boolean; loading: boolean; onEnd: () => void }) {
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
