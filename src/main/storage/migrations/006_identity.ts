import { createHash } from 'node:crypto';
import { MAX_KEY_LENGTH } from '@shared/contract/memory';
import { canonicalCustomerId } from '@shared/identity';
import type { Db, Migration } from '../database';

/**
 * One customer, one id, in files written before ids were canonicalised (`@shared/identity`):
 * every customer id stored in memory, usage and carts moves to its canonical form, and the rows of
 * ids that now coincide ("0901 234 567", "+84901234567" → "0901234567") are merged. Nothing is
 * dropped silently: colliding memories are kept under a renamed key, colliding conversations are
 * joined, and a superseded cart is written into the merge report (`identity_merges`), which also
 * names every id that changed. An id that cannot be canonicalised (control characters, empty, too
 * long) becomes `legacy-<sha256 prefix>`, so its data stays reachable and erasable. The usage
 * ledger of every merged customer is recomputed from the rows, and the search index is rebuilt in
 * the background at the next start (its terms carry a per-customer token).
 */
export const identityMigration: Migration = {
  version: 6,
  name: 'identity: canonical customer ids, merged customers, merge report',
  up(db) {
    db.exec(`
      CREATE TABLE identity_merges (
        id INTEGER PRIMARY KEY,
        merged_at INTEGER NOT NULL,
        customer_id TEXT NOT NULL,
        from_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('renamed', 'legacy_id', 'entry_renamed', 'session_merged', 'cart_superseded')),
        detail TEXT NOT NULL CHECK (json_valid(detail))
      ) STRICT;
      CREATE INDEX identity_merges_by_customer ON identity_merges(customer_id);
    `);
    return { ...canonicalizeCustomerIds(db, Date.now()) };
  },
};

/** What the migration did, in counts only (it is logged: no ids, no values). */
export interface IdentityMergeCounts {
  /** Ids moved to their canonical form. */
  idsRenamed: number;
  /** Ids that could not be canonicalised and became `legacy-…`. */
  legacyIds: number;
  /** Canonical ids that received the rows of two or more stored ids. */
  customersMerged: number;
  /** Memories kept under a renamed key because another row of the merged customer had their key. */
  entriesRenamed: number;
  /** Conversations joined into another of the same session id. */
  sessionsMerged: number;
  /** Store carts replaced by a newer cart of the merged customer (they are in the report). */
  cartsSuperseded: number;
}

/** The longest event id the app accepts (`sessions/events.ts`). */
const MAX_EVENT_ID_LENGTH = 128;

/** The id a stored customer id moves to, and why. */
export function targetCustomerId(stored: string): { id: string; kind: 'renamed' | 'legacy_id'; problem?: string } {
  const canonical = canonicalCustomerId(stored);
  if (canonical.ok) return { id: canonical.id, kind: 'renamed' };
  return { id: legacyCustomerId(stored), kind: 'legacy_id', problem: canonical.problem };
}

/** `legacy-` and the first 16 hex digits of the SHA-256 of the id's UTF-8. */
export function legacyCustomerId(stored: string): string {
  return 'legacy-' + createHash('sha256').update(stored, 'utf8').digest('hex').slice(0, 16);
}

interface SessionRow {
  id: number;
  user_id: string;
  session_id: string;
  title: string | null;
  created_at: number;
  summarized_at: number | null;
}

interface EntryKeyRow {
  id: number;
  user_id: string;
  session_id: string;
  key: string;
  updated_at: number;
}

interface CartRow {
  rowid: number;
  customer_id: string;
  store: string;
  cart_id: string;
  updated_at: number;
}

/** The tables whose rows name a customer, and the column that does. */
export const CUSTOMER_COLUMNS = [
  ['memory_sessions', 'user_id'],
  ['memory_entries', 'user_id'],
  ['memory_summaries', 'user_id'],
  ['memory_usage', 'user_id'],
  ['agent_turn_usage', 'user_id'],
  ['commerce_carts', 'customer_id'],
] as const;

/**
 * Moves every stored customer id to its canonical form and merges the ids that coincide, inside
 * the caller's transaction; writes the merge report and returns the counts. On data that is
 * already canonical it writes nothing.
 */
export function canonicalizeCustomerIds(db: Db, now: number): IdentityMergeCounts {
  const counts: IdentityMergeCounts = { idsRenamed: 0, legacyIds: 0, customersMerged: 0, entriesRenamed: 0, sessionsMerged: 0, cartsSuperseded: 0 };
  const stored = db
    .prepare<[], { id: string }>(CUSTOMER_COLUMNS.map(([table, column]) => `SELECT ${column} AS id FROM ${table}`).join(' UNION '))
    .all()
    .map((row) => row.id);

  // Canonical id → the stored ids that become it (the canonical id itself first when it is stored).
  const groups = new Map<string, { from: string; kind: 'renamed' | 'legacy_id'; problem?: string }[]>();
  for (const id of stored) {
    const target = targetCustomerId(id);
    const group = groups.get(target.id) ?? [];
    group.push({ from: id, kind: target.kind, ...(target.problem ? { problem: target.problem } : {}) });
    groups.set(target.id, group);
  }
  const affected = [...groups].filter(([canonical, sources]) => sources.some((source) => source.from !== canonical));
  if (affected.length === 0) return counts;
  affected.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const merger = new Merger(db, now);
  for (const [canonical, sources] of affected) {
    sources.sort((a, b) => (a.from === canonical ? -1 : b.from === canonical ? 1 : a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    const result = merger.merge(canonical, sources);
    for (const source of sources) if (source.from !== canonical) counts[source.kind === 'renamed' ? 'idsRenamed' : 'legacyIds']++;
    if (sources.length > 1) counts.customersMerged++;
    counts.entriesRenamed += result.entriesRenamed;
    counts.sessionsMerged += result.sessionsMerged;
    counts.cartsSuperseded += result.cartsSuperseded;
  }

  // The index's terms carry a token derived from the customer id: the memory module rebuilds it in
  // the background at its next start (`search/searchIndex.ts` `checkFormat`), from the first row.
  db.prepare("INSERT INTO memory_meta (name, value) VALUES ('search_format', 1) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run();
  db.prepare("DELETE FROM memory_meta WHERE name GLOB 'rebuild_*'").run();
  return counts;
}

/** Per-table counts of one stored id's rows, taken before anything moves. */
type RowCounts = Record<string, number>;

class Merger {
  private readonly report;

  constructor(
    private readonly db: Db,
    private readonly now: number,
  ) {
    this.report = db.prepare<[number, string, string, string, string]>(
      'INSERT INTO identity_merges (merged_at, customer_id, from_id, kind, detail) VALUES (?, ?, ?, ?, ?)',
    );
  }

  merge(
    canonical: string,
    sources: readonly { from: string; kind: 'renamed' | 'legacy_id'; problem?: string }[],
  ): { entriesRenamed: number; sessionsMerged: number; cartsSuperseded: number } {
    const { db } = this;
    const ids = sources.map((source) => source.from);
    const rowCounts = new Map<string, RowCounts>(ids.map((id) => [id, this.rowCounts(id)]));
    const details: Record<string, Record<string, number>> = Object.fromEntries(ids.map((id) => [id, {}]));
    const later: [from: string, kind: 'entry_renamed' | 'session_merged' | 'cart_superseded', detail: unknown][] = [];
    const bump = (id: string, what: string): void => {
      const detail = details[id]!;
      detail[what] = (detail[what] ?? 0) + 1;
    };

    // Turn usage first: deleting a merged session (below) deletes the usage rows still under its old id.
    const moveTurns = db.prepare<[string, string]>('UPDATE agent_turn_usage SET user_id = ? WHERE user_id = ?');
    for (const id of ids) if (id !== canonical) moveTurns.run(canonical, id);

    // Conversations: one per session id; the others' events and summaries join it.
    const sessions = this.rowsOf<SessionRow>('SELECT id, user_id, session_id, title, created_at, summarized_at FROM memory_sessions', ids);
    for (const group of groupBy(sessions, (row) => row.session_id)) {
      // The conversation already under the canonical id stays; else the oldest.
      group.sort((a, b) => rank(a.user_id, b.user_id, canonical) || a.created_at - b.created_at || a.id - b.id);
      const [kept, ...merged] = group as [SessionRow, ...SessionRow[]];
      for (const loser of merged) {
        if (loser.user_id === canonical) throw new Error('identity migration: a merged conversation must not be under the canonical id');
        const moved = this.mergeSession(kept, loser);
        bump(loser.user_id, 'sessions_merged');
        later.push([
          loser.user_id,
          'session_merged',
          {
            session_id: loser.session_id,
            kept_session_row: kept.id,
            removed_session_row: loser.id,
            created_at: loser.created_at,
            events_moved: moved.events,
            summaries_moved: moved.summaries,
            events_renamed: moved.renamedEvents,
          },
        ]);
      }
      if (merged.length > 0) {
        db.prepare<[string | null, number, number | null, number]>(
          'UPDATE memory_sessions SET title = ?, created_at = ?, summarized_at = ? WHERE id = ?',
        ).run(
          kept.title ?? merged.find((row) => row.title !== null)?.title ?? null,
          Math.min(...group.map((row) => row.created_at)),
          maxOrNull(group.map((row) => row.summarized_at)),
          kept.id,
        );
      }
      if (kept.user_id !== canonical) db.prepare<[string, number]>('UPDATE memory_sessions SET user_id = ? WHERE id = ?').run(canonical, kept.id);
    }

    const moveSummaries = db.prepare<[string, string]>('UPDATE memory_summaries SET user_id = ? WHERE user_id = ?');
    for (const id of ids) if (id !== canonical) moveSummaries.run(canonical, id);

    // Memories: one per (session, key); the newest keeps the key, the others are kept under "<key> ~ <old id>".
    const entries = this.rowsOf<EntryKeyRow>('SELECT id, user_id, session_id, key, updated_at FROM memory_entries', ids);
    const keysTaken = new Map<string, Set<string>>();
    for (const row of entries) {
      const taken = keysTaken.get(row.session_id) ?? new Set<string>();
      taken.add(row.key);
      keysTaken.set(row.session_id, taken);
    }
    // A key counts in an entry's size (`entries.ts`), so a renamed key changes it.
    const rename = db.prepare<[string, string, number, number]>('UPDATE memory_entries SET user_id = ?, key = ?, size = size + ? WHERE id = ?');
    const winners: EntryKeyRow[] = [];
    for (const group of groupBy(entries, (row) => JSON.stringify([row.session_id, row.key]))) {
      group.sort((a, b) => b.updated_at - a.updated_at || rank(a.user_id, b.user_id, canonical) || b.id - a.id);
      const [kept, ...renamed] = group as [EntryKeyRow, ...EntryKeyRow[]];
      winners.push(kept);
      for (const loser of renamed) {
        const newKey = renamedKey(loser.key, loser.user_id, keysTaken.get(loser.session_id)!);
        rename.run(canonical, newKey, Buffer.byteLength(newKey) - Buffer.byteLength(loser.key), loser.id);
        bump(loser.user_id, 'entries_renamed');
        later.push([
          loser.user_id,
          'entry_renamed',
          {
            entry_id: loser.id,
            session_id: loser.session_id === '' ? null : loser.session_id,
            key: loser.key,
            new_key: newKey,
            updated_at: loser.updated_at,
            kept_entry_id: kept.id,
            kept_updated_at: kept.updated_at,
          },
        ]);
      }
    }
    // After the renames, so a key is free before its winner moves onto it.
    for (const kept of winners) if (kept.user_id !== canonical) rename.run(canonical, kept.key, 0, kept.id);

    // Carts: one per store; the newest stays, the others are only in the report.
    const carts = this.rowsOf<CartRow>('SELECT rowid, customer_id, store, cart_id, updated_at FROM commerce_carts', ids, 'customer_id');
    let cartsSuperseded = 0;
    for (const group of groupBy(carts, (row) => row.store)) {
      group.sort((a, b) => b.updated_at - a.updated_at || rank(a.customer_id, b.customer_id, canonical) || b.rowid - a.rowid);
      const [kept, ...superseded] = group as [CartRow, ...CartRow[]];
      for (const loser of superseded) {
        db.prepare<[number]>('DELETE FROM commerce_carts WHERE rowid = ?').run(loser.rowid);
        cartsSuperseded++;
        bump(loser.customer_id, 'carts_superseded');
        later.push([
          loser.customer_id,
          'cart_superseded',
          { store: loser.store, cart_id: loser.cart_id, updated_at: loser.updated_at, kept_cart_id: kept.cart_id, kept_updated_at: kept.updated_at },
        ]);
      }
      if (kept.customer_id !== canonical) {
        db.prepare<[string, number]>('UPDATE commerce_carts SET customer_id = ? WHERE rowid = ?').run(canonical, kept.rowid);
      }
    }

    this.recomputeUsage(canonical, ids);

    for (const source of sources) {
      if (source.from === canonical) continue;
      // `rows`: the id's rows per table before the merge, all now the canonical id's, except the
      // conversations joined into another (`sessions_merged`) and the carts only in the report (`carts_superseded`).
      const detail = {
        ...(source.problem ? { problem: source.problem } : {}),
        rows: rowCounts.get(source.from),
        ...details[source.from],
      };
      this.report.run(this.now, canonical, source.from, source.kind, JSON.stringify(detail));
    }
    for (const [from, kind, detail] of later) this.report.run(this.now, canonical, from, kind, JSON.stringify(detail));
    return {
      entriesRenamed: later.filter(([, kind]) => kind === 'entry_renamed').length,
      sessionsMerged: later.filter(([, kind]) => kind === 'session_merged').length,
      cartsSuperseded,
    };
  }

  /** The rows of one stored id per table (the events of its conversations, its ledger rows). */
  private rowCounts(id: string): RowCounts {
    const count = (sql: string): number => this.db.prepare<[string], { n: number }>(sql).get(id)!.n;
    return {
      memory_sessions: count('SELECT count(*) AS n FROM memory_sessions WHERE user_id = ?'),
      memory_events: count('SELECT count(*) AS n FROM memory_events WHERE session_row IN (SELECT id FROM memory_sessions WHERE user_id = ?)'),
      memory_entries: count('SELECT count(*) AS n FROM memory_entries WHERE user_id = ?'),
      memory_summaries: count('SELECT count(*) AS n FROM memory_summaries WHERE user_id = ?'),
      memory_usage: count('SELECT count(*) AS n FROM memory_usage WHERE user_id = ?'),
      agent_turn_usage: count('SELECT count(*) AS n FROM agent_turn_usage WHERE user_id = ?'),
      commerce_carts: count('SELECT count(*) AS n FROM commerce_carts WHERE customer_id = ?'),
    };
  }

  private rowsOf<T>(select: string, ids: readonly string[], column = 'user_id'): T[] {
    const statement = this.db.prepare<[string], T>(`${select} WHERE ${column} = ?`);
    return ids.flatMap((id) => statement.all(id));
  }

  /**
   * Moves a conversation's events and summaries into the kept one of the same session id and
   * deletes its row (nothing cascades: it is empty by then). An event id the kept conversation
   * already has is renamed `<event id>~<seq>`, and its charged bytes follow the id's length, as
   * the app charges an event.
   */
  private mergeSession(kept: SessionRow, loser: SessionRow): { events: number; summaries: number; renamedEvents: { from: string; to: string }[] } {
    const { db } = this;
    const eventIds = (sessionRow: number): { seq: number; event_id: string }[] =>
      db
        .prepare<[number], { seq: number; event_id: string }>('SELECT seq, event_id FROM memory_events WHERE session_row = ? ORDER BY seq')
        .all(sessionRow);
    const keptIds = eventIds(kept.id);
    const loserIds = eventIds(loser.id);
    const taken = new Set([...keptIds, ...loserIds].map((row) => row.event_id));
    const keptSet = new Set(keptIds.map((row) => row.event_id));
    const renamedEvents: { from: string; to: string }[] = [];
    const renameEvent = db.prepare<[string, number, number]>('UPDATE memory_events SET event_id = ?, bytes = bytes + ? WHERE seq = ?');
    for (const row of loserIds) {
      if (!keptSet.has(row.event_id)) continue;
      let to = '';
      for (let attempt = 0; attempt < 1000 && (to === '' || taken.has(to)); attempt++) {
        const tail = attempt === 0 ? `~${row.seq}` : `~${row.seq}.${attempt}`;
        to = cut(row.event_id, MAX_EVENT_ID_LENGTH - tail.length) + tail;
      }
      taken.add(to);
      renameEvent.run(to, to.length - row.event_id.length, row.seq);
      renamedEvents.push({ from: row.event_id, to });
    }
    const events = db.prepare<[number, number]>('UPDATE memory_events SET session_row = ? WHERE session_row = ?').run(kept.id, loser.id).changes;
    const summaries = db
      .prepare<[number, number]>('UPDATE memory_summaries SET session_row = ? WHERE session_row = ?')
      .run(kept.id, loser.id).changes;
    db.prepare<[number]>('DELETE FROM memory_sessions WHERE id = ?').run(loser.id);
    return { events, summaries, renamedEvents };
  }

  /**
   * The ledger of a merged customer, from the rows, as the app charges them: warm holds the warm
   * entries (stored bytes) and every event of their conversations (`bytes`); cold the cold entries
   * and the summaries (stored bytes). A tier gets a row when it has rows or had a ledger row.
   */
  private recomputeUsage(canonical: string, ids: readonly string[]): void {
    const { db } = this;
    const hadRow = { warm: false, cold: false };
    const tiersOf = db.prepare<[string], { tier: 'warm' | 'cold' }>('SELECT tier FROM memory_usage WHERE user_id = ?');
    const deleteUsage = db.prepare<[string]>('DELETE FROM memory_usage WHERE user_id = ?');
    for (const id of ids) {
      for (const { tier } of tiersOf.all(id)) hadRow[tier] = true;
      deleteUsage.run(id);
    }
    const use = db
      .prepare<[{ id: string }], { warm_bytes: number; warm_n: number; cold_bytes: number; cold_n: number }>(
        `SELECT
           (SELECT coalesce(sum(stored_bytes), 0) FROM memory_entries WHERE user_id = :id AND tier = 'warm')
             + (SELECT coalesce(sum(e.bytes), 0) FROM memory_events e JOIN memory_sessions s ON s.id = e.session_row WHERE s.user_id = :id) AS warm_bytes,
           (SELECT count(*) FROM memory_entries WHERE user_id = :id AND tier = 'warm')
             + (SELECT count(*) FROM memory_events e JOIN memory_sessions s ON s.id = e.session_row WHERE s.user_id = :id) AS warm_n,
           (SELECT coalesce(sum(stored_bytes), 0) FROM memory_entries WHERE user_id = :id AND tier = 'cold')
             + (SELECT coalesce(sum(stored_bytes), 0) FROM memory_summaries WHERE user_id = :id) AS cold_bytes,
           (SELECT count(*) FROM memory_entries WHERE user_id = :id AND tier = 'cold')
             + (SELECT count(*) FROM memory_summaries WHERE user_id = :id) AS cold_n`,
      )
      .get({ id: canonical })!;
    const insert = db.prepare<[string, 'warm' | 'cold', number, number]>(
      'INSERT INTO memory_usage (user_id, tier, bytes, entries) VALUES (?, ?, ?, ?)',
    );
    if (hadRow.warm || use.warm_n > 0) insert.run(canonical, 'warm', use.warm_bytes, use.warm_n);
    if (hadRow.cold || use.cold_n > 0) insert.run(canonical, 'cold', use.cold_bytes, use.cold_n);
  }
}

/** The canonical id's own row sorts first. */
function rank(a: string, b: string, canonical: string): number {
  return (a === canonical ? 0 : 1) - (b === canonical ? 0 : 1);
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return [...groups.values()];
}

function maxOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : Math.max(...present);
}

/** At most `max` UTF-16 units, never half of a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, Math.max(0, max));
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

/**
 * A stored id as it can appear in a memory key: characters a key refuses (controls, invisible
 * format characters, broken surrogates) are written as `\uXXXX`.
 */
function keyText(id: string): string {
  return id.replace(
    /\p{Cc}|\p{Cf}|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu,
    (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}

/**
 * The key a losing memory is kept under: `<key> ~ <old id>`, within the key length limit (the key
 * is shortened, the id kept), NFC like every key, and unique among the customer's keys in that
 * scope (` (2)`, ` (3)`… when it is not).
 */
function renamedKey(key: string, oldId: string, taken: Set<string>): string {
  const tail = cut(` ~ ${keyText(oldId)}`, Math.floor(MAX_KEY_LENGTH / 2));
  for (let n = 1; n < 10_000; n++) {
    const suffix = n === 1 ? tail : `${tail} (${n})`;
    let candidate = (cut(key, MAX_KEY_LENGTH - suffix.length) + suffix).normalize('NFC');
    candidate = cut(candidate, MAX_KEY_LENGTH);
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
  throw new Error('identity migration: no free key for a renamed memory');
}
