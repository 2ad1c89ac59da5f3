import { z } from 'zod';
import type { AppErrorShape } from '../errors';
import { channel, event } from './define';
import { sessionIdSchema, userIdSchema, type HistoryPage } from './memory';

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
  | { type: 'tool_result'; agent: string; callId: string; name: string; ok: boolean; result: Record<string, unknown> }
  | { type: 'transfer'; from: string; to: string }
  /** Gemini asked to wait (429 with Retry-After, or 503) and the run retries after `seconds`. */
  | { type: 'retry_wait'; agent: string; seconds: number; reason: 'rate_limited' | 'unavailable' }
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
  runId: string;
  sessionId: string;
  /** `offline` means the embedded planner answers (no API key): the UI says so. */
  mode: ModelProvider;
}

export const chatChannels = {
  'chat.send': channel<ChatSendResult>()(
    z
      .object({
        userId: userIdSchema,
        /** Omitted: a new session is created for this customer. */
        sessionId: sessionIdSchema.optional(),
        message: chatMessageSchema,
      })
      .strict(),
  ),
  'chat.cancel': channel<{ cancelled: boolean }>()(z.object({ runId: z.string().uuid() }).strict()),
  /** The session's events, newest page first (the session service's paging). */
  'chat.history': channel<HistoryPage>()(
    z
      .object({
        userId: userIdSchema,
        sessionId: sessionIdSchema,
        before: z.string().regex(/^\d{1,18}$/, 'cursor is not one this app gave out').optional(),
        limit: z.number().int().min(1).max(200).optional(),
      })
      .strict(),
  ),
};

export const chatEvents = {
  'chat.event': event<ChatEvent>(),
};
