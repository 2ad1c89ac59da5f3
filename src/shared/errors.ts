/**
 * Typed errors shared by main, preload, bridge and renderer. Every failure that crosses the
 * contract is an `AppErrorShape`; inside main it travels as an `AppError`.
 */
export const errorCodes = [
  'invalid_request',
  'unknown_channel',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'busy',
  'cancelled',
  'timeout',
  'closed',
  'storage_unavailable',
  'migration_failed',
  'quota_exceeded',
  'storage_full',
  'storage_damaged',
  'storage_read_only',
  'store_unavailable',
  /** The sync hub could not be reached, or refused this desk (enrollment, token). */
  'sync_unavailable',
  'store_error',
  'store_input',
  'store_not_found',
  'cart_error',
  'rate_limited',
  'circuit_open',
  'model_error',
  'tool_error',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface AppErrorShape {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  toShape(): AppErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Turns anything thrown into the shape the contract carries; unknown errors become `internal`. */
export function toErrorShape(error: unknown): AppErrorShape {
  if (error instanceof AppError) return error.toShape();
  const sqliteCode = (error as { code?: unknown } | null)?.code;
  if (typeof sqliteCode === 'string') {
    // SQLite's refusal when the disk (or the file's size cap) is full: nothing was written, and
    // writes work again once there is room. The raw SQLite text never reaches staff.
    if (sqliteCode === 'SQLITE_FULL') {
      return {
        code: 'storage_full',
        message: 'The disk is full: nothing was saved. Free some space and try again; everything saved before is kept.',
      };
    }
    // Damage found while working (the file changed under the app, a disk fault): the app stops writing to it.
    if (sqliteCode === 'SQLITE_NOTADB' || sqliteCode.startsWith('SQLITE_CORRUPT')) {
      return {
        code: 'storage_damaged',
        message:
          'The data file is damaged: the app has switched to read-only safe mode. Restore a backup in Settings; nothing more is written to the damaged file.',
      };
    }
    // Safe mode (`PRAGMA query_only`) refuses every write at the SQLite level.
    if (sqliteCode.startsWith('SQLITE_READONLY')) {
      return {
        code: 'storage_read_only',
        message: 'The app is in read-only safe mode because the data file is damaged: nothing was saved. Restore a backup in Settings.',
      };
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorShape };
