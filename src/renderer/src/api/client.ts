import type { ChannelName, RequestOf, ResponseOf } from '@shared/contract';
import type { AppErrorShape } from '@shared/errors';

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

export interface FieldIssue {
  /** zod's issue code (`too_small`, `invalid_format`, ...), for a message in the staff's language. */
  code: string;
  message: string;
}

/** The field paths a validation error names, e.g. `storeEndpoint` or `quotas.warmUserBytes`. */
export function fieldErrors(error: unknown): Map<string, FieldIssue> {
  const fields = new Map<string, FieldIssue>();
  if (error instanceof ApiError && error.code === 'invalid_request' && Array.isArray(error.details)) {
    for (const issue of error.details as { path: string[]; code?: string; message: string }[]) {
      fields.set(issue.path.join('.'), { code: issue.code ?? 'custom', message: issue.message });
    }
  }
  return fields;
}
