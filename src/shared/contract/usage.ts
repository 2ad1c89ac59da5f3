import { z } from 'zod';
import type { ModelProvider, RunStatus } from './chat';
import { channel } from './define';
import { sessionIdSchema, userIdSchema } from './memory';

/** Token counts as Gemini reports them (or as the offline planner estimates them). No costs. */
export interface TokenCounts {
  promptTokens: number;
  outputTokens: number;
  /** Prompt tokens served from Gemini's context cache (included in `promptTokens`). */
  cachedTokens: number;
  totalTokens: number;
  modelCalls: number;
  /** True when any of the counts was estimated (offline planner), not reported by Gemini. */
  estimated: boolean;
}

/** One turn (agent run); `runId` is the `turnId` of the session events it wrote. */
export interface TurnUsage extends TokenCounts {
  runId: string;
  startedAt: number;
  provider: ModelProvider;
  model: string;
  status: RunStatus;
}

export interface UsageTotals extends TokenCounts {
  turns: number;
}

export interface UsageReport {
  /** The conversation asked for, its turns oldest first; null when no conversation was named. */
  conversation: { userId: string; sessionId: string; turns: TurnUsage[]; total: UsageTotals } | null;
  /** Every customer's turns started since local midnight on the machine running the app. */
  today: UsageTotals & { since: number };
}

export const usageChannels = {
  /** Token use per turn and in total for one conversation (userId + sessionId), and today's total. */
  'usage.get': channel<UsageReport>()(
    z
      .object({ userId: userIdSchema.optional(), sessionId: sessionIdSchema.optional() })
      .strict()
      .refine((request) => (request.userId === undefined) === (request.sessionId === undefined), {
        message: 'userId and sessionId name a conversation together; give both or neither',
        path: ['sessionId'],
      }),
  ),
};
