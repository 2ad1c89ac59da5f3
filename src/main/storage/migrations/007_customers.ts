import { canonicalCustomerId, looksLikePersonName } from '@shared/identity';
import { foldAccents } from '@shared/text';
import type { Migration } from '../database';

/**
 * What staff know about each customer (display name, phone, membership number), so the desk can
 * find a customer by any of them. Filled from the customers already in the file: an id that is a
 * phone number is also the phone, an id typed as a person's name ("Chị Lan") is also the name.
 */
export const customersMigration: Migration = {
  version: 7,
  name: 'memory: customer records',
  up(db) {
    db.exec(`
      CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        display_name TEXT,
        name_folded TEXT,
        phone TEXT,
        membership_number TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX customers_by_phone ON customers (phone);
      CREATE INDEX customers_by_membership ON customers (membership_number);
      CREATE INDEX customers_by_name ON customers (name_folded);
    `);
    const known = db
      .prepare(
        `SELECT id, MIN(first_at) AS created_at, MAX(last_at) AS updated_at FROM (
           SELECT user_id AS id, created_at AS first_at, created_at AS last_at FROM memory_sessions
           UNION ALL SELECT user_id, created_at, updated_at FROM memory_entries
           UNION ALL SELECT customer_id, updated_at, updated_at FROM commerce_carts
         ) GROUP BY id`,
      )
      .all() as { id: string; created_at: number; updated_at: number }[];
    const insert = db.prepare(
      `INSERT INTO customers (id, display_name, name_folded, phone, membership_number, created_at, updated_at)
       VALUES (?, ?, ?, ?, NULL, ?, ?)`,
    );
    for (const { id, created_at, updated_at } of known) {
      const canonical = canonicalCustomerId(id);
      const phone = canonical.ok && canonical.kind === 'phone' ? id : null;
      const name = phone === null && looksLikePersonName(id) ? id : null;
      insert.run(id, name, name === null ? null : foldAccents(name), phone, created_at, updated_at);
    }
  },
};
