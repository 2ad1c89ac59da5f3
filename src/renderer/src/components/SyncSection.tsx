import { useEffect, useState, type KeyboardEvent } from 'react';
import { syncProblems, type SyncProblem } from '@shared/contract/sync';
import { formatAge, formatCount } from '../format';
import { errorText, useT } from '../i18n';
import { useAppStore } from '../store/appStore';
import { useSyncStore } from '../store/syncStore';

const knownProblems: ReadonlySet<string> = new Set(syncProblems);

/**
 * Settings › "Đồng bộ / Sync": the hub address and the one-time code to join it, then this desk's
 * link (online or not, last sync, changes waiting, the last problem in the staff's language),
 * "sync now" and "leave the hub" (asked first: the desk's data stays).
 */
export function SyncSection() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const status = useSyncStore((state) => state.status);
  const busy = useSyncStore((state) => state.busy);
  const failure = useSyncStore((state) => state.failure);
  const load = useSyncStore((state) => state.load);
  const enroll = useSyncStore((state) => state.enroll);
  const syncNow = useSyncStore((state) => state.syncNow);
  const leave = useSyncStore((state) => state.leave);
  const [hubUrl, setHubUrl] = useState('');
  const [code, setCode] = useState('');
  const [confirmLeave, setConfirmLeave] = useState(false);
  // "5 minutes ago" stays true while the dialog is open.
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    void load();
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, [load]);

  async function submit() {
    if (await enroll(hubUrl, code)) setCode('');
  }

  // Inside the settings form: Enter enrolls rather than saving the settings.
  const enrollOnEnter = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    if (busy === null && hubUrl.trim() !== '' && code.trim() !== '') void submit();
  };

  const fieldError = (field: 'hubUrl' | 'code') =>
    failure?.fields[field] !== undefined ? (
      <span className="field-error" id={`sync-${field}-error`} role="alert">
        {field === 'hubUrl' ? t('sync.hubUrl.invalid') : t('sync.code.invalid')}
      </span>
    ) : null;
  const problem = (code: SyncProblem) => (knownProblems.has(code) ? t(`sync.problem.${code}`) : code);

  return (
    <fieldset data-testid="sync">
      <legend>{t('sync.title')}</legend>
      <p className="muted">{t('sync.intro')}</p>
      {status && !status.enrolled && (
        <div role="form" aria-label={t('sync.title')}>
          <p className="muted">{t('sync.notEnrolled')}</p>
          <div className="field">
            <label htmlFor="sync-hubUrl">{t('sync.hubUrl')}</label>
            <input
              id="sync-hubUrl"
              inputMode="url"
              value={hubUrl}
              placeholder={t('sync.hubUrl.placeholder')}
              aria-invalid={failure?.fields.hubUrl !== undefined}
              aria-describedby={failure?.fields.hubUrl !== undefined ? 'sync-hubUrl-error' : undefined}
              onChange={(event) => setHubUrl(event.target.value)}
              onKeyDown={enrollOnEnter}
            />
            {fieldError('hubUrl')}
          </div>
          <div className="field">
            <label htmlFor="sync-code">{t('sync.code')}</label>
            <input
              id="sync-code"
              autoComplete="off"
              value={code}
              placeholder={t('sync.code.placeholder')}
              aria-invalid={failure?.fields.code !== undefined}
              aria-describedby={failure?.fields.code !== undefined ? 'sync-code-error' : undefined}
              onChange={(event) => setCode(event.target.value)}
              onKeyDown={enrollOnEnter}
            />
            {fieldError('code')}
          </div>
          <div className="row">
            <button type="button" disabled={busy !== null || hubUrl.trim() === '' || code.trim() === ''} onClick={() => void submit()}>
              {busy === 'enroll' ? t('sync.enrolling') : t('sync.enroll')}
            </button>
          </div>
        </div>
      )}
      {status?.enrolled && (
        <div data-testid="sync-status">
          <p>{t('sync.desk', { desk: status.deskName ?? '?', store: status.store ?? '?', hub: status.hubUrl ?? '?' })}</p>
          <p role="status">
            <span className={status.online ? 'sync-online' : 'sync-offline'}>{status.online ? t('sync.online') : t('sync.offline')}</span>
            {' · '}
            {status.lastSyncAt === null
              ? t('sync.never')
              : t('sync.lastSync', { when: formatAge(status.lastSyncAt, Math.max(now, status.lastSyncAt), language) })}
            {' · '}
            {t('sync.pending', { count: formatCount(status.pending, language) })}
          </p>
          {status.rejected > 0 && <p className="field-error">{t('sync.rejected', { count: formatCount(status.rejected, language) })}</p>}
          {status.lastError && (
            <p className="field-error" data-testid="sync-problem">
              {t('sync.problem', {
                when: formatAge(status.lastError.at, Math.max(now, status.lastError.at), language),
                problem: problem(status.lastError.code),
              })}
            </p>
          )}
          <div className="row">
            <button type="button" disabled={busy !== null} onClick={() => void syncNow()}>
              {busy === 'sync' ? t('sync.syncing') : t('sync.now')}
            </button>
            <button type="button" disabled={busy !== null} onClick={() => setConfirmLeave(true)}>
              {t('sync.leave')}
            </button>
          </div>
          {confirmLeave && (
            <div className="confirm" role="alertdialog" aria-labelledby="sync-leave-text">
              <p id="sync-leave-text">{t('sync.leaveConfirm', { pending: formatCount(status.pending, language) })}</p>
              <div className="row">
                <button type="button" onClick={() => setConfirmLeave(false)}>
                  {t('settings.cancel')}
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    setConfirmLeave(false);
                    void leave();
                  }}
                >
                  {t('sync.leaveYes')}
                </button>
              </div>
            </div>
          )}
        </div>
      )}
      {failure && Object.keys(failure.fields).length === 0 && (
        <p className="field-error" role="alert">
          {errorText(t, failure.code)}
        </p>
      )}
    </fieldset>
  );
}
