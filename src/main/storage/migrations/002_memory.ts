import type { Migration } from '../database';

/**
 * Tiered memory. Hot is an in-process cache, so only warm and cold have rows. One FTS5 index
 * (contentless, secure-delete so a forgotten customer leaves no terms behind) covers memories,
 * messages and summaries; its rowid encodes the source (see `searchRowid` in memory/search/searchIndex.ts).
 */
export const memoryMigration: Migration = {
  version: 2,
  name: 'memory: sessions, events, entries, summaries, usage, search index, jobs',
  up(db) {
    db.exec(`
      CREATE TABLE memory_sessions (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        title TEXT,
        created_at INTEGER NOT NULL,
        summarized_at INTEGER,
        UNIQUE (user_id, session_id)
      ) STRICT;

      CREATE TABLE memory_events (
        seq INTEGER PRIMARY KEY,
        session_row INTEGER NOT NULL REFERENCES memory_sessions(id) ON DELETE CASCADE,
        event_id TEXT NOT NULL,
        author TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('message', 'tool_call', 'tool_result', 'transfer', 'error', 'summary')),
        content TEXT NOT NULL,
        turn_id TEXT,
        timestamp INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        UNIQUE (session_row, event_id)
      ) STRICT;
      CREATE INDEX memory_events_by_session ON memory_events(session_row);

      CREATE TABLE memory_entries (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        key TEXT NOT NULL,
        tier TEXT NOT NULL CHECK (tier IN ('warm', 'cold')),
        codec TEXT NOT NULL CHECK (codec IN ('none', 'brotli', 'gzip')),
        value ANY NOT NULL,
        size INTEGER NOT NULL,
        stored_bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        accessed_at INTEGER NOT NULL,
        expires_at INTEGER,
        source_session_id TEXT,
        source_turn_id TEXT,
        UNIQUE (user_id, session_id, key)
      ) STRICT;
      CREATE INDEX memory_entries_expiring ON memory_entries(expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE memory_summaries (
        id INTEGER PRIMARY KEY,
        session_row INTEGER NOT NULL REFERENCES memory_sessions(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        summary TEXT NOT NULL CHECK (json_valid(summary)),
        codec TEXT NOT NULL CHECK (codec IN ('none', 'brotli', 'gzip')),
        transcript BLOB NOT NULL,
        transcript_bytes INTEGER NOT NULL,
        event_count INTEGER NOT NULL,
        first_timestamp INTEGER NOT NULL,
        last_timestamp INTEGER NOT NULL,
        stored_bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX memory_summaries_by_session ON memory_summaries(session_row);
      CREATE INDEX memory_summaries_by_user ON memory_summaries(user_id, created_at);

      CREATE TABLE memory_usage (
        user_id TEXT NOT NULL,
        tier TEXT NOT NULL CHECK (tier IN ('warm', 'cold')),
        bytes INTEGER NOT NULL,
        entries INTEGER NOT NULL,
        PRIMARY KEY (user_id, tier)
      ) STRICT, WITHOUT ROWID;

      -- Watermarks of the search index: messages indexed through a seq; entries unindexed since a time.
      CREATE TABLE memory_meta (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE memory_jobs (
        task TEXT PRIMARY KEY,
        last_run_at INTEGER NOT NULL,
        report TEXT NOT NULL CHECK (json_valid(report))
      ) STRICT;

      CREATE VIRTUAL TABLE memory_fts USING fts5(
        scope, text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
      );
      INSERT INTO memory_fts(memory_fts, rank) VALUES ('secure-delete', 1);
    `);
  },
};
