import { useEffect, useId, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { customerLabel, formatPhone } from '@shared/identity';
import type { JsonValue, SessionView, SummaryView } from '@shared/contract/memory';
import type { ErrorCode } from '@shared/errors';
import { defaultSettings } from '@shared/settings';
import { formatBytes, formatDate, formatDateTime } from '../../format';
import { errorText, useT, type Translate } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useCustomerStore } from '../../store/customerStore';
import { useMemoryStore } from '../../store/memoryStore';
import { PROFILE_VALUE_MAX_BYTES, profileSections, useProfileStore, type ProfileItem, type ProfileSection } from '../../store/profileStore';
import { ConversationLink } from './ConversationLink';

/** Longer texts show their start and a "Xem thêm" button. */
const SHORT_CHARS = 400;
const RECENT_CONVERSATIONS = 8;

/** A value as staff read it: text as it is, a list one item per line, yes/no in their language. */
function shownText(t: Translate, value: JsonValue): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value))
    return value.map((item) => (typeof item === 'object' && item !== null ? JSON.stringify(item) : shownText(t, item))).join('\n');
  return Object.entries(value)
    .map(([key, item]) => `${key}: ${typeof item === 'object' && item !== null ? JSON.stringify(item) : shownText(t, item)}`)
    .join('\n');
}

/** The text the editor starts with: what is shown, a list one item per line. */
function editText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join('\n');
  return String(value);
}

/**
 * The customer being served, as staff need to know them: who they are (from the customer record),
 * what they like and avoid, what they usually buy, notes, and recent conversations with their
 * summaries. Each item says when and in which conversation it was learned, is edited as plain text
 * and can be forgotten, with a few seconds to undo.
 */
export function CustomerProfile() {
  const t = useT();
  const customerId = useCustomerStore((state) => state.customerId);
  const record = useCustomerStore((state) => state.record);
  const setPane = useAppStore((state) => state.setPane);
  const { items, loading, error, sessions, summaries, forgotten, nextCursor } = useProfileStore(
    useShallow((state) => ({
      items: state.items,
      loading: state.loading,
      error: state.error,
      sessions: state.sessions,
      summaries: state.summaries,
      forgotten: state.forgotten,
      nextCursor: state.nextCursor,
    })),
  );
  const load = useProfileStore((state) => state.load);
  const pause = useProfileStore((state) => state.pause);
  const loadMore = useProfileStore((state) => state.loadMore);
  const undoForget = useProfileStore((state) => state.undoForget);
  const undoButton = useRef<HTMLButtonElement>(null);
  const [restored, setRestored] = useState<string | null>(null);

  useEffect(() => {
    void load(customerId);
    return pause;
  }, [customerId, load, pause]);

  // After "Quên", the focus goes to "Hoàn tác" (the item is gone from under it).
  useEffect(() => {
    if (forgotten) undoButton.current?.focus();
  }, [forgotten]);

  if (!customerId) {
    return (
      <div className="empty-state">
        <h2>{t('profile.heading')}</h2>
        <p>{t('profile.noCustomer')}</p>
        <button
          type="button"
          onClick={() => {
            setPane('chat');
            document.getElementById('customer-input')?.focus();
          }}
        >
          {t('profile.pickCustomer')}
        </button>
      </div>
    );
  }

  const name = record && record.customerId === customerId ? customerLabel(record) : customerId;
  const ownRecord = record && record.customerId === customerId ? record : null;

  return (
    <article className="profile" aria-labelledby="profile-title" data-testid="profile">
      <h2 id="profile-title">{t('profile.title', { customer: name })}</h2>
      {error && (
        <p className="field-error" role="alert">
          {errorText(t, error)}
        </p>
      )}
      {forgotten && (
        <div className="undo-bar" role="status" data-testid="profile-forgotten">
          <span>{t('profile.forgotten', { text: shortLine(forgotten.value === undefined ? '' : shownText(t, forgotten.value)) })}</span>
          <button
            type="button"
            ref={undoButton}
            onClick={() => {
              setRestored(`${forgotten.entry.sessionId ?? ''}\n${forgotten.entry.key}`);
              undoForget();
            }}
          >
            {t('common.undo')}
          </button>
        </div>
      )}
      <div className="profile-grid">
        <section className="profile-card" aria-labelledby="profile-who">
          <h3 id="profile-who">{t('profile.who')}</h3>
          <dl className="facts" data-testid="profile-who">
            <dt>{t('customer.record.displayName')}</dt>
            <dd>{ownRecord?.displayName ?? <span className="muted">{t('profile.notRecorded')}</span>}</dd>
            <dt>{t('customer.record.phone')}</dt>
            <dd>{ownRecord?.phone ? formatPhone(ownRecord.phone) : <span className="muted">{t('profile.notRecorded')}</span>}</dd>
            <dt>{t('customer.record.membershipNumber')}</dt>
            <dd>{ownRecord?.membershipNumber ?? <span className="muted">{t('profile.notRecorded')}</span>}</dd>
          </dl>
          <p className="muted">{t('profile.whoHint')}</p>
        </section>
        {profileSections.map((section) => (
          <SectionView
            key={section}
            section={section}
            items={items.filter((item) => item.section === section)}
            sessions={sessions}
            loading={loading}
            restored={restored}
          />
        ))}
        <Conversations userId={customerId} sessions={sessions} summaries={summaries} />
      </div>
      {nextCursor && (
        <button type="button" disabled={loading} onClick={() => void loadMore()}>
          {t('memory.loadMore')}
        </button>
      )}
    </article>
  );
}

const shortLine = (text: string) => (text.length > 60 ? `${text.slice(0, 60)}…` : text).replace(/\s+/g, ' ');

function SectionView(props: { section: ProfileSection; items: ProfileItem[]; sessions: SessionView[]; loading: boolean; restored: string | null }) {
  const { section, items, sessions, loading, restored } = props;
  const t = useT();
  const add = useProfileStore((state) => state.add);
  const [adding, setAdding] = useState(false);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<ErrorCode | 'empty' | null>(null);
  const headingId = `profile-${section}`;
  const fieldId = useId();
  const addButton = useRef<HTMLButtonElement>(null);

  async function submit() {
    if (text.trim() === '') {
      setProblem('empty');
      return;
    }
    const failed = await add(section, text);
    if (failed) setProblem(failed);
    else {
      setAdding(false);
      setText('');
      setProblem(null);
      addButton.current?.focus();
    }
  }

  return (
    <section className="profile-card" aria-labelledby={headingId} data-testid={`profile-${section}`}>
      <div className="row profile-card-head">
        <h3 id={headingId}>{t(`profile.section.${section}`)}</h3>
        {!adding && (
          <button
            type="button"
            ref={addButton}
            onClick={() => setAdding(true)}
            aria-label={t('profile.addTo', { section: t(`profile.section.${section}`) })}
          >
            {t('profile.add')}
          </button>
        )}
      </div>
      {adding && (
        <form
          className="profile-edit"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label htmlFor={fieldId}>{t(`profile.newItem.${section}`)}</label>
          <textarea id={fieldId} rows={2} value={text} autoFocus aria-invalid={problem !== null} onChange={(event) => setText(event.target.value)} />
          {problem && (
            <span className="field-error" role="alert">
              {problem === 'empty' ? t('profile.empty') : errorText(t, problem)}
            </span>
          )}
          <div className="row">
            <button type="submit" className="primary">
              {t('profile.save')}
            </button>
            <button
              type="button"
              onClick={() => {
                setAdding(false);
                setText('');
                setProblem(null);
                addButton.current?.focus();
              }}
            >
              {t('settings.cancel')}
            </button>
          </div>
        </form>
      )}
      {items.length === 0 && !adding && <p className="muted">{loading ? t('profile.loading') : t(`profile.none.${section}`)}</p>}
      {items.length > 0 && (
        <ul className="profile-items">
          {items.map((item) => {
            const id = `${item.entry.sessionId ?? ''}\n${item.entry.key}`;
            return <ItemView key={id} item={item} sessions={sessions} focus={restored === id} />;
          })}
        </ul>
      )}
    </section>
  );
}

function ItemView({ item, sessions, focus }: { item: ProfileItem; sessions: SessionView[]; focus: boolean }) {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const save = useProfileStore((state) => state.save);
  const forget = useProfileStore((state) => state.forget);
  const setView = useMemoryStore((state) => state.setView);
  const select = useMemoryStore((state) => state.select);
  const [editing, setEditing] = useState<string | null>(null);
  const [problem, setProblem] = useState<ErrorCode | 'empty' | null>(null);
  const [expanded, setExpanded] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const fieldId = useId();
  const { entry, value } = item;

  useEffect(() => {
    if (focus) editButton.current?.focus();
  }, [focus]);

  const tooLarge = value === undefined && entry.sizeBytes > PROFILE_VALUE_MAX_BYTES;
  const text = value === undefined ? '' : shownText(t, value);
  const short = !expanded && text.length > SHORT_CHARS ? `${text.slice(0, SHORT_CHARS)}…` : text;

  function openInStorage() {
    setView('storage');
    void select(entry);
  }

  async function submit() {
    if (editing === null) return;
    if (editing.trim() === '') {
      setProblem('empty');
      return;
    }
    const failed = await save(item, editing);
    if (failed) setProblem(failed);
    else {
      setEditing(null);
      setProblem(null);
      editButton.current?.focus();
    }
  }

  const changedLater = entry.updatedAt - entry.createdAt > 60_000;
  return (
    <li className="profile-item" data-key={entry.key}>
      {editing === null ? (
        <div className="profile-text" data-testid="profile-text">
          {tooLarge ? (
            <span className="muted">{t('profile.tooLarge', { size: formatBytes(entry.sizeBytes, language) })}</span>
          ) : value === undefined ? (
            <span className="muted">{t('profile.loading')}</span>
          ) : (
            short
          )}
          {text.length > SHORT_CHARS && (
            <button type="button" className="link-button" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
              {expanded ? t('profile.showLess') : t('profile.showMore')}
            </button>
          )}
        </div>
      ) : (
        <form
          className="profile-edit"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label htmlFor={fieldId}>{item.edit === 'lines' ? t('profile.editLines') : t('profile.editText')}</label>
          <textarea
            id={fieldId}
            rows={Math.min(8, Math.max(2, editing.split('\n').length))}
            value={editing}
            autoFocus
            aria-invalid={problem !== null}
            onChange={(event) => setEditing(event.target.value)}
          />
          {problem && (
            <span className="field-error" role="alert">
              {problem === 'empty' ? t('profile.emptyEdit') : errorText(t, problem)}
            </span>
          )}
          <div className="row">
            <button type="submit" className="primary">
              {t('profile.save')}
            </button>
            <button
              type="button"
              onClick={() => {
                setEditing(null);
                setProblem(null);
                editButton.current?.focus();
              }}
            >
              {t('settings.cancel')}
            </button>
          </div>
        </form>
      )}
      <div className="profile-meta muted" data-testid="profile-meta">
        {t('profile.learned', { date: formatDate(entry.createdAt, language) })}
        {' · '}
        {entry.provenance.sessionId ? (
          <>
            {t(entry.sessionId ? 'profile.onlyIn' : 'profile.inConversation')}{' '}
            <ConversationLink userId={entry.userId} sessionId={entry.provenance.sessionId} sessions={sessions} />
          </>
        ) : (
          t('profile.byStaff')
        )}
        {changedLater && ` · ${t('profile.changed', { date: formatDate(entry.updatedAt, language) })}`}
        {entry.learnedAt &&
          ` · ${t('profile.learnedAt', { desk: entry.learnedAt.deskName, store: entry.learnedAt.store, date: formatDateTime(entry.learnedAt.at, language) })}`}
      </div>
      {editing === null && (
        <div className="row profile-actions">
          {item.edit === 'structured' || tooLarge ? (
            <button type="button" onClick={openInStorage}>
              {t('profile.openInStorage')}
            </button>
          ) : (
            <button
              type="button"
              ref={editButton}
              disabled={value === undefined}
              aria-label={t('profile.editItem', { text: shortLine(text) })}
              onClick={() => {
                setEditing(editText(value));
                setProblem(null);
              }}
            >
              {t('profile.edit')}
            </button>
          )}
          <button type="button" className="danger" aria-label={t('profile.forgetItem', { text: shortLine(text) })} onClick={() => forget(item)}>
            {t('profile.forget')}
          </button>
        </div>
      )}
    </li>
  );
}

function Conversations({ userId, sessions, summaries }: { userId: string; sessions: SessionView[]; summaries: SummaryView[] }) {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const summarizeAfterDays = useAppStore((state) => state.settings?.quotas.summarizeAfterDays ?? defaultSettings.quotas.summarizeAfterDays);
  const recent = sessions.slice(0, RECENT_CONVERSATIONS);
  const summaryOf = (sessionId: string) => summaries.find((summary) => summary.sessionId === sessionId);
  return (
    <section className="profile-card profile-conversations" aria-labelledby="profile-conversations" data-testid="profile-conversations">
      <h3 id="profile-conversations">{t('profile.conversations')}</h3>
      {recent.length === 0 && <p className="muted">{t('profile.noConversations')}</p>}
      {recent.length > 0 && (
        <ul className="profile-items">
          {recent.map((session) => {
            const summary = summaryOf(session.sessionId);
            return (
              <li key={session.sessionId} className="profile-item">
                <div>
                  <ConversationLink userId={userId} sessionId={session.sessionId} sessions={sessions} />
                  <span className="muted">
                    {' · '}
                    {formatDateTime(session.lastEventAt ?? session.createdAt, language)}
                    {session.eventCount > 0 && ` · ${t('profile.messages', { count: session.eventCount })}`}
                  </span>
                </div>
                {summary ? (
                  <div className="profile-summary">
                    <p>{summary.summary}</p>
                    {summary.key_facts.length > 0 && (
                      <ul>
                        {summary.key_facts.map((fact, index) => (
                          <li key={index}>{fact}</li>
                        ))}
                      </ul>
                    )}
                    {summary.learnedAt && (
                      <p className="muted">
                        {t('profile.learnedAt', {
                          desk: summary.learnedAt.deskName,
                          store: summary.learnedAt.store,
                          date: formatDateTime(summary.learnedAt.at, language),
                        })}
                      </p>
                    )}
                  </div>
                ) : (
                  <p className="muted">{session.summarizedAt ? t('profile.summaryGone') : t('profile.noSummary', { days: summarizeAfterDays })}</p>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
