import { useEffect, useState } from 'react';
import { formatBytes, formatDateTime } from '../format';
import { errorText, useT } from '../i18n';
import { useAppStore } from '../store/appStore';
import { useStorageStore } from '../store/storageStore';

/**
 * Settings › Backups: the copies of the data file, "back up now", restore one (the current file is
 * set aside, never deleted) and "start with an empty database" (the old file is set aside too).
 * Both ask first, naming what happens to the current file.
 */
export function BackupsSection() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const storageState = useAppStore((state) => state.info?.storage.state);
  const list = useStorageStore((state) => state.list);
  const busy = useStorageStore((state) => state.busy);
  const problem = useStorageStore((state) => state.problem);
  const load = useStorageStore((state) => state.load);
  const backupNow = useStorageStore((state) => state.backupNow);
  const restore = useStorageStore((state) => state.restore);
  const startEmpty = useStorageStore((state) => state.startEmpty);
  const [confirming, setConfirming] = useState<{ action: 'restore'; name: string; createdAt: number } | { action: 'empty' } | null>(null);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <fieldset data-testid="backups">
      <legend>{t('backups.title')}</legend>
      {storageState === 'damaged' && <p className="field-error">{t('backups.damagedHint')}</p>}
      <p className="muted">{list ? t('backups.where', { folder: list.folder, keep: list.keep }) : ''}</p>
      {list && list.backups.length === 0 && <p className="muted">{t('backups.none')}</p>}
      {list && list.backups.length > 0 && (
        <ul className="backup-list">
          {list.backups.map((backup) => (
            <li key={backup.name} data-testid="backup-row">
              <span>
                {formatDateTime(backup.createdAt, language)} · {t(`backups.reason.${backup.reason}`)} · {formatBytes(backup.bytes, language)}
              </span>
              <button
                type="button"
                disabled={busy !== null}
                onClick={() => setConfirming({ action: 'restore', name: backup.name, createdAt: backup.createdAt })}
              >
                {t('backups.restore')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="row">
        <button type="button" disabled={busy !== null || storageState !== 'ok'} onClick={() => void backupNow()}>
          {busy === 'backup' ? t('backups.working') : t('backups.now')}
        </button>
        <button type="button" disabled={busy !== null} onClick={() => setConfirming({ action: 'empty' })}>
          {t('backups.startEmpty')}
        </button>
      </div>
      {confirming && (
        <div className="confirm" role="alertdialog" aria-labelledby="backup-confirm-text">
          <p id="backup-confirm-text">
            {confirming.action === 'restore'
              ? t('backups.confirmRestore', { when: formatDateTime(confirming.createdAt, language) })
              : t('backups.confirmEmpty')}
          </p>
          <div className="row">
            <button type="button" onClick={() => setConfirming(null)}>
              {t('settings.cancel')}
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy !== null}
              onClick={() => {
                const chosen = confirming;
                setConfirming(null);
                void (chosen.action === 'restore' ? restore(chosen.name) : startEmpty());
              }}
            >
              {confirming.action === 'restore' ? t('backups.restoreConfirm') : t('backups.startEmptyConfirm')}
            </button>
          </div>
        </div>
      )}
      {(busy === 'restore' || busy === 'empty') && <p role="status">{t('backups.restarting')}</p>}
      {problem && (
        <p className="field-error" role="alert">
          {/* main's message is English and for the log: the code says it in the staff's language. */}
          {errorText(t, problem.code)}
        </p>
      )}
    </fieldset>
  );
}
