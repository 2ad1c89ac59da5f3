import type { SyncStatus, syncChannels } from '@shared/contract/sync';
import { AppError } from '@shared/errors';
import type { HandlersFor } from '../core/dispatch';
import type { SyncService } from './service';

/** What `sync.status` says without a data file: no hub, nothing waiting. */
const unavailableStatus: SyncStatus = {
  enrolled: false,
  hubUrl: null,
  deskName: null,
  store: null,
  online: false,
  lastSyncAt: null,
  pending: 0,
  rejected: 0,
  lastError: null,
  revision: 0,
};

/** `sync.*`; without a data file the status says "not enrolled" and the others answer `storage_unavailable`. */
export function createSyncHandlers(sync: SyncService | null): HandlersFor<keyof typeof syncChannels> {
  const need = (): SyncService => {
    if (!sync) throw new AppError('storage_unavailable', 'Sync is unavailable because the data file could not be opened.');
    return sync;
  };
  return {
    'sync.status': () => (sync ? sync.status() : unavailableStatus),
    'sync.enroll': ({ hubUrl, code }) => need().enroll(hubUrl, code),
    'sync.now': () => need().syncNow(),
    'sync.leave': () => need().leave(),
  };
}
