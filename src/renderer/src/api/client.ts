import type { ChannelName, RequestOf, ResponseOf } from '../../../shared/contract';
import type { AppErrorShape } from '../../../shared/errors';

/** A contract failure, thrown in the renderer so components can show `code`-specific messages. */
export class ApiError extends Error {
  readonly code: AppErrorShape['code'];
  readonly details?: unknown;
  constructor(shape: AppErrorShape) {
    super(shape.message);
    this.code = shape.code;
    this.details = shape.details;
  }
}

/** Calls a contract channel through `window.api` and throws an ApiError on failure. */
export async function call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const result = await window.api.invoke(channel, request);
  if (!result.ok) throw new ApiError(result.error);
  return result.value;
}

/** The field paths a validation error names, e.g. `storeEndpoint` or `quotas.warmUserBytes`. */
export function fieldErrors(error: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  if (error instanceof ApiError && error.code === 'invalid_request' && Array.isArray(error.details)) {
    for (const issue of error.details as { path: string[]; message: string }[]) fields.set(issue.path.join('.'), issue.message);
  }
  return fields;
}
