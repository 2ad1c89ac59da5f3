import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useLayoutEffect, useRef } from 'react';
import { useT } from '../../i18n';
import { useChatStore } from '../../store/chatStore';
import { ChatItemView, usageOf } from './ChatItemView';

/** How close to the end (px) still counts as "at the newest message". */
const AT_END_PX = 48;
/** Older messages are read when staff scroll this close (px) to the top. */
const LOAD_OLDER_PX = 200;
/** A scroll within this long (ms) of a wheel turn, a touch, a key or a scrollbar drag is staff's own. */
const INTENT_MS = 600;

const atEndOf = (element: HTMLElement) => element.scrollHeight - element.scrollTop - element.clientHeight < AT_END_PX;

/**
 * The open conversation. Only the rows in view (plus a few) are in the DOM; older pages load when
 * scrolled to the top. While staff are at the end the list follows new messages; scrolled up, it
 * stays where they read, counts what arrives meanwhile and offers a button back to the newest.
 *
 * Its place survives pane switches because the list is never unmounted or taken out of layout
 * (App.tsx only makes the chat pane invisible), and a change of width keeps the first row in view
 * where it was (the virtualizer corrects for rows above it measured anew). Its place in a
 * conversation left for another one is kept in the chat store (`view.anchor`) and brought back
 * when staff return to it.
 */
export const MessageList = memo(function MessageList({ onRetry }: { onRetry: (text: string) => void }) {
  const t = useT();
  const items = useChatStore((state) => state.items);
  const turnUsage = useChatStore((state) => state.turnUsage);
  const canLoadOlder = useChatStore((state) => state.olderCursor !== null);
  const loadingOlder = useChatStore((state) => state.loadingOlder);
  const follow = useChatStore((state) => state.view.follow);
  const unseen = useChatStore((state) => state.view.unseen);
  const setView = useChatStore((state) => state.setView);
  const scroller = useRef<HTMLDivElement>(null);
  const firstId = useRef<string | null>(null);
  const lastId = useRef<string | null>(null);
  const content = useRef<HTMLDivElement>(null);
  /** When staff last turned the wheel, touched, pressed a key in the list or let go of its scrollbar. */
  const intentAt = useRef(-Infinity);
  const dragging = useRef(false);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 72,
    overscan: 6,
    getItemKey: (index) => items[index]!.id,
    // Let React batch scroll updates instead of rendering synchronously inside the scroll event.
    useFlushSync: false,
  });

  // Keep the view where it was when older messages are prepended, bring back the place of a
  // conversation staff return to, and follow new messages at the end.
  useLayoutEffect(() => {
    const previousFirst = firstId.current;
    const previousLast = lastId.current;
    firstId.current = items[0]?.id ?? null;
    lastId.current = items.at(-1)?.id ?? null;
    if (items.length === 0) return;
    const { view } = useChatStore.getState();
    if (previousFirst && items[0]!.id !== previousFirst) {
      const index = items.findIndex((item) => item.id === previousFirst);
      if (index > 0) {
        virtualizer.scrollToIndex(index, { align: 'start' });
        return;
      }
    }
    if (previousFirst === null && !view.follow) {
      // A conversation opened again: back to the row staff were reading, if it is in the page read.
      const index = view.anchor ? items.findIndex((item) => item.id === view.anchor!.id) : -1;
      if (index >= 0) {
        const [start] = virtualizer.getOffsetForIndex(index, 'start') ?? [0];
        virtualizer.scrollToOffset(start + view.anchor!.offset);
        return;
      }
      setView({ follow: true, unseen: 0, anchor: null });
      virtualizer.scrollToIndex(items.length - 1, { align: 'end' });
      return;
    }
    if (view.follow) {
      virtualizer.scrollToIndex(items.length - 1, { align: 'end' });
    } else if (previousLast && lastId.current !== previousLast) {
      const from = items.findIndex((item) => item.id === previousLast);
      setView({ unseen: view.unseen + (from >= 0 ? items.length - 1 - from : 1) });
    }
  }, [items, virtualizer, setView]);

  // A drag of the scrollbar ends wherever the pointer is let go.
  useEffect(() => {
    const release = () => {
      if (!dragging.current) return;
      dragging.current = false;
      intentAt.current = performance.now();
    };
    window.addEventListener('pointerup', release);
    window.addEventListener('pointercancel', release);
    return () => {
      window.removeEventListener('pointerup', release);
      window.removeEventListener('pointercancel', release);
    };
  }, []);

  // While following, the end stays in view when the list or its rows change size (a wider window,
  // an answer that grows, the chat box taking more lines): that moves no scroll position by itself.
  const shown = items.length > 0;
  useEffect(() => {
    const element = scroller.current;
    const inner = content.current;
    if (!shown || !element || !inner) return;
    const observer = new ResizeObserver(() => {
      if (useChatStore.getState().view.follow && element.clientHeight > 0 && !atEndOf(element)) element.scrollTop = element.scrollHeight;
    });
    observer.observe(element);
    observer.observe(inner);
    return () => observer.disconnect();
  }, [shown]);

  const noteIntent = () => {
    intentAt.current = performance.now();
  };

  function onScroll() {
    const element = scroller.current;
    // A list out of layout (no height) has nothing to tell.
    if (!element || element.clientHeight === 0) return;
    const atEnd = atEndOf(element);
    const byStaff = dragging.current || performance.now() - intentAt.current < INTENT_MS;
    const { view } = useChatStore.getState();
    if (atEnd) {
      if (!view.follow) setView({ follow: true, unseen: 0, anchor: null });
    } else if (byStaff || !view.follow) {
      // Staff read further up (or the rows above the one they read were measured anew): remember where.
      const row = virtualizer.getVirtualItems().find((item) => item.end > element.scrollTop);
      const item = row ? items[row.index] : undefined;
      setView({ follow: false, anchor: item ? { id: item.id, offset: Math.round(element.scrollTop - row!.start) } : view.anchor });
    } else {
      // Following, and the layout (not staff) moved the view off the end: back to the end.
      element.scrollTop = element.scrollHeight;
    }
    if (element.scrollTop < LOAD_OLDER_PX && canLoadOlder && !loadingOlder) void useChatStore.getState().loadOlder();
  }

  function toNewest() {
    setView({ follow: true, unseen: 0, anchor: null });
    if (items.length > 0) virtualizer.scrollToIndex(items.length - 1, { align: 'end' });
    document.getElementById('chat-input')?.focus();
  }

  if (items.length === 0) {
    return <p className="chat-hint muted">{t('chat.startHint')}</p>;
  }

  return (
    <div className="message-area">
      <div
        className="message-list"
        ref={scroller}
        onScroll={onScroll}
        onWheel={noteIntent}
        onTouchMove={noteIntent}
        onKeyDown={noteIntent}
        onPointerDown={(event) => {
          // On the list itself (not a row): its scrollbar.
          if (event.target === event.currentTarget) dragging.current = true;
        }}
        role="log"
        aria-label={t('chat.messages')}
        data-testid="message-list"
        data-count={items.length}
        data-follow={follow}
        tabIndex={0}
      >
        {loadingOlder && <div className="muted loading-older">{t('chat.loadingOlder')}</div>}
        <div ref={content} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((row) => (
            <div
              key={row.key}
              data-index={row.index}
              data-id={items[row.index]!.id}
              ref={virtualizer.measureElement}
              className="message-row"
              style={{ transform: `translateY(${row.start}px)` }}
            >
              <ChatItemView item={items[row.index]!} usage={usageOf(items[row.index]!, turnUsage)} onRetry={onRetry} />
            </div>
          ))}
        </div>
      </div>
      {!follow && (
        <button type="button" className="to-newest" data-testid="to-newest" onClick={toNewest}>
          {unseen > 0 ? t('chat.newMessages', { count: unseen }) : t('chat.toNewest')}
        </button>
      )}
    </div>
  );
});
