import fs from 'node:fs';

/** Owner-only modes for the app's folders and files (customers' data, logs, backups), where the OS has such modes (not Windows). */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Tightens a path to `mode` where the OS has such modes. Returns the failure (absent, not ours to
 * change) instead of throwing: the caller logs it if it can, and the file is still used.
 */
export function restrictMode(target: string, mode: number, platform: NodeJS.Platform = process.platform): unknown {
  if (platform === 'win32') return null;
  try {
    if ((fs.statSync(target).mode & 0o777) !== mode) fs.chmodSync(target, mode);
    return null;
  } catch (error) {
    return error;
  }
}

/** Creates a folder owner-only, tightening one left wider (an earlier version, a folder made by hand). Throws when it cannot be made. */
export function makePrivateDir(dir: string, platform: NodeJS.Platform = process.platform): unknown {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return restrictMode(dir, PRIVATE_DIR_MODE, platform);
}
