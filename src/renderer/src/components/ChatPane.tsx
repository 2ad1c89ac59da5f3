import { useCallback, useEffect } from 'react';
import { isCartToolName, isMemoryToolName, isProductToolName } from '@shared/agentNames';
import { errorText, useT, type Translate } from '../i18n';
import { useAppStore } from '../store/appStore';
import { draftKey, useChatStore, type RunState } from '../store/chatStore';
import { useCustomerStore } from '../store/customerStore';
import { agentLabel, tokenCount } from './chat/ChatItemView';
import { Composer } from './chat/Composer';
import { MessageList } from './chat/MessageList';
import { CustomerBar } from './CustomerBar';
import { StoreWaitNotice } from './StoreWaitNotice';

function activityText(t: Translate, run: RunState): string {
  if (run.waiting) return t(`chat.retryWait.${run.waiting.reason}`, { seconds: run.waiting.seconds });
  const activity = run.activity;
  if (!activity) return t('activity.working');
  if ('transferTo' in activity) return t('activity.transfer', { agent: agentLabel(t, activity.transferTo) });
  if (isCartToolName(activity.tool)) return t('activity.cart');
  if (isMemoryToolName(activity.tool)) return t('activity.memory');
  return isProductToolName(activity.tool) ? t(`activity.${activity.tool}`) : t('activity.working');
}

/**
 * The chat with the customer being served: the customer bar, the conversation (chat/MessageList),
 * what the running answer is doing, and the chat box (chat/Composer). Everything staff leave here
 * (scroll position, following the newest, drafts, product cards) is kept across pane switches:
 * App.tsx never unmounts this pane, and drafts, cards and the reading place live in the chat store.
 */
export function ChatPane() {
  const t = useT();
  const customerId = useCustomerStore((state) => state.customerId);
  const sessionId = useCustomerStore((state) => state.sessionId);
  const loadError = useChatStore((state) => state.loadError);
  const run = useChatStore((state) => state.run);
  const conversationUsage = useChatStore((state) => state.conversationUsage);
  const cancel = useChatStore((state) => state.cancel);
  const language = useAppStore((state) => state.language);
  const running = run !== null;

  useEffect(() => {
    if (!customerId) return;
    const chat = useChatStore.getState();
    // A new session created by the first message is already open in the chat store.
    if (chat.userId !== customerId || chat.sessionId !== sessionId) void chat.openSession(customerId, sessionId);
  }, [customerId, sessionId]);

  const send = useCallback(async (text: string) => {
    const message = text.trim();
    const chat = useChatStore.getState();
    const customers = useCustomerStore.getState();
    if (!message || chat.run || !customers.customerId) return;
    chat.setDraft(draftKey(customers.customerId, customers.sessionId), '');
    // Staff sending a message want to see the answer: the list goes back to following the newest.
    chat.setView({ follow: true, unseen: 0, anchor: null });
    const startedIn = await chat.send(message);
    const now = useCustomerStore.getState();
    if (startedIn && startedIn !== now.sessionId) {
      now.selectSession(startedIn);
      void now.refreshSessions();
    }
  }, []);
  const sendText = useCallback((text: string) => void send(text), [send]);

  // Esc stops the answer, wherever the focus is, unless it closes something first (a list, a dialog).
  useEffect(() => {
    if (!running) return;
    const onEscape = (event: globalThis.KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented || document.querySelector('dialog[open]')) return;
      void cancel();
    };
    window.addEventListener('keydown', onEscape);
    return () => window.removeEventListener('keydown', onEscape);
  }, [running, cancel]);

  return (
    <div className="chat-pane">
      <h2 className="visually-hidden">{t('nav.chat')}</h2>
      <CustomerBar />
      {!customerId ? (
        <p className="empty-state muted">{t('customer.none')}</p>
      ) : (
        <>
          {loadError && (
            <div className="banner banner-error" role="alert">
              {errorText(t, loadError)}
            </div>
          )}
          <MessageList onRetry={sendText} />
          {run && (
            <div className="activity" role="status" aria-live="polite" data-testid="activity">
              <span className="spinner" aria-hidden="true" /> {activityText(t, run)}
            </div>
          )}
          <StoreWaitNotice />
          <Composer onSend={sendText} />
          {conversationUsage && conversationUsage.turns > 0 && (
            <div className="usage-note muted" data-testid="conversation-usage">
              {t('usage.conversation', {
                total: tokenCount(conversationUsage, conversationUsage.totalTokens, language),
                turns: conversationUsage.turns,
              })}
            </div>
          )}
        </>
      )}
    </div>
  );
}
