import { errorText, isErrorCode, useT, type Translate } from '../i18n';
import type { AppNotice } from '@shared/contract/app';
import { useAppStore } from '../store/appStore';

/** A notice from main or the connection, in the staff's language by its code (an error's text from main is for the log). */
function noticeText(t: Translate, notice: AppNotice): string {
  switch (notice.code) {
    case 'bridge_disconnected':
      return t('notice.disconnected');
    case 'bridge_reconnected':
      return t('notice.reconnected');
    case 'store_unavailable':
      return t('notice.storeNotApplied');
    default:
      // Notices of their own (an update is ready) come in the staff's language already.
      return isErrorCode(notice.code) ? errorText(t, notice.code) : notice.message;
  }
}

/**
 * States the staff must know about: a damaged data file, offline planner, demo store, notices.
 * The offline and demo-store banners and notices can be closed; a closed banner comes back when
 * its condition ends and starts again. The data-file banners stay: nothing is saved meanwhile.
 */
export function Banners() {
  const t = useT();
  const info = useAppStore((state) => state.info);
  const loadError = useAppStore((state) => state.loadError);
  const notice = useAppStore((state) => state.notice);
  const dismissed = useAppStore((state) => state.dismissed);
  const setNotice = useAppStore((state) => state.setNotice);
  const dismissBanner = useAppStore((state) => state.dismissBanner);
  const setSettingsOpen = useAppStore((state) => state.setSettingsOpen);
  if (loadError) {
    return (
      <div className="banner banner-error" role="alert">
        {t('error.generic')}: {errorText(t, loadError)}
      </div>
    );
  }
  if (!info) return null;
  return (
    <div className="banners">
      {notice && (
        <div
          className={`banner banner-${notice.level === 'error' ? 'error' : notice.level}`}
          role={notice.level === 'info' ? 'status' : 'alert'}
          data-testid="notice"
        >
          <span>{noticeText(t, notice)}</span>
          <button type="button" className="banner-close" aria-label={t('common.dismiss')} onClick={() => setNotice(null)}>
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
      {info.modelProvider === 'offline' && !dismissed.offline && (
        <div className="banner banner-info" role="status" data-testid="offline-banner">
          <span>{t('mode.offline')}</span>
          <button
            type="button"
            className="banner-close"
            aria-label={t('banner.dismiss', { banner: t('banner.offline') })}
            onClick={() => dismissBanner('offline')}
          >
            ×
          </button>
        </div>
      )}
      {info.demoStore && !dismissed.demo && (
        <div className="banner banner-warning" role="status" data-testid="demo-banner">
          <span>{t('mode.demoStore')}</span>
          <button
            type="button"
            className="banner-close"
            aria-label={t('banner.dismiss', { banner: t('banner.demo') })}
            onClick={() => dismissBanner('demo')}
          >
            ×
          </button>
        </div>
      )}
    </div>
  );
}
