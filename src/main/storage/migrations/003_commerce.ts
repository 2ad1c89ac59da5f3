import type { Migration } from '../database';

/** Which store cart belongs to which customer, per store (endpoint + store view). */
export const commerceMigration: Migration = {
  version: 3,
  name: 'commerce: customer carts',
  up(db) {
    db.exec(`
      CREATE TABLE commerce_carts (
        customer_id TEXT NOT NULL,
        store TEXT NOT NULL,
        cart_id TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (customer_id, store)
      ) STRICT;
    `);
  },
};
