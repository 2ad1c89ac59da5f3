import type { StorageReplaced, storageChannels } from '@shared/contract/storage';
import { AppError } from '@shared/errors';
import type { HandlersFor } from '../core/dispatch';
import type { BackupStore } from './backups';
import type { StorageGuard } from './guard';

/**
 * `storage.*`: backups listed, taken, restored; a fresh start. A restore or a fresh start is staged
 * (a file beside the data file) and carried out by `restart`, which closes every service, finishes
 * the change before the file is opened again and starts the services on it.
 */
export function createStorageHandlers(deps: {
  backups: BackupStore;
  guard: StorageGuard;
  keep: () => number;
  /** Restarts the services on the changed file; what the restart did. Absent: the change waits for the next start. */
  restart: (() => Promise<StorageReplaced | null>) | null;
}): HandlersFor<keyof typeof storageChannels> {
  const { backups, guard } = deps;
  const replaceAndRestart = async (): Promise<StorageReplaced> => {
    if (!deps.restart) return { restarted: false, setAside: null, restoredFrom: null };
    const replaced = await deps.restart();
    if (!replaced) throw new AppError('internal', 'The services restarted but the staged change was not carried out; the data file is unchanged.');
    return replaced;
  };
  return {
    'storage.backups': () => ({ backups: backups.list(), keep: deps.keep(), folder: backups.dir }),
    'storage.backupNow': () => guard.backupNow(),
    'storage.restore': ({ name }) => {
      backups.stage({ action: 'restore', name });
      return replaceAndRestart();
    },
    'storage.startEmpty': () => {
      backups.stage({ action: 'empty' });
      return replaceAndRestart();
    },
  };
}
