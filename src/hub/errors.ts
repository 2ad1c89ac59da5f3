import type { SyncErrorBody, SyncErrorCode } from '@shared/sync';

const STATUS: Record<SyncErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  enrollment_invalid: 401,
  too_large: 413,
  quota_exceeded: 422,
  cursor_unknown: 409,
  internal: 500,
  unavailable: 503,
};

/** A refusal the hub answers with `SyncErrorBody` and the code's HTTP status. */
export class HubError extends Error {
  readonly status: number;
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HubError';
    this.status = STATUS[code];
  }

  body(): SyncErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

/** PostgreSQL cannot be reached (down, restarting, out of connections): the client should retry later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    // Connection refused/reset, admin shutdown, cannot connect now, too many connections.
    if (
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300', '08006', '08001', '08003'].includes(code)
    )
      return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
    message,
  );
}
