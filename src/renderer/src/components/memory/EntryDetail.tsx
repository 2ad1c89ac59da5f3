import { useState } from 'react';
import type { JsonValue } from '@shared/contract/memory';
import { formatBytes, formatDateTime } from '../../format';
import { useT } from '../../i18n';
import { useAppStore } from '../../store/appStore';
import { useMemoryStore } from '../../store/memoryStore';

/** The selected entry: its facts, its value as editable JSON, save and forget. */
export function EntryDetail() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const selected = useMemoryStore((state) => state.selected);
  const entryError = useMemoryStore((state) => state.entryError);
  const save = useMemoryStore((state) => state.save);
  const forget = useMemoryStore((state) => state.forget);
  const closeEntry = useMemoryStore((state) => state.closeEntry);
  const [draft, setDraft] = useState(() => JSON.stringify(selected?.value ?? null, null, 2));
  const [invalid, setInvalid] = useState(false);
  if (!selected) return null;

  function submit() {
    let value: JsonValue;
    try {
      value = JSON.parse(draft) as JsonValue;
    } catch {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    void save(selected!, value);
  }

  const provenance = selected.provenance.sessionId
    ? t('memory.provenanceValue', { session: selected.provenance.sessionId, turn: selected.provenance.turnId ?? '—' })
    : t('memory.provenanceNone');
  return (
    <section className="entry-detail" aria-labelledby="entry-title" data-testid="entry-detail">
      <div className="row">
        <h2 id="entry-title">{selected.key}</h2>
        <button type="button" onClick={closeEntry} aria-label={t('settings.cancel')}>
          ×
        </button>
      </div>
      <dl className="facts">
        <dt>{t('memory.customer')}</dt>
        <dd>{selected.userId}</dd>
        <dt>{t('memory.session')}</dt>
        <dd>{selected.sessionId ?? '—'}</dd>
        <dt>{t('memory.tier')}</dt>
        <dd data-testid="entry-tier">{t(`tier.${selected.tier}`)}</dd>
        <dt>{t('memory.size')}</dt>
        <dd>
          {formatBytes(selected.sizeBytes, language)}
          {selected.codec !== 'none' ? ` (${formatBytes(selected.storedBytes, language)} ${selected.codec})` : ''}
        </dd>
        <dt>{t('memory.created')}</dt>
        <dd>{formatDateTime(selected.createdAt, language)}</dd>
        <dt>{t('memory.lastRead')}</dt>
        <dd>{formatDateTime(selected.accessedAt, language)}</dd>
        <dt>{t('memory.expires')}</dt>
        <dd>{selected.expiresAt ? formatDateTime(selected.expiresAt, language) : t('memory.never')}</dd>
        <dt>{t('memory.provenance')}</dt>
        <dd data-testid="entry-provenance">{provenance}</dd>
      </dl>
      <label htmlFor="entry-value">{t('memory.value')}</label>
      <textarea
        id="entry-value"
        className="json-editor"
        rows={10}
        value={draft}
        spellCheck={false}
        aria-invalid={invalid}
        onChange={(event) => setDraft(event.target.value)}
      />
      {invalid && (
        <div className="field-error" role="alert">
          {t('memory.invalidJson')}
        </div>
      )}
      {entryError && (
        <div className="field-error" role="alert">
          {entryError}
        </div>
      )}
      <div className="row">
        <button type="button" className="primary" onClick={submit}>
          {t('memory.save')}
        </button>
        <button type="button" className="danger" onClick={() => void forget(selected)}>
          {t('memory.forget')}
        </button>
      </div>
    </section>
  );
}
