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
    try {
      return await answer(handlers, logger, channel, request, context);
    } catch (error) {
      // Never a rejection: whatever went wrong (even outside the handler) is answered as a Result.
      logger?.error({ channel: typeof channel === 'string' ? channel.slice(0, 100) : typeof channel, ...errorFacts(error) }, 'dispatch failed');
      return { ok: false, error: toErrorShape(error) };
    }
  };
}

/**
 * How deeply a request may nest (objects and arrays). Deeper requests are refused as
 * `invalid_request` before any schema runs: validating them recursively could overflow the stack.
 */
export const MAX_REQUEST_DEPTH = 64;

/**
 * Whether `value` nests more than `max` levels, found without recursion (an explicit stack), and
 * stopping at the first level too deep; a cycle counts as too deep.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  const seen = new Set<object>();
  let visited = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    // A node met twice (a cycle, which never ends) or a value this large is not a request anyone sent on purpose.
    if (seen.has(node) || ++visited > 1_000_000) return true;
    seen.add(node);
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

async function answer(
  handlers: Handlers,
  logger: Logger | undefined,
  channel: unknown,
  request: unknown,
  context: CallContext,
): Promise<Result<unknown>> {
  if (!isChannelName(channel)) {
    return { ok: false, error: { code: 'unknown_channel', message: `Unknown channel: ${String(channel).slice(0, 100)}` } };
  }
  if (nestedDeeperThan(request, MAX_REQUEST_DEPTH)) {
    return {
      ok: false,
      error: { code: 'invalid_request', message: `Invalid request for ${channel}: nested more than ${MAX_REQUEST_DEPTH} levels deep` },
    };
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
}

/** Unwraps a Result for code inside main and tests. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new AppError(result.error.code, result.error.message, result.error.details);
}
