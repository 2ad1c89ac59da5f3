import { useT } from '../i18n';
import { useChatStore } from '../store/chatStore';
import { useStoreWaitStore } from '../store/storeWaitStore';

/**
 * "Đang chờ cửa hàng trả lời…" while a tool of the running answer waits for the store: no answer
 * after 2 s, queued behind the app's own request limit, or waiting to try again (with the seconds).
 * It lasts until the run's next event.
 */
export function StoreWaitNotice() {
  const t = useT();
  const runId = useChatStore((state) => state.run?.runId ?? null);
  const wait = useStoreWaitStore((state) => state.wait);
  if (!wait || wait.runId !== runId) return null;
  return (
    <div className="activity store-wait" role="status" aria-live="polite" data-testid="store-wait">
      <span className="spinner" aria-hidden="true" /> {t('chat.storeWait')}
      {wait.reason !== 'slow' && <span className="muted"> {t(`chat.storeWait.${wait.reason}`, { seconds: wait.seconds })}</span>}
    </div>
  );
}
