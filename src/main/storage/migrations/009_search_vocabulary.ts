import type { Migration } from '../database';

/**
 * The search vocabulary each store teaches the app (`commerce/vocabulary.ts`): the spellings of the
 * words and adjacent word pairs in its product and category names, with how often they were seen
 * (`word`, `pair`), and the names already learned from (`name`), so a name is counted once. Kept per
 * store (endpoint + store view), bounded by the vocabulary itself.
 */
export const searchVocabularyMigration: Migration = {
  version: 9,
  name: 'commerce: search vocabulary',
  up(db) {
    db.exec(`
      CREATE TABLE commerce_vocabulary (
        store TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('word', 'pair', 'name')),
        term TEXT NOT NULL,
        weight INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (store, kind, term)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
