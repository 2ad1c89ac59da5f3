import type { KeyboardEvent } from 'react';
import { useT } from '../../i18n';
import { draftKey, useChatStore } from '../../store/chatStore';
import { useCustomerStore } from '../../store/customerStore';

/**
 * The chat box (Alt+C) and its send / stop button. The draft is kept in the chat store per customer
 * and conversation, so switching panes, conversations or customers never loses what was typed.
 */
export function Composer({ onSend }: { onSend: (text: string) => void }) {
  const t = useT();
  const customerId = useCustomerStore((state) => state.customerId);
  const sessionId = useCustomerStore((state) => state.sessionId);
  const running = useChatStore((state) => state.run !== null);
  const cancel = useChatStore((state) => state.cancel);
  const key = customerId ? draftKey(customerId, sessionId) : '';
  const draft = useChatStore((state) => state.drafts[key] ?? '');
  const setDraft = useChatStore((state) => state.setDraft);

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      onSend(draft);
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        onSend(draft);
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
        aria-keyshortcuts="Alt+C"
        onChange={(event) => setDraft(key, event.target.value)}
        onKeyDown={onKeyDown}
      />
      {running ? (
        <button type="button" className="danger" aria-keyshortcuts="Escape" onClick={() => void cancel()}>
          {t('chat.stop')}
        </button>
      ) : (
        <button type="submit" className="primary" disabled={!draft.trim()}>
          {t('chat.send')}
        </button>
      )}
    </form>
  );
}
