import type { Migration } from '../database';

/** Token use per agent run (turn): reported by Gemini, or estimated by the offline planner. */
export const agentMigration: Migration = {
  version: 4,
  name: 'agent: per-turn token usage',
  up(db) {
    db.exec(`
      CREATE TABLE agent_turn_usage (
        run_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        provider TEXT NOT NULL CHECK (provider IN ('gemini', 'offline')),
        model TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('completed', 'cancelled', 'failed')),
        model_calls INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL,
        estimated INTEGER NOT NULL CHECK (estimated IN (0, 1)),
        started_at INTEGER NOT NULL,
        finished_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX agent_turn_usage_by_session ON agent_turn_usage (user_id, session_id, started_at);
    `);
  },
};
