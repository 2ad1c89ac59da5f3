import type { UsageTotals } from '@shared/contract/usage';
import type { Db } from '../storage/database';
import type { TurnUsageRecord, UsageRecorder } from './runner';

/** A recorded turn; `cachedTokens` is 0 for turns recorded before it was counted (migration 5). */
export type StoredTurnUsage = TurnUsageRecord & { cachedTokens: number };

/** Per-turn token use in SQLite (`agent_turn_usage`, migrations 4 and 5). */
export class SqliteUsageRecorder implements UsageRecorder {
  private readonly insert;
  private readonly byRunId;
  private readonly bySession;
  private readonly sessionTotal;
  private readonly rangeTotal;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO agent_turn_usage (run_id, user_id, session_id, provider, model, status, model_calls, prompt_tokens,
         output_tokens, cached_tokens, total_tokens, estimated, started_at, finished_at)
       VALUES (@runId, @userId, @sessionId, @provider, @model, @status, @modelCalls, @promptTokens, @outputTokens,
         @cachedTokens, @totalTokens, @estimated, @startedAt, @finishedAt)
       ON CONFLICT (run_id) DO NOTHING`,
    );
    this.byRunId = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM agent_turn_usage WHERE run_id = ?');
    this.bySession = db.prepare<[string, string], UsageRow>(
      `SELECT run_id, user_id, session_id, provider, model, status, model_calls, prompt_tokens, output_tokens, cached_tokens,
         total_tokens, estimated, started_at, finished_at
       FROM agent_turn_usage WHERE user_id = ? AND session_id = ? ORDER BY started_at, rowid`,
    );
    const totals = `SELECT count(*) AS turns, total(model_calls) AS model_calls, total(prompt_tokens) AS prompt_tokens,
         total(output_tokens) AS output_tokens, total(cached_tokens) AS cached_tokens, total(total_tokens) AS total_tokens,
         ifnull(max(estimated), 0) AS estimated
       FROM agent_turn_usage`;
    this.sessionTotal = db.prepare<[string, string], TotalsRow>(`${totals} WHERE user_id = ? AND session_id = ?`);
    this.rangeTotal = db.prepare<[number, number], TotalsRow>(`${totals} WHERE started_at >= ? AND started_at < ?`);
  }

  record(row: TurnUsageRecord & { cachedTokens?: number }): void {
    this.insert.run({ ...row, cachedTokens: row.cachedTokens ?? 0, estimated: row.estimated ? 1 : 0 });
  }

  knows(runId: string): boolean {
    return this.byRunId.get(runId) !== undefined;
  }

  /** The conversation's turns, oldest first. */
  forSession(userId: string, sessionId: string): StoredTurnUsage[] {
    return this.bySession.all(userId, sessionId).map((row) => ({
      runId: row.run_id,
      userId: row.user_id,
      sessionId: row.session_id,
      provider: row.provider,
      model: row.model,
      status: row.status,
      modelCalls: row.model_calls,
      promptTokens: row.prompt_tokens,
      outputTokens: row.output_tokens,
      cachedTokens: row.cached_tokens,
      totalTokens: row.total_tokens,
      estimated: row.estimated === 1,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    }));
  }

  totalForSession(userId: string, sessionId: string): UsageTotals {
    return totalsOf(this.sessionTotal.get(userId, sessionId));
  }

  /** Every customer's turns started in [from, to). */
  totalBetween(from: number, to: number): UsageTotals {
    return totalsOf(this.rangeTotal.get(from, to));
  }
}

function totalsOf(row: TotalsRow | undefined): UsageTotals {
  return {
    turns: row?.turns ?? 0,
    modelCalls: row?.model_calls ?? 0,
    promptTokens: row?.prompt_tokens ?? 0,
    outputTokens: row?.output_tokens ?? 0,
    cachedTokens: row?.cached_tokens ?? 0,
    totalTokens: row?.total_tokens ?? 0,
    estimated: row?.estimated === 1,
  };
}

interface UsageRow {
  run_id: string;
  user_id: string;
  session_id: string;
  provider: TurnUsageRecord['provider'];
  model: string;
  status: TurnUsageRecord['status'];
  model_calls: number;
  prompt_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  total_tokens: number;
  estimated: number;
  started_at: number;
  finished_at: number;
}

interface TotalsRow {
  turns: number;
  model_calls: number;
  prompt_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  total_tokens: number;
  estimated: number;
}
