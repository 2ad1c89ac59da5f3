import crypto from 'node:crypto';
import type { Db } from '../../src/main/storage/database';

/** A hash of every row of every table, to prove a refused request changed nothing. */
export function snapshotDatabase(db: Db): string {
  const hash = crypto.createHash('sha256');
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
    name: string;
  }[];
  for (const { name } of tables) {
    hash.update(`#${name}\n`);
    for (const row of db
      .prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`)
      .raw()
      .iterate()) {
      hash.update(
        JSON.stringify(row, (_key, value: unknown) =>
          Buffer.isBuffer(value) ? value.toString('base64') : typeof value === 'bigint' ? value.toString() : value,
        ),
      );
      hash.update('\n');
    }
  }
  return hash.digest('hex');
}
