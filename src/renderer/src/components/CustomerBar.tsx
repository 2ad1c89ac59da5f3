import { useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatDateTime } from '../format';
import { useT } from '../i18n';
import { useAppStore } from '../store/appStore';
import { useCustomerStore } from '../store/customerStore';

/** Pick or type the customer being served, then pick, start or delete one of their conversations. */
export function CustomerBar() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const { customerId, sessionId, sessions, recent, error, identityProblem } = useCustomerStore(
    useShallow((state) => ({
      customerId: state.customerId,
      sessionId: state.sessionId,
      sessions: state.sessions,
      recent: state.recent,
      error: state.error,
      identityProblem: state.identityProblem,
    })),
  );
  const { openCustomer, selectSession, newSession, deleteSession } = useCustomerStore(
    useShallow((state) => ({
      openCustomer: state.openCustomer,
      selectSession: state.selectSession,
      newSession: state.newSession,
      deleteSession: state.deleteSession,
    })),
  );
  const [draft, setDraft] = useState('');
  const [confirmingDelete, setConfirmingDelete] = useState(false);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (draft.trim()) void openCustomer(draft);
  }

  return (
    <div className="customer-bar">
      <form className="row" onSubmit={submit}>
        <label htmlFor="customer-input">{t('customer.label')}</label>
        <input
          id="customer-input"
          list="recent-customers"
          value={draft}
          maxLength={128}
          placeholder={t('customer.placeholder')}
          onChange={(event) => setDraft(event.target.value)}
        />
        <datalist id="recent-customers">
          {recent.map((id) => (
            <option key={id} value={id} />
          ))}
        </datalist>
        <button type="submit" disabled={!draft.trim()}>
          {t('customer.open')}
        </button>
      </form>
      {customerId && (
        <div className="row">
          <strong data-testid="current-customer">{customerId}</strong>
          <label htmlFor="session-select" className="visually-hidden">
            {t('session.label')}
          </label>
          <select id="session-select" value={sessionId ?? ''} onChange={(event) => selectSession(event.target.value || null)}>
            {sessions.length === 0 && <option value="">{t('session.none')}</option>}
            {sessions.map((session) => (
              <option key={session.sessionId} value={session.sessionId}>
                {session.title ?? t('session.untitled', { date: formatDateTime(session.createdAt, language) })}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => void newSession()}>
            {t('session.new')}
          </button>
          {sessionId && !confirmingDelete && (
            <button type="button" onClick={() => setConfirmingDelete(true)}>
              {t('session.delete')}
            </button>
          )}
          {sessionId && confirmingDelete && (
            <span className="confirm" role="alertdialog" aria-label={t('session.deleteConfirm')}>
              {t('session.deleteConfirm')}
              <button
                type="button"
                className="danger"
                onClick={() => {
                  setConfirmingDelete(false);
                  void deleteSession(sessionId);
                }}
              >
                {t('session.delete')}
              </button>
              <button type="button" onClick={() => setConfirmingDelete(false)}>
                {t('settings.cancel')}
              </button>
            </span>
          )}
        </div>
      )}
      {identityProblem && (
        <div className="field-error" role="alert" data-testid="customer-id-problem">
          {t(`customer.identity.${identityProblem}`)}
        </div>
      )}
      {error && (
        <div className="field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
