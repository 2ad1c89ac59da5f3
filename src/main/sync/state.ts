import type { Db } from '../storage/database';

/** The names kept in `sync_state`. */
export type StateName =
  | 'desk_id'
  | 'desk_name'
  | 'store'
  | 'hub_url'
  /** The hub seq this desk applied through (its pull cursor). */
  | 'cursor'
  /** The op id of the change at seq `cursor`: the hub checks it still has it (see `PullResponse`). */
  | 'cursor_op'
  /** Set while this desk sends what it has again because the hub lost it; cleared when all is in the outbox. */
  | 'resend_pending'
  /** The greatest clock stamp this desk gave out and no longer has in its outbox, or took in from the hub. */
  | 'hlc'
  /** The last time a push or a pull reached the hub (epoch ms). */
  | 'last_sync_at'
  /** The last problem, as JSON `{ code, at }` (no message: messages can quote data). */
  | 'last_error';

/** The desk's sync state (`sync_state`): one row per name, as text. */
export class SyncState {
  private readonly selectOne;
  private readonly upsert;
  private readonly deleteOne;

  constructor(db: Db) {
    this.selectOne = db.prepare<[string], { value: string }>('SELECT value FROM sync_state WHERE name = ?');
    this.upsert = db.prepare<[string, string]>(
      'INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.deleteOne = db.prepare<[string]>('DELETE FROM sync_state WHERE name = ?');
  }

  get(name: StateName): string | null {
    return this.selectOne.get(name)?.value ?? null;
  }

  set(name: StateName, value: string | number | null): void {
    if (value === null) this.deleteOne.run(name);
    else this.upsert.run(name, String(value));
  }

  number(name: StateName): number | null {
    const value = this.get(name);
    if (value === null) return null;
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
}
