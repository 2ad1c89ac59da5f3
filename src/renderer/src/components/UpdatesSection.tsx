import { useEffect, useState } from 'react';
import type { UpdateStatus } from '@shared/contract/updates';
import { fieldErrors } from '../api/client';
import { formatDateTime } from '../format';
import { errorText, useT, type Translate } from '../i18n';
import { useAppStore } from '../store/appStore';
import { useUpdatesStore } from '../store/updatesStore';

function stateText(t: Translate, status: UpdateStatus): string {
  const version = status.availableVersion ?? '';
  switch (status.state) {
    case 'unsupported':
      return t(status.unsupportedReason === 'not_packaged' ? 'updates.state.unsupported.not_packaged' : 'updates.state.unsupported.bridge');
    case 'downloading':
      return t('updates.state.downloading', { version, percent: status.percent ?? 0 });
    case 'downloaded':
      return t('updates.state.downloaded', { version });
    case 'error':
      return t('updates.state.error', { error: status.error ?? '' });
    default:
      return t(`updates.state.${status.state}`);
  }
}

/**
 * Settings › Updates: the switch (off means nothing is checked, downloaded or installed), the
 * update server for IT staff, where the update stands, "check now", and "Cập nhật khi thoát" once
 * an update is downloaded: without it nothing is ever installed.
 */
export function UpdatesSection() {
  const t = useT();
  const language = useAppStore((state) => state.language);
  const settings = useAppStore((state) => state.settings);
  const saveSettings = useAppStore((state) => state.saveSettings);
  const status = useUpdatesStore((state) => state.status);
  const busy = useUpdatesStore((state) => state.busy);
  const problem = useUpdatesStore((state) => state.problem);
  const load = useUpdatesStore((state) => state.load);
  const check = useUpdatesStore((state) => state.check);
  const consent = useUpdatesStore((state) => state.consent);
  const follow = useUpdatesStore((state) => state.follow);
  const savedFeed = settings?.updateFeedUrl ?? '';
  const [feed, setFeed] = useState(savedFeed);
  const [feedRefused, setFeedRefused] = useState(false);
  const [saveProblem, setSaveProblem] = useState<string | null>(null);

  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);
  useEffect(() => setFeed(savedFeed), [savedFeed]);

  async function save(patch: { updatesEnabled: boolean } | { updateFeedUrl: string }): Promise<void> {
    try {
      await saveSettings(patch);
      setFeedRefused(false);
      setSaveProblem(null);
      await load();
    } catch (error) {
      const fields = fieldErrors(error);
      setFeedRefused(fields.has('updateFeedUrl'));
      setSaveProblem(fields.size > 0 ? null : errorText(t, (error as { code?: string }).code));
    }
  }

  const supported = status !== null && status.state !== 'unsupported';
  const enabled = settings?.updatesEnabled ?? true;
  return (
    <fieldset data-testid="updates">
      <legend>{t('updates.title')}</legend>
      <div className="field field-inline">
        <input
          id="setting-updatesEnabled"
          type="checkbox"
          checked={enabled}
          onChange={(event) => void save({ updatesEnabled: event.target.checked })}
        />
        <label htmlFor="setting-updatesEnabled">{t('updates.enabled')}</label>
      </div>
      <div className="field">
        <label htmlFor="setting-updateFeedUrl">{t('updates.feedUrl')}</label>
        <div className="row">
          <input
            id="setting-updateFeedUrl"
            inputMode="url"
            value={feed}
            placeholder={status?.buildFeedUrl ?? ''}
            aria-invalid={feedRefused}
            aria-describedby={feedRefused ? 'setting-updateFeedUrl-error' : undefined}
            onChange={(event) => setFeed(event.target.value)}
          />
          <button type="button" disabled={feed === savedFeed} onClick={() => void save({ updateFeedUrl: feed })}>
            {t('updates.feedUrl.save')}
          </button>
        </div>
        {feedRefused && (
          <span className="field-error" id="setting-updateFeedUrl-error" role="alert">
            {t('validation.field.updateFeedUrl')}
          </span>
        )}
      </div>
      {status && (
        <div data-testid="update-status">
          <p className="muted">
            {t('updates.current', { version: status.currentVersion })} ·{' '}
            {status.feedUrl ? t('updates.server', { url: status.feedUrl }) : t('updates.server.none')}
          </p>
          <p role="status" className={status.state === 'error' ? 'field-error' : undefined}>
            {stateText(t, status)}
          </p>
          {status.lastCheckedAt !== null && (
            <p className="muted">{t('updates.lastChecked', { when: formatDateTime(status.lastCheckedAt, language) })}</p>
          )}
          {status.state === 'downloaded' && status.installOnQuit && (
            <p data-testid="update-consented">{t('updates.installOnQuit.agreed', { version: status.availableVersion ?? '' })}</p>
          )}
        </div>
      )}
      <div className="row">
        <button
          type="button"
          disabled={!supported || !enabled || busy || status?.state === 'checking' || status?.state === 'downloading'}
          onClick={() => void check()}
        >
          {t('updates.check')}
        </button>
        {status?.state === 'downloaded' &&
          (status.installOnQuit ? (
            <button type="button" disabled={busy} onClick={() => void consent(false)}>
              {t('updates.installOnQuit.cancel')}
            </button>
          ) : (
            <button type="button" className="primary" disabled={busy || !enabled} onClick={() => void consent(true)}>
              {t('updates.installOnQuit')}
            </button>
          ))}
      </div>
      {(problem || saveProblem) && (
        <p className="field-error" role="alert">
          {saveProblem ?? (problem ? errorText(t, problem.code) : '')}
        </p>
      )}
    </fieldset>
  );
}
