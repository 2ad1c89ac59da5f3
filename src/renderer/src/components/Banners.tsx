import { useT } from '../i18n';
import { useAppStore } from '../store/appStore';

/** States the staff must know about: a damaged data file, offline planner, demo store. */
export function Banners() {
  const t = useT();
  const info = useAppStore((state) => state.info);
  const loadError = useAppStore((state) => state.loadError);
  const notice = useAppStore((state) => state.notice);
  const setNotice = useAppStore((state) => state.setNotice);
  const setSettingsOpen = useAppStore((state) => state.setSettingsOpen);
  if (loadError) {
    return (
      <div className="banner banner-error" role="alert">
        {t('error.generic')}: {loadError}
      </div>
    );
  }
  if (!info) return null;
  return (
    <>
      {notice && (
        <div
          className={`banner banner-${notice.level === 'error' ? 'error' : notice.level}`}
          role={notice.level === 'info' ? 'status' : 'alert'}
          data-testid="notice"
        >
          {notice.code === 'bridge_disconnected'
            ? t('notice.disconnected')
            : notice.code === 'bridge_reconnected'
              ? t('notice.reconnected')
              : notice.message}
          <button type="button" className="banner-close" aria-label={t('settings.cancel')} onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      )}
      {info.storage.state === 'damaged' && (
        <div className="banner banner-error" role="alert" data-testid="storage-banner">
          <strong>{t('storage.damaged')}</strong>{' '}
          <button type="button" onClick={() => setSettingsOpen(true)}>
            {t('storage.openBackups')}
          </button>
        </div>
      )}
      {info.storage.state !== 'ok' && info.storage.state !== 'damaged' && (
        <div className="banner banner-error" role="alert" data-testid="storage-banner">
          <strong>{t(info.storage.state === 'corrupt' ? 'storage.corrupt' : 'storage.problem')}</strong>{' '}
          <button type="button" onClick={() => setSettingsOpen(true)}>
            {t('storage.openBackups')}
          </button>
          <details>
            <summary>{t('storage.details')}</summary>
            {info.storage.message}
          </details>
        </div>
      )}
      {info.modelProvider === 'offline' && (
        <div className="banner banner-info" role="status" data-testid="offline-banner">
          {t('mode.offline')}
        </div>
      )}
      {info.demoStore && (
        <div className="banner banner-warning" role="status" data-testid="demo-banner">
          {t('mode.demoStore')}
        </div>
      )}
    </>
  );
}
