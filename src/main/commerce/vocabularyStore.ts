import type { Db } from '../storage/database';
import type { VocabularyRow, VocabularyStore } from './vocabulary';

/** A store's search vocabulary in SQLite (`commerce_vocabulary`, migration 9), one row per spelling. */
export class SqliteVocabularyStore implements VocabularyStore {
  private readonly select;
  private readonly upsert;
  private readonly remove;

  constructor(
    private readonly db: Db,
    /** Endpoint and store view: another store has its own words. */
    private readonly store: string,
    private readonly now: () => number = Date.now,
  ) {
    this.select = db.prepare<[string], VocabularyRow>('SELECT kind, term, weight FROM commerce_vocabulary WHERE store = ?');
    this.upsert = db.prepare<[string, string, string, number, number]>(
      `INSERT INTO commerce_vocabulary (store, kind, term, weight, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (store, kind, term) DO UPDATE SET weight = excluded.weight, updated_at = excluded.updated_at`,
    );
    this.remove = db.prepare<[string, string, string]>('DELETE FROM commerce_vocabulary WHERE store = ? AND kind = ? AND term = ?');
  }

  load(): VocabularyRow[] {
    return this.select.all(this.store);
  }

  save(changed: readonly VocabularyRow[], removed: readonly Pick<VocabularyRow, 'kind' | 'term'>[]): void {
    const at = this.now();
    this.db.transaction(() => {
      for (const row of changed) this.upsert.run(this.store, row.kind, row.term, row.weight, at);
      for (const row of removed) this.remove.run(this.store, row.kind, row.term);
    })();
  }
}
