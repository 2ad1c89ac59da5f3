import { z } from 'zod';
import { channel } from './define';

/** Why a backup was taken. */
export type BackupReason = 'daily' | 'migration' | 'manual';

/** One backup copy of the data file, in the `backups` folder of the user-data folder. */
export interface BackupInfo {
  /** The file name, which is also its id (`mm-assistant-20261201T020000Z-daily.sqlite`). */
  name: string;
  reason: BackupReason;
  createdAt: number;
  bytes: number;
}

export interface BackupList {
  backups: BackupInfo[];
  /** How many daily backups are kept (Settings); migration and manual ones are kept as many. */
  keep: number;
  folder: string;
}

/**
 * What a restore or a fresh start did: the file it set aside (never deleted), the backup put in its
 * place. `restarted` false: the change is staged and happens at the next start.
 */
export interface StorageReplaced {
  restarted: boolean;
  setAside: string | null;
  restoredFrom: string | null;
}

const empty = z.object({}).strict();
/** A backup file name as `storage.backups` lists it: no path, no traversal. */
export const backupNameSchema = z
  .string()
  .regex(/^mm-assistant-\d{8}T\d{6}(?:\d{3})?Z-(?:daily|migration|manual)\.sqlite$/, 'not a backup file name from the list');

export const storageChannels = {
  'storage.backups': channel<BackupList>()(empty),
  'storage.backupNow': channel<BackupInfo>()(empty),
  /** Sets the current file aside and puts the backup in its place; the app's services restart on it before this answers. */
  'storage.restore': channel<StorageReplaced>()(z.object({ name: backupNameSchema }).strict()),
  /** Sets the current file aside and starts with an empty one; the services restart before this answers. */
  'storage.startEmpty': channel<StorageReplaced>()(z.object({ confirm: z.literal(true) }).strict()),
};
