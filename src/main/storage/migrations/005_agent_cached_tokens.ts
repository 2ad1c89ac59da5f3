import type { Migration } from '../database';

/** Prompt tokens Gemini served from its context cache, per turn; and "today" totals by start time. */
export const agentCachedTokensMigration: Migration = {
  version: 5,
  name: 'agent: cached tokens per turn, usage by day',
  up(db) {
    db.exec(`
      ALTER TABLE agent_turn_usage ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX agent_turn_usage_by_start ON agent_turn_usage (started_at);
    `);
  },
};
