import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { isAgentName, isCartToolName, isMemoryToolName, isProductToolName } from '@shared/agentNames';
import type { SearchStep } from '@shared/commerce';
import type { TokenCounts } from '@shared/contract/usage';
import type { Language } from '@shared/settings';
import { formatCount } from '../format';
import { useT, type Translate } from '../i18n';
import type { StringKey } from '../i18n/strings';
import { useAppStore } from '../store/appStore';
import { useChatStore, type ChatItem, type RunState } from '../store/chatStore';
import { useCustomerStore } from '../store/customerStore';
import { CustomerBar } from './CustomerBar';
import { Markdown } from './Markdown';
import { ProductCard } from './ProductCard';

/** Estimated counts (offline planner) are marked as approximate. */
function tokenCount(counts: TokenCounts, value: number, language: Language): string {
  return `${counts.estimated ? '≈ ' : ''}${formatCount(value, language)}`;
}

/** The hover text of a turn's answers: its tokens as Gemini counted them. */
function turnUsageText(t: Translate, usage: TokenCounts, language: Language): string {
  return t('usage.turn', {
    total: tokenCount(usage, usage.totalTokens, language),
    prompt: formatCount(usage.promptTokens, language),
    output: formatCount(usage.outputTokens, language),
    cached: formatCount(usage.cachedTokens, language),
    calls: usage.modelCalls,
  });
}

function agentLabel(t: Translate, agent: string): string {
  return isAgentName(agent) ? t(`agent.${agent}`) : agent;
}

function activityText(t: Translate, run: RunState): string {
  if (run.waiting) return t(`chat.retryWait.${run.waiting.reason}`, { seconds: run.waiting.seconds });
  const activity = run.activity;
  if (!activity) return t('activity.working');
  if ('transferTo' in activity) return t('activity.transfer', { agent: agentLabel(t, activity.transferTo) });
  if (isCartToolName(activity.tool)) return t('activity.cart');
  if (isMemoryToolName(activity.tool)) return t('activity.memory');
  return isProductToolName(activity.tool) ? t(`activity.${activity.tool}`) : t('activity.working');
}

export function ChatPane() {
  const t = useT();
  const customerId = useCustomerStore((state) => state.customerId);
  const sessionId = useCustomerStore((state) => state.sessionId);
  const { items, run, olderCursor, loadingOlder, loadError, turnUsage, conversationUsage } = useChatStore(
    useShallow((state) => ({
      items: state.items,
      run: state.run,
      olderCursor: state.olderCursor,
      loadingOlder: state.loadingOlder,
      loadError: state.loadError,
      turnUsage: state.turnUsage,
      conversationUsage: state.conversationUsage,
    })),
  );
  const sendMessage = useChatStore((state) => state.send);
  const cancel = useChatStore((state) => state.cancel);
  const language = useAppStore((state) => state.language);
  const [draft, setDraft] = useState('');

  useEffect(() => {
    if (!customerId) return;
    const chat = useChatStore.getState();
    // A new session created by the first message is already open in the chat store.
    if (chat.userId !== customerId || chat.sessionId !== sessionId) void chat.openSession(customerId, sessionId);
  }, [customerId, sessionId]);

  async function send(text: string) {
    const message = text.trim();
    if (!message || run) return;
    setDraft('');
    const startedIn = await sendMessage(message);
    const customers = useCustomerStore.getState();
    if (startedIn && startedIn !== customers.sessionId) {
      customers.selectSession(startedIn);
      void customers.refreshSessions();
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send(draft);
    }
  }

  useEffect(() => {
    if (!run) return;
    const onEscape = (event: globalThis.KeyboardEvent) => {
      if (event.key === 'Escape') void cancel();
    };
    window.addEventListener('keydown', onEscape);
    return () => window.removeEventListener('keydown', onEscape);
  }, [run, cancel]);

  if (!customerId) {
    return (
      <div className="chat-pane">
        <CustomerBar />
        <p className="empty-state muted">{t('customer.none')}</p>
      </div>
    );
  }

  return (
    <div className="chat-pane">
      <CustomerBar />
      {loadError && (
        <div className="banner banner-error" role="alert">
          {loadError}
        </div>
      )}
      <MessageList
        items={items}
        turnUsage={turnUsage}
        canLoadOlder={olderCursor !== null}
        loadingOlder={loadingOlder}
        onRetry={(text) => void send(text)}
      />
      {run && (
        <div className="activity" role="status" aria-live="polite" data-testid="activity">
          <span className="spinner" aria-hidden="true" /> {activityText(t, run)}
        </div>
      )}
      <form
        className="composer"
        onSubmit={(event) => {
          event.preventDefault();
          void send(draft);
        }}
      >
        <label htmlFor="chat-input" className="visually-hidden">
          {t('chat.placeholder')}
        </label>
        <textarea
          id="chat-input"
          rows={2}
          maxLength={4000}
          value={draft}
          placeholder={t('chat.placeholder')}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
        />
        {run ? (
          <button type="button" className="danger" onClick={() => void cancel()}>
            {t('chat.stop')}
          </button>
        ) : (
          <button type="submit" className="primary" disabled={!draft.trim()}>
            {t('chat.send')}
          </button>
        )}
      </form>
      {conversationUsage && conversationUsage.turns > 0 && (
        <div className="usage-note muted" data-testid="conversation-usage">
          {t('usage.conversation', {
            total: tokenCount(conversationUsage, conversationUsage.totalTokens, language),
            turns: conversationUsage.turns,
          })}
        </div>
      )}
    </div>
  );
}

/** Only the rows in view (plus a few) are in the DOM; older pages load when scrolled to the top. */
function MessageList(props: {
  items: ChatItem[];
  turnUsage: Record<string, TokenCounts>;
  canLoadOlder: boolean;
  loadingOlder: boolean;
  onRetry: (text: string) => void;
}) {
  const { items, turnUsage, canLoadOlder, loadingOlder, onRetry } = props;
  const t = useT();
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const firstId = useRef<string | null>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 72,
    overscan: 6,
    getItemKey: (index) => items[index]!.id,
    // Let React batch scroll updates instead of rendering synchronously inside the scroll event.
    useFlushSync: false,
  });

  // Keep the view where it was when older messages are prepended, and follow new ones at the bottom.
  useLayoutEffect(() => {
    const previousFirst = firstId.current;
    firstId.current = items[0]?.id ?? null;
    if (previousFirst && items[0]?.id !== previousFirst) {
      const index = items.findIndex((item) => item.id === previousFirst);
      if (index > 0) {
        virtualizer.scrollToIndex(index, { align: 'start' });
        return;
      }
    }
    if (stickToBottom.current && items.length > 0) virtualizer.scrollToIndex(items.length - 1, { align: 'end' });
  }, [items, virtualizer]);

  function onScroll() {
    const element = scroller.current;
    if (!element) return;
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 48;
    if (element.scrollTop < 200 && canLoadOlder && !loadingOlder) void useChatStore.getState().loadOlder();
  }

  if (items.length === 0) {
    return <p className="chat-hint muted">{t('chat.startHint')}</p>;
  }

  return (
    <div
      className="message-list"
      ref={scroller}
      onScroll={onScroll}
      role="log"
      aria-label={t('chat.messages')}
      data-testid="message-list"
      data-count={items.length}
    >
      {loadingOlder && <div className="muted loading-older">{t('chat.loadingOlder')}</div>}
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((row) => (
          <div
            key={row.key}
            data-index={row.index}
            ref={virtualizer.measureElement}
            className="message-row"
            style={{ transform: `translateY(${row.start}px)` }}
          >
            <ChatItemView item={items[row.index]!} usage={usageOf(items[row.index]!, turnUsage)} onRetry={onRetry} />
          </div>
        ))}
      </div>
    </div>
  );
}

const knownErrors = new Set([
  'busy',
  'timeout',
  'store_unavailable',
  'rate_limited',
  'circuit_open',
  'model_error',
  'tool_error',
  'storage_unavailable',
  'storage_full',
  'storage_damaged',
  'storage_read_only',
  'quota_exceeded',
]);

/** A localized title for the error's kind; the message from main says the specifics. */
function errorTitle(t: Translate, code: string): string {
  return knownErrors.has(code) ? t(`error.${code}` as StringKey) : t('chat.error');
}

function stepLabel(t: Translate, step: SearchStep): string {
  return t(`step.${step}`);
}

function usageOf(item: ChatItem, turnUsage: Record<string, TokenCounts>): TokenCounts | undefined {
  return item.kind === 'assistant' && item.turnId ? turnUsage[item.turnId] : undefined;
}

/** Rows re-render only when their item (or its turn's usage) changes, not on every scroll frame. */
const ChatItemView = memo(function ChatItemView(props: { item: ChatItem; usage: TokenCounts | undefined; onRetry: (text: string) => void }) {
  const { item, usage, onRetry } = props;
  const t = useT();
  const language = useAppStore((state) => state.language);
  switch (item.kind) {
    case 'user':
      return (
        <div className="message message-user" data-testid="message-user">
          <div className="message-author">{t('chat.you')}</div>
          <div className="message-text">{item.text}</div>
        </div>
      );
    case 'assistant':
      return (
        <div
          className="message message-assistant"
          data-testid="message-assistant"
          aria-busy={item.streaming}
          title={usage ? turnUsageText(t, usage, language) : undefined}
        >
          <div className="message-author">{t('chat.assistant')}</div>
          <Markdown text={item.text} />
        </div>
      );
    case 'products':
      return (
        <div className="product-results" data-testid="product-results">
          {item.foundBy && item.foundBy !== 'exact' && (
            <div className="muted" data-testid="found-by">
              {t('product.foundBy', { step: stepLabel(t, item.foundBy) })}
              {item.tried.length > 0 ? ` · ${t('product.tried', { tried: item.tried.join('; ') })}` : ''}
            </div>
          )}
          <div className="product-grid">
            {item.products.map((product) => (
              <ProductCard key={product.sku} product={product} canAdd />
            ))}
          </div>
        </div>
      );
    case 'transfer':
      return <div className="message-note muted">{t('activity.transfer', { agent: agentLabel(t, item.to) })}</div>;
    case 'notice':
      return <div className="message-note muted">{t('chat.cancelled')}</div>;
    case 'error':
      return (
        <div className="message message-error" role="alert">
          <strong>{errorTitle(t, item.code)}:</strong> {item.message}
          {item.retryText && (
            <button type="button" onClick={() => onRetry(item.retryText!)}>
              {t('chat.retry')}
            </button>
          )}
        </div>
      );
  }
});
