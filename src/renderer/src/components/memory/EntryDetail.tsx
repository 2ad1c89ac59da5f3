import { useState } from 'react';
import type { JsonValue } from '@shared/contract/memory';
import { formatBytes, formatDateTime } from '../../format';
import { errorText, useT } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useMemoryStore } from '../../store/memoryStore';
import { ConversationLink } from './ConversationLink';
import { Term } from './Term';

/** The editor's text for a value: a text as itself (no quotes), anything else as JSON. */
const editorText = (value: JsonValue) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/**
 * The selected entry: its facts, its value (plain text, or JSON when the box is ticked), save and
 * forget (asked first). The tier shown is where the entry is kept (warm or cold); whether it is in
 * the fast cache right now is said apart, so a save or a read does not seem to move it.
 */
export function EntryDetail() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const selected = useMemoryStore((state) => state.selected);
  const entryError = useMemoryStore((state) => state.entryError);
  const sessions = useMemoryStore((state) => state.entrySessions);
  const save = useMemoryStore((state) => state.save);
  const forget = useMemoryStore((state) => state.forget);
  const closeEntry = useMemoryStore((state) => state.closeEntry);
  const [draft, setDraft] = useState(() => (selected ? editorText(selected.value) : ''));
  const [asJson, setAsJson] = useState(() => typeof selected?.value !== 'string');
  const [invalid, setInvalid] = useState(false);
  const [confirming, setConfirming] = useState(false);

  if (!selected) return null;

  function submit() {
    let value: JsonValue = draft;
    if (asJson) {
      try {
        value = JSON.parse(draft) as JsonValue;
      } catch {
        setInvalid(true);
        return;
      }
    }
    setInvalid(false);
    void save(selected!, value);
  }

  return (
    <section className="entry-detail" aria-labelledby="entry-title" data-testid="entry-detail">
      <div className="row">
        <h3 id="entry-title">{selected.key}</h3>
        <button type="button" onClick={closeEntry} aria-label={t('common.close')}>
          ×
        </button>
      </div>
      <dl className="facts">
        <dt>{t('memory.customer')}</dt>
        <dd>{selected.userId}</dd>
        <dt>{t('memory.scope')}</dt>
        <dd>
          {selected.sessionId ? (
            <ConversationLink userId={selected.userId} sessionId={selected.sessionId} sessions={sessions} />
          ) : (
            t('memory.scope.customer')
          )}
        </dd>
        <dt>
          <Term label={t('memory.tier')} explain={t('term.tier')} />
        </dt>
        <dd data-testid="entry-tier">
          {t(`tier.${selected.storedTier}`)}
          {selected.tier === 'hot' ? ` · ${t('memory.inCache')}` : ''}
        </dd>
        <dt>{t('memory.size')}</dt>
        <dd>
          {formatBytes(selected.sizeBytes, language)}
          {selected.codec !== 'none'
            ? ` (${t('memory.storedAs', { size: formatBytes(selected.storedBytes, language), codec: selected.codec })})`
            : ''}
        </dd>
        <dt>{t('memory.created')}</dt>
        <dd>{formatDateTime(selected.createdAt, language)}</dd>
        <dt>{t('memory.lastRead')}</dt>
        <dd>{formatDateTime(selected.accessedAt, language)}</dd>
        <dt>{t('memory.expires')}</dt>
        <dd>{selected.expiresAt ? formatDateTime(selected.expiresAt, language) : t('memory.never')}</dd>
        <dt>{t('memory.provenance')}</dt>
        <dd data-testid="entry-provenance">
          {selected.provenance.sessionId ? (
            <>
              {t('memory.provenanceIn')} <ConversationLink userId={selected.userId} sessionId={selected.provenance.sessionId} sessions={sessions} />
            </>
          ) : (
            t('memory.provenanceNone')
          )}
          {selected.learnedAt &&
            ` · ${t('profile.learnedAt', { desk: selected.learnedAt.deskName, store: selected.learnedAt.store, date: formatDateTime(selected.learnedAt.at, language) })}`}
        </dd>
      </dl>
      <label htmlFor="entry-value">{t('memory.value')}</label>
      <textarea
        id="entry-value"
        className="json-editor"
        rows={8}
        value={draft}
        spellCheck={false}
        aria-invalid={invalid}
        aria-describedby="entry-value-hint"
        onChange={(event) => setDraft(event.target.value)}
      />
      <div className="field-inline row">
        <input id="entry-as-json" type="checkbox" checked={asJson} onChange={(event) => setAsJson(event.target.checked)} />
        <label htmlFor="entry-as-json">{t('memory.asJson')}</label>
      </div>
      <p className="muted" id="entry-value-hint">
        {asJson ? t('memory.asJsonHint') : t('memory.asTextHint')}
      </p>
      {invalid && (
        <div className="field-error" role="alert">
          {t('memory.invalidJson')}
        </div>
      )}
      {entryError && (
        <div className="field-error" role="alert">
          {errorText(t, entryError)}
        </div>
      )}
      <div className="row wrap">
        {/* Nothing changed, nothing to save (a save would also make the entry "entered by staff"). */}
        <button
          type="button"
          className="primary"
          onClick={submit}
          disabled={draft === editorText(selected.value) && asJson === (typeof selected.value !== 'string')}
        >
          {t('memory.save')}
        </button>
        {!confirming && (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            {t('memory.forget')}
          </button>
        )}
        {confirming && (
          <span className="confirm" role="alertdialog" aria-labelledby="forget-confirm-text">
            <span id="forget-confirm-text">{t('memory.forgetConfirm')}</span>
            <button type="button" className="danger" autoFocus onClick={() => void forget(selected)}>
              {t('memory.forgetConfirmYes')}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              {t('settings.cancel')}
            </button>
          </span>
        )}
      </div>
    </section>
  );
}
