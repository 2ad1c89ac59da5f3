import type { TurnUsage, usageChannels } from '@shared/contract/usage';
import { AppError } from '@shared/errors';
import type { HandlersFor } from '../core/dispatch';
import type { SqliteUsageRecorder } from './usageStore';

/** Local midnight of the day `now` falls in, and of the next day (DST days are 23 or 25 hours). */
export function localDay(now: number): { start: number; end: number } {
  const date = new Date(now);
  return {
    start: new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime(),
    end: new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1).getTime(),
  };
}

/**
 * `usage.get`: token use per turn and in total for one conversation, and today's total over every
 * customer. Without a data file nothing was recorded, so it answers `storage_unavailable`.
 */
export function createUsageHandlers(usage: SqliteUsageRecorder | null, now: () => number = Date.now): HandlersFor<keyof typeof usageChannels> {
  return {
    'usage.get': ({ userId, sessionId }) => {
      if (!usage) throw new AppError('storage_unavailable', 'Token usage needs the data file, which could not be opened.');
      const day = localDay(now());
      const conversation =
        userId !== undefined && sessionId !== undefined
          ? {
              userId,
              sessionId,
              turns: usage.forSession(userId, sessionId).map((turn): TurnUsage => ({
                runId: turn.runId,
                startedAt: turn.startedAt,
                provider: turn.provider,
                model: turn.model,
                status: turn.status,
                promptTokens: turn.promptTokens,
                outputTokens: turn.outputTokens,
                cachedTokens: turn.cachedTokens,
                totalTokens: turn.totalTokens,
                modelCalls: turn.modelCalls,
                estimated: turn.estimated,
              })),
              total: usage.totalForSession(userId, sessionId),
            }
          : null;
      return { conversation, today: { ...usage.totalBetween(day.start, day.end), since: day.start } };
    },
  };
}
