import type { Db } from '../storage/database';
import type { TurnUsageRecord, UsageRecorder } from './runner';

/** Per-turn token use in SQLite (`agent_turn_usage`, migration 4). */
export class SqliteUsageRecorder implements UsageRecorder {
  private readonly insert;
  private readonly bySession;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO agent_turn_usage (run_id, user_id, session_id, provider, model, status, model_calls, prompt_tokens,
         output_tokens, total_tokens, estimated, started_at, finished_at)
       VALUES (@runId, @userId, @sessionId, @provider, @model, @status, @modelCalls, @promptTokens, @outputTokens,
         @totalTokens, @estimated, @startedAt, @finishedAt)
       ON CONFLICT (run_id) DO NOTHING`,
    );
    this.bySession = db.prepare<[string, string], UsageRow>(
      `SELECT run_id, user_id, session_id, provider, model, status, model_calls, prompt_tokens, output_tokens, total_tokens,
         estimated, started_at, finished_at
       FROM agent_turn_usage WHERE user_id = ? AND session_id = ? ORDER BY started_at, rowid`,
    );
  }

  record(row: TurnUsageRecord): void {
    this.insert.run({ ...row, estimated: row.estimated ? 1 : 0 });
  }

  forSession(userId: string, sessionId: string): TurnUsageRecord[] {
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
      totalTokens: row.total_tokens,
      estimated: row.estimated === 1,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    }));
  }
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
  total_tokens: number;
  estimated: number;
  started_at: number;
  finished_at: number;
}
