import type Database from 'better-sqlite3';
import type { Db } from '../storage/database';

/**
 * Statements prepared on first use and kept, by SQL text: preparing per call costs a parse each
 * time, and native memory that is only freed when the statement object is collected.
 */
export class Statements {
  private readonly cache = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(private readonly db: Db) {}

  get<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }
}
