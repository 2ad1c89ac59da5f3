import { useEffect, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CUSTOMER_ID_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, customerLabel, type CustomerField } from '@shared/identity';
import type { CustomerRecord } from '@shared/contract/customers';
import { formatDateTime } from '../format';
import { errorText, useT, type Translate } from '../i18n';
import { useAppStore } from '../store/appStore';
import { useCustomerStore, type RecordDraft, type RecordProblem } from '../store/customerStore';

/** How long typing pauses before the saved customers are searched. */
const FIND_DELAY_MS = 150;

interface Option {
  customerId: string;
  record: CustomerRecord | null;
  label: string;
  detail: string | null;
}

const recordFieldOrder: CustomerField[] = ['displayName', 'phone', 'membershipNumber'];

function problemText(t: Translate, { field, problem }: RecordProblem): string {
  return t(`customer.record.problem.${problem}`, {
    field: t(`customer.record.${field}`),
    max: field === 'displayName' ? DISPLAY_NAME_MAX_LENGTH : CUSTOMER_ID_MAX_LENGTH,
  });
}

/**
 * Find, pick or type the customer being served (by name, phone or membership number), see and
 * edit what is recorded about them, then pick, start or delete one of their conversations.
 */
export function CustomerBar() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const { customerId, sessionId, sessions, recent, error, identityProblem, record, matches, matchesFor, recordProblem, recordError } =
    useCustomerStore(
      useShallow((state) => ({
        customerId: state.customerId,
        sessionId: state.sessionId,
        sessions: state.sessions,
        recent: state.recent,
        error: state.error,
        identityProblem: state.identityProblem,
        record: state.record,
        matches: state.matches,
        matchesFor: state.matchesFor,
        recordProblem: state.recordProblem,
        recordError: state.recordError,
      })),
    );
  const { openCustomer, openTyped, findCustomers, clearMatches, saveRecord, clearRecordProblem, selectSession, newSession, deleteSession } =
    useCustomerStore(
      useShallow((state) => ({
        openCustomer: state.openCustomer,
        openTyped: state.openTyped,
        findCustomers: state.findCustomers,
        clearMatches: state.clearMatches,
        saveRecord: state.saveRecord,
        clearRecordProblem: state.clearRecordProblem,
        selectSession: state.selectSession,
        newSession: state.newSession,
        deleteSession: state.deleteSession,
      })),
    );
  const [draft, setDraft] = useState('');
  const [listOpen, setListOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [editing, setEditing] = useState<RecordDraft | null>(null);
  const [saved, setSaved] = useState(false);

  // Saved customers matching what is typed, once typing pauses.
  useEffect(() => {
    if (draft.trim() === '') {
      clearMatches();
      return;
    }
    const timer = setTimeout(() => void findCustomers(draft), FIND_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft, findCustomers, clearMatches]);

  // Another customer: the form and its status belong to the previous one.
  useEffect(() => {
    setEditing(null);
    setSaved(false);
  }, [customerId]);

  const searching = draft.trim() !== '';
  const options: Option[] = searching
    ? matches.map((match) => ({ customerId: match.customerId, record: match, label: customerLabel(match), detail: match.membershipNumber }))
    : recent.map((id) => ({ customerId: id, record: null, label: id, detail: null }));
  const showList = listOpen && options.length > 0;
  const showNoMatch = listOpen && searching && matchesFor === draft && matches.length === 0;

  function closeList() {
    setListOpen(false);
    setActive(-1);
  }

  function pick(option: Option) {
    closeList();
    setDraft('');
    void openCustomer(option.customerId, option.record ?? undefined);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    closeList();
    if (draft.trim()) void openTyped(draft);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setListOpen(true);
      if (options.length === 0) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((current) => (current + step + options.length + (current < 0 && step < 0 ? 1 : 0)) % options.length);
    } else if (event.key === 'Enter' && showList && active >= 0 && active < options.length) {
      event.preventDefault();
      pick(options[active]!);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      closeList();
    }
  }

  function startEditing() {
    clearRecordProblem();
    setSaved(false);
    setEditing({ displayName: record?.displayName ?? '', phone: record?.phone ?? '', membershipNumber: record?.membershipNumber ?? '' });
  }

  async function submitRecord(event: FormEvent) {
    event.preventDefault();
    if (!editing) return;
    if (await saveRecord(editing)) {
      setEditing(null);
      setSaved(true);
    }
  }

  return (
    <div className="customer-bar">
      <form className="row" onSubmit={submit}>
        <label htmlFor="customer-input">{t('customer.label')}</label>
        <input
          id="customer-input"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={showList}
          aria-controls="customer-options"
          aria-activedescendant={showList && active >= 0 ? `customer-option-${active}` : undefined}
          autoComplete="off"
          value={draft}
          maxLength={CUSTOMER_ID_MAX_LENGTH}
          placeholder={t('customer.placeholder')}
          aria-keyshortcuts="Alt+K"
          onChange={(event) => {
            setDraft(event.target.value);
            setListOpen(true);
            setActive(-1);
          }}
          onFocus={() => setListOpen(true)}
          onBlur={closeList}
          onKeyDown={onKeyDown}
        />
        <button type="submit" disabled={!draft.trim()}>
          {t('customer.open')}
        </button>
      </form>
      {showList && (
        <ul
          id="customer-options"
          role="listbox"
          className="customer-options"
          aria-label={t(searching ? 'customer.record.matches' : 'customer.record.recent')}
        >
          {options.map((option, index) => (
            <li
              key={option.customerId}
              id={`customer-option-${index}`}
              role="option"
              aria-selected={index === active}
              data-customer-id={option.customerId}
              // Keep the focus in the box, so picking does not first close the list.
              onMouseDown={(event) => event.preventDefault()}
              onMouseEnter={() => setActive(index)}
              onClick={() => pick(option)}
            >
              {option.label}
              {option.detail && <span className="muted"> · {option.detail}</span>}
            </li>
          ))}
        </ul>
      )}
      {showNoMatch && (
        <div className="muted" role="status" data-testid="customer-no-match">
          {t('customer.record.noMatch')}
        </div>
      )}
      {customerId && (
        <div className="row">
          <strong data-testid="current-customer" data-customer-id={customerId}>
            {record && record.customerId === customerId ? customerLabel(record) : customerId}
          </strong>
          {!editing && (
            <button type="button" onClick={startEditing}>
              {t('customer.record.edit')}
            </button>
          )}
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
          {saved && !editing && (
            <span className="muted" role="status" data-testid="customer-record-saved">
              {t('customer.record.saved')}
            </span>
          )}
        </div>
      )}
      {customerId && editing && (
        <form className="row wrap" aria-label={t('customer.record.form')} onSubmit={(event) => void submitRecord(event)}>
          {recordFieldOrder.map((field) => (
            <span key={field} className="row">
              <label htmlFor={`customer-record-${field}`}>{t(`customer.record.${field}`)}</label>
              <input
                id={`customer-record-${field}`}
                value={editing[field]}
                maxLength={field === 'displayName' ? undefined : CUSTOMER_ID_MAX_LENGTH}
                aria-invalid={recordProblem?.field === field}
                onChange={(event) => setEditing({ ...editing, [field]: event.target.value })}
              />
            </span>
          ))}
          <button type="submit">{t('customer.record.save')}</button>
          <button
            type="button"
            onClick={() => {
              clearRecordProblem();
              setEditing(null);
            }}
          >
            {t('customer.record.cancel')}
          </button>
        </form>
      )}
      {recordProblem && (
        <div className="field-error" role="alert" data-testid="customer-record-problem">
          {problemText(t, recordProblem)}
        </div>
      )}
      {recordError && (
        <div className="field-error" role="alert" data-testid="customer-record-error">
          {errorText(t, recordError)}
        </div>
      )}
      {identityProblem && (
        <div className="field-error" role="alert" data-testid="customer-id-problem">
          {t(`customer.identity.${identityProblem}`)}
        </div>
      )}
      {error && (
        <div className="field-error" role="alert">
          {errorText(t, error)}
        </div>
      )}
    </div>
  );
}
