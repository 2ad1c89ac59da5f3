import type { Migration } from '../database';

/**
 * Prompt tokens Gemini served from its context cache, per turn; "today" totals by start time; and
 * usage rows (which carry the customer's id) deleted with their conversation, so erasing a
 * customer leaves nothing of theirs behind.
 */
export const agentCachedTokensMigration: Migration = {
  version: 5,
  name: 'agent: cached tokens per turn, usage by day',
  up(db) {
    db.exec(`
      ALTER TABLE agent_turn_usage ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX agent_turn_usage_by_start ON agent_turn_usage (started_at);
      CREATE TRIGGER agent_turn_usage_follows_session AFTER DELETE ON memory_sessions
      BEGIN
        DELETE FROM agent_turn_usage WHERE user_id = OLD.user_id AND session_id = OLD.session_id;
      END;
      DELETE FROM agent_turn_usage WHERE NOT EXISTS (
        SELECT 1 FROM memory_sessions s WHERE s.user_id = agent_turn_usage.user_id AND s.session_id = agent_turn_usage.session_id
      );
    `);
  },
};
