import type pg from 'pg';
import type { Logger } from 'pino';
import { withClient } from './database';

/**
 * The hub's schema, versioned. Each migration runs in its own transaction and is recorded in
 * `hub_migrations`; a session advisory lock makes hub processes that start together take turns,
 * so only the first migrates and the others find the work done. Never edit a shipped migration:
 * append one.
 */
export interface HubMigration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: HubMigration[] = [
  {
    version: 1,
    name: 'desks, change log, shared state, erasures, audit',
    sql: `
      CREATE TABLE desks (
        id uuid PRIMARY KEY,
        store text NOT NULL,
        name text NOT NULL,
        -- sha256 of the device token (hex), null until the desk enrolled.
        token_hash text UNIQUE,
        created_at timestamptz NOT NULL,
        enrolled_at timestamptz,
        last_seen_at timestamptz,
        revoked_at timestamptz
      );

      -- One-time enrollment codes, by their sha256.
      CREATE TABLE enrollment_codes (
        code_hash text PRIMARY KEY,
        desk_id uuid NOT NULL REFERENCES desks(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      );

      -- Every applied operation once, in commit order (seq). Also the register of op ids that makes
      -- pushes idempotent. An erasure deletes its customer's older entries.
      CREATE TABLE changes (
        seq bigserial PRIMARY KEY,
        op_id uuid NOT NULL UNIQUE,
        customer_id text NOT NULL,
        hlc text NOT NULL,
        kind text NOT NULL,
        -- No foreign key: desks are never deleted, and a per-row check would cost every batch.
        desk_id uuid NOT NULL,
        accepted_at timestamptz NOT NULL,
        -- The change as pulls send it, but for its seq: {"op":…,"origin":…,"acceptedAt":…}, written
        -- once by the hub, so a pull reads text and neither joins nor builds JSON per row.
        change json NOT NULL
      );
      -- For erasures only (rare): the customer's entries, then filtered by hlc. A narrow key keeps every insert cheaper.
      CREATE INDEX changes_by_customer ON changes (customer_id);

      -- The shared state, last writer (by hlc) wins per (customer, key); a forget is a tombstone.
      CREATE TABLE memories (
        customer_id text NOT NULL,
        key text NOT NULL,
        value json,
        deleted boolean NOT NULL,
        value_bytes integer NOT NULL,
        hlc text NOT NULL,
        PRIMARY KEY (customer_id, key)
      );

      CREATE TABLE customers (
        customer_id text PRIMARY KEY,
        display_name text,
        phone text,
        membership_number text,
        hlc text NOT NULL
      );

      CREATE TABLE summaries (
        summary_id uuid PRIMARY KEY,
        customer_id text NOT NULL,
        hlc text NOT NULL,
        created_at bigint NOT NULL,
        summary json NOT NULL
      );
      CREATE INDEX summaries_by_customer ON summaries (customer_id);

      -- The newest erasure of each customer: older operations of theirs are superseded.
      CREATE TABLE erasures (
        customer_id text PRIMARY KEY,
        hlc text NOT NULL,
        erased_at timestamptz NOT NULL
      );

      -- The audit trail is the change log (which desk applied which op, of which kind, for whom,
      -- when) plus this table: desk events (created, enrolled, revoked) and the skeletons of log
      -- entries an erasure deleted, their customer replaced by a non-reversible marker. Nothing is
      -- written twice per op; \`audit_trail\` shows both.
      CREATE TABLE audit (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        desk_id uuid,
        action text NOT NULL,
        op_id uuid,
        customer_ref text
      );
      CREATE VIEW audit_trail AS
        SELECT accepted_at AS at, desk_id, kind AS action, op_id,
               CASE WHEN kind = 'customer.erase' THEN 'erased:' || left(encode(sha256(convert_to(customer_id, 'UTF8')), 'hex'), 16)
                    ELSE customer_id END AS customer_ref
          FROM changes
        UNION ALL
        SELECT at, desk_id, action, op_id, customer_ref FROM audit;
    `,
  },
  {
    version: 2,
    name: 'audit by op id (a pull checks the change at its cursor)',
    sql: `CREATE INDEX audit_by_op ON audit (op_id) WHERE op_id IS NOT NULL;`,
  },
  {
    version: 3,
    name: 'memories kept for a time: their end, and the log entries whose values go then',
    sql: `
      ALTER TABLE memories ADD COLUMN expires_at bigint;
      CREATE INDEX memories_expiring ON memories (expires_at) WHERE expires_at IS NOT NULL AND NOT deleted;
      -- The change log's puts with a time-to-live (few), so the expiry sweep never scans the log.
      CREATE TABLE expiring_changes (
        seq bigint PRIMARY KEY,
        expires_at bigint NOT NULL
      );
      CREATE INDEX expiring_changes_by_time ON expiring_changes (expires_at);
    `,
  },
];

/** Advisory lock keys (two-int form): the hub's namespace, then the purpose. */
export const LOCK_NAMESPACE = 0x4d4d48; // "MMH"
export const LOCK_MIGRATE = 1;
export const LOCK_COMMIT = 2;
/** Per-customer locks use their own namespace, keyed by hashtext(customer_id). */
export const LOCK_CUSTOMER_NAMESPACE = 0x4d4d43; // "MMC"

export async function runMigrations(pool: pg.Pool, logger: Logger, list: readonly HubMigration[] = migrations): Promise<number> {
  // A client that fails is destroyed by withClient, which also ends its session and so frees the lock.
  return withClient(pool, async (client) => {
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, LOCK_MIGRATE]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS hub_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM hub_migrations')).rows.map((row) => row.version));
      let applied = 0;
      for (const migration of [...list].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO hub_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined); // the migration's own error is the one to report
          throw error;
        }
        applied++;
        logger.info({ version: migration.version }, 'hub migration applied');
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, LOCK_MIGRATE]);
    }
  });
}
