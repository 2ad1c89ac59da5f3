import type { SessionView } from '@shared/contract/memory';
import { formatDateTime } from '../../format';
import { useT } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useCustomerStore } from '../../store/customerStore';

/** A conversation's name as staff know it: its title, else "Phiên 12/03/2025 10:42". */
export function useConversationName(): (session: SessionView) => string {
  const t = useT();
  const language = useAppStore((state) => state.language);
  return (session) => session.title ?? t('session.untitled', { date: formatDateTime(session.createdAt, language) });
}

/**
 * A link that opens one of the open customer's conversations in the chat (never its id); plain
 * text when the conversation is gone or belongs to another customer.
 */
export function ConversationLink({ userId, sessionId, sessions }: { userId: string; sessionId: string; sessions: SessionView[] }) {
  const t = useT();
  const name = useConversationName();
  const customerId = useCustomerStore((state) => state.customerId);
  const openCustomer = useCustomerStore((state) => state.openCustomer);
  const selectSession = useCustomerStore((state) => state.selectSession);
  const setPane = useAppStore((state) => state.setPane);
  const session = sessions.find((item) => item.sessionId === sessionId);
  if (!session) return <span className="muted">{t('profile.conversationGone')}</span>;

  async function open() {
    if (customerId !== userId) await openCustomer(userId);
    selectSession(sessionId);
    setPane('chat');
    document.getElementById('chat-input')?.focus();
  }

  return (
    <a
      href={`#conversation-${encodeURIComponent(sessionId)}`}
      className="conversation-link"
      onClick={(event) => {
        event.preventDefault();
        void open();
      }}
    >
      {name(session)}
    </a>
  );
}
