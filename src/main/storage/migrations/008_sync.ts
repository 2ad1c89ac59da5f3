import type { Migration } from '../database';

/**
 * Sync with a hub (src/main/sync, the protocol in src/shared/sync.ts). `sync_outbox` holds every
 * shared change made here, written in the same transaction as the change, until the hub took it;
 * `sync_rejected` the ones the hub refused for good (shown in the status, never retried);
 * `sync_state` the desk's enrollment (desk id, names, hub address), its pull cursor, the last
 * clock stamp and the last error. Last writer wins per customer and key by the hybrid logical
 * clock stamp (`hlc`) kept on each shared row; a forget leaves a tombstone with its stamp, an
 * erasure a record with its stamp (under a hash of the customer id), so that an older change
 * arriving late brings nothing back. `origin_*` say where a row came from (null: learned here).
 */
export const syncMigration: Migration = {
  version: 8,
  name: 'sync: outbox, state, stamps and provenance of shared rows, tombstones, erasures',
  up(db) {
    db.exec(`
      CREATE TABLE sync_state (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE sync_outbox (
        seq INTEGER PRIMARY KEY,
        op_id TEXT NOT NULL UNIQUE,
        customer_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        op TEXT NOT NULL,
        hlc TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sync_outbox_by_customer ON sync_outbox (customer_id, hlc);

      CREATE TABLE sync_rejected (
        seq INTEGER PRIMARY KEY,
        op_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        op TEXT NOT NULL,
        hlc TEXT NOT NULL,
        code TEXT NOT NULL,
        rejected_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sync_rejected_by_customer ON sync_rejected (customer_id);

      CREATE TABLE sync_tombstones (
        customer_id TEXT NOT NULL,
        key TEXT NOT NULL,
        hlc TEXT NOT NULL,
        PRIMARY KEY (customer_id, key)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE sync_erasures (
        customer_hash TEXT PRIMARY KEY,
        hlc TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;

      ALTER TABLE memory_entries ADD COLUMN hlc TEXT;
      ALTER TABLE memory_entries ADD COLUMN origin_desk TEXT;
      ALTER TABLE memory_entries ADD COLUMN origin_store TEXT;
      ALTER TABLE memory_entries ADD COLUMN origin_at INTEGER;

      ALTER TABLE customers ADD COLUMN hlc TEXT;
      ALTER TABLE customers ADD COLUMN origin_desk TEXT;
      ALTER TABLE customers ADD COLUMN origin_store TEXT;
      ALTER TABLE customers ADD COLUMN origin_at INTEGER;
    `);
  },
};
