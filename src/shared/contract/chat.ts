import { z } from 'zod';
import type { AppErrorShape } from '../errors';
import { channel, event } from './define';
import { sessionIdSchema, userIdSchema } from './memory';

export const chatMessageSchema = z.string().trim().min(1, 'message is empty').max(4000, 'message is longer than 4000 characters');

export type ModelProvider = 'gemini' | 'offline';
export type RunStatus = 'completed' | 'cancelled' | 'failed';

/** What a run streams, in order. `done` is always last. */
export type ChatEventBody =
  | { type: 'started'; agent: string; mode: ModelProvider }
  | { type: 'text'; agent: string; delta: string }
  /** A callback replaced the text streamed so far in this model turn. */
  | { type: 'text_replaced'; agent: string; text: string }
  | { type: 'tool_call'; agent: string; callId: string; name: string; args: unknown }
  /** Results of the product tools have the shapes in `toolResults.ts` (read them with `toolProducts`). */
  | { type: 'tool_result'; agent: string; callId: string; name: string; ok: boolean; result: Record<string, unknown> }
  | { type: 'transfer'; from: string; to: string }
  /** Gemini asked to wait (429 with Retry-After, or 503) and the run retries after `seconds`. */
  | { type: 'retry_wait'; agent: string; seconds: number; reason: 'rate_limited' | 'unavailable' }
  /**
   * A tool's store call keeps the staff waiting: no answer yet after 2 s (`slow`), queued behind the
   * app's request limit (`queued`, about `seconds` more), or waiting `seconds` to try again. Lasts
   * until the run's next event.
   */
  | { type: 'store_wait'; agent: string; callId: string; reason: 'slow' | 'queued' | 'retrying'; seconds: number }
  | {
      type: 'usage';
      promptTokens: number;
      outputTokens: number;
      cachedTokens: number;
      totalTokens: number;
      estimated: boolean;
      modelCalls: number;
    }
  | { type: 'error'; error: AppErrorShape }
  | { type: 'done'; status: RunStatus; text: string };

export type ChatEvent = ChatEventBody & { runId: string; sessionId: string; userId: string; seq: number };

export interface ChatSendResult {
  /** The run id the renderer chose (echoed back). */
  runId: string;
  sessionId: string;
  /** `offline` means the embedded planner answers (no API key): the UI says so. */
  mode: ModelProvider;
}

/**
 * A run's id. The renderer makes a fresh one (a random UUID) for each message and sends it with
 * `chat.send`, so it knows which run the `chat.event`s belong to before the first one arrives; main
 * refuses an id that is already in use with `conflict`.
 */
export const runIdSchema = z.uuid('run id must be a UUID');

/**
 * Whether a run is still under way in main. The renderer asks when it may have missed the run's
 * events (the bridge's event stream came back after a drop): a run that is not running has ended
 * and stored everything it will store, or was never started here (an unknown id).
 */
export interface ChatRunStatus {
  running: boolean;
}

export const chatChannels = {
  'chat.send': channel<ChatSendResult>()(
    z
      .object({
        userId: userIdSchema,
        /** Omitted: a new session is created for this customer. */
        sessionId: sessionIdSchema.optional(),
        message: chatMessageSchema,
        runId: runIdSchema,
      })
      .strict(),
  ),
  'chat.cancel': channel<{ cancelled: boolean }>()(z.object({ runId: runIdSchema }).strict()),
  'chat.status': channel<ChatRunStatus>()(z.object({ runId: runIdSchema }).strict()),
  // A session's events are paged by `sessions.history` (memory contract); the chat reads them there.
};

export const chatEvents = {
  'chat.event': event<ChatEvent>(),
};
