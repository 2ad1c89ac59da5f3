import { z } from 'zod';
import { contract, isChannelName, type ChannelName, type ParsedRequestOf, type ResponseOf } from '@shared/contract';
import { AppError, isAppError, toErrorShape, type Result } from '@shared/errors';
import { errorFacts, type Logger } from './logger';

export interface CallContext {
  /** Which transport the call came through. */
  transport: 'ipc' | 'bridge' | 'test';
}

export type Handler<C extends ChannelName> = (request: ParsedRequestOf<C>, context: CallContext) => ResponseOf<C> | Promise<ResponseOf<C>>;

export type HandlersFor<C extends ChannelName> = { [K in C]: Handler<K> };
export type Handlers = HandlersFor<ChannelName>;

export type Dispatch = (channel: unknown, request: unknown, context: CallContext) => Promise<Result<unknown>>;

/**
 * The one place every request goes through, whatever the transport: the channel must exist, the
 * request must match its schema (else `invalid_request` and the handler never runs), and any
 * failure becomes a typed error.
 */
export function createDispatch(handlers: Handlers, logger?: Logger): Dispatch {
  return async (channel, request, context) => {
    if (!isChannelName(channel)) {
      return { ok: false, error: { code: 'unknown_channel', message: `Unknown channel: ${String(channel).slice(0, 100)}` } };
    }
    const schema: z.ZodType = contract[channel].request;
    const parsed = schema.safeParse(request ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'invalid_request',
          message: `Invalid request for ${channel}: ${z.prettifyError(parsed.error)}`,
          details: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), code: issue.code, message: issue.message })),
        },
      };
    }
    try {
      const handler = handlers[channel] as (req: unknown, ctx: CallContext) => unknown;
      const value = await handler(parsed.data, context);
      return { ok: true, value };
    } catch (error) {
      // Typed errors are answers (not found, busy, ...); anything else is a fault worth reading later.
      // Neither the request nor the error's message is logged: both can carry a customer's data
      // (a memory value, a chat message); the fault's type, code and stack frames say where it was.
      if (isAppError(error)) logger?.debug({ channel, code: error.code }, 'request refused');
      else logger?.error({ channel, ...errorFacts(error) }, 'request failed');
      return { ok: false, error: toErrorShape(error) };
    }
  };
}

/** Unwraps a Result for code inside main and tests. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new AppError(result.error.code, result.error.message, result.error.details);
}
