import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '@shared/errors';

export const LOCK_FILE_NAME = 'mm-assistant.lock';

/**
 * One app per data folder. Two processes on one folder (the desktop app and the bridge, or two
 * bridges) would each cache what the other changes or deletes, so the second one refuses to
 * start, naming the folder and the process that holds it. The lock is a file holding the owner's
 * pid, created exclusively; a lock whose process is gone (a crash, a kill) is taken over.
 * Returns the function that releases it.
 */
export function lockDataFolder(dir: string, onUnlockable: (error: unknown) => void, pid = process.pid): () => void {
  const file = path.join(dir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fd = fs.openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        // A folder the app cannot write to: storage will say so; there is nothing to share either.
        onUnlockable(error);
        return () => undefined;
      }
      const holder = holderOf(file);
      if (holder !== null && isAlive(holder)) {
        throw new AppError(
          'conflict',
          `Another MM Assistant (process ${holder}) is already using the data folder ${dir}. Close it first, or start this one with --user-data and another folder.`,
          { folder: dir, pid: holder },
        );
      }
      // Its owner is gone: the lock is stale.
      fs.rmSync(file, { force: true });
      continue;
    }
    fs.writeSync(fd, String(pid));
    fs.closeSync(fd);
    return () => {
      if (holderOf(file) === pid) fs.rmSync(file, { force: true });
    };
  }
  throw new AppError('conflict', `The data folder ${dir} is being locked and unlocked by another process; try again.`, { folder: dir });
}

function holderOf(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    // Gone or unreadable between two steps: no holder to respect.
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
