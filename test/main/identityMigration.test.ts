import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { JsonValue, SessionEvent, SummaryRecord } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import { canonicalCustomerId } from '@shared/identity';
import { compress } from '../../src/main/memory/codec';
import { indexColumns, searchRowid } from '../../src/main/memory/search/searchIndex';
import { packArchive, summarySearchText } from '../../src/main/memory/summaries/archive';
import { searchableText } from '../../src/main/memory/text';
import { openDatabase, schemaVersionOf, type Db } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { canonicalizeCustomerIds, CUSTOMER_COLUMNS, legacyCustomerId } from '../../src/main/storage/migrations/006_identity';
import { snapshotDatabase } from '../helpers/dbSnapshot';
import { captureLog, LEVEL } from '../helpers/logCapture';
import { tempDir } from '../helpers/tempDir';
import { ManualClock, openMemory, rowsMentioning } from '../memory/helpers';

const start = new Date(2026, 0, 5, 9, 0, 0, 0).getTime();
const MIN = 60_000;
const latest = Math.max(...migrations.map((migration) => migration.version));
const beforeIdentity = migrations.filter((migration) => migration.version <= 5);
const upToIdentity = migrations.filter((migration) => migration.version <= 6);

const PHONE = '0901234567';
const SPACED = '0901 234 567';
const PLUS = '+84901234567';
const DOTTED = '0901.234.567';
const TABBED = '0901\t234\t567';
const CODE_UPPER = 'KH-001';
const CODE = 'kh-001';
const BELL = 'Lan\u0007';
const LEGACY = legacyCustomerId(BELL);
const NAME = 'Chị Lan';
const OTHER_CODE = 'kh-777';
const LONG_KEY = 'ghi chú dài '.repeat(21).slice(0, 250);

/**
 * Writes rows into a version-5 file the way the app of that version did: entries (warm plain,
 * cold brotli), sessions and events, summaries, with the usage ledger charged exactly as the
 * memory module charges (`usage/ledger.ts`) and the search index in its current layout.
 */
class Version5Writer {
  constructor(private readonly db: Db) {
    db.prepare("INSERT INTO memory_meta (name, value) VALUES ('search_format', 2)").run();
  }

  private charge(userId: string, tier: 'warm' | 'cold', bytes: number): void {
    this.db
      .prepare(
        `INSERT INTO memory_usage (user_id, tier, bytes, entries) VALUES (?, ?, ?, 1)
         ON CONFLICT (user_id, tier) DO UPDATE SET bytes = bytes + excluded.bytes, entries = entries + 1`,
      )
      .run(userId, tier, bytes);
  }

  private index(rowid: number, userId: string, text: string): void {
    const columns = indexColumns(userId, text);
    this.db.prepare('INSERT INTO memory_fts (rowid, scope, text) VALUES (?, ?, ?)').run(rowid, columns.scope, columns.text);
  }

  entry(userId: string, key: string, value: JsonValue, updatedAt: number, options: { sessionId?: string; tier?: 'warm' | 'cold' } = {}): number {
    const text = JSON.stringify(value);
    const tier = options.tier ?? 'warm';
    const stored = tier === 'warm' ? text : compress(text);
    const storedBytes = typeof stored === 'string' ? Buffer.byteLength(text) : stored.length;
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO memory_entries (user_id, session_id, key, tier, codec, value, size, stored_bytes, created_at, updated_at, accessed_at,
             expires_at, source_session_id, source_turn_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)`,
        )
        .run(
          userId,
          options.sessionId ?? '',
          key,
          tier,
          tier === 'warm' ? 'none' : 'brotli',
          stored,
          Buffer.byteLength(text) + Buffer.byteLength(key),
          storedBytes,
          updatedAt,
          updatedAt,
          updatedAt,
          options.sessionId ?? null,
        ).lastInsertRowid,
    );
    this.charge(userId, tier, storedBytes);
    this.index(searchRowid('entry', id), userId, `${key} ${searchableText(value)}`);
    return id;
  }

  session(userId: string, sessionId: string, createdAt: number, title: string | null = null): number {
    return Number(
      this.db
        .prepare('INSERT INTO memory_sessions (user_id, session_id, title, created_at) VALUES (?, ?, ?, ?)')
        .run(userId, sessionId, title, createdAt).lastInsertRowid,
    );
  }

  event(sessionRow: number, userId: string, eventId: string, content: string, timestamp: number, author = 'user'): number {
    const json = JSON.stringify(content);
    const bytes = Buffer.byteLength(json) + eventId.length + author.length;
    const seq = Number(
      this.db
        .prepare(
          `INSERT INTO memory_events (session_row, event_id, author, kind, content, turn_id, timestamp, bytes) VALUES (?, ?, ?, 'message', ?, NULL, ?, ?)`,
        )
        .run(sessionRow, eventId, author, json, timestamp, bytes).lastInsertRowid,
    );
    this.charge(userId, 'warm', bytes);
    this.index(searchRowid('event', seq), userId, searchableText(content));
    this.db
      .prepare(
        "INSERT INTO memory_meta (name, value) VALUES ('events_indexed_through', ?) ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
      )
      .run(seq);
    return seq;
  }

  /** A summarized conversation: its events archived into the summary, as the summarize job leaves it. */
  async summary(sessionRow: number, userId: string, record: SummaryRecord, events: SessionEvent[], createdAt: number): Promise<number> {
    const packed = await packArchive(record, events);
    const storedBytes = packed.transcript.length + Buffer.byteLength(packed.summaryJson);
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO memory_summaries (session_row, user_id, summary, codec, transcript, transcript_bytes, event_count, first_timestamp,
             last_timestamp, stored_bytes, created_at) VALUES (?, ?, ?, 'brotli', ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          sessionRow,
          userId,
          packed.summaryJson,
          packed.transcript,
          packed.transcript.length,
          events.length,
          events[0]!.timestamp,
          events.at(-1)!.timestamp,
          storedBytes,
          createdAt,
        ).lastInsertRowid,
    );
    this.db.prepare('UPDATE memory_sessions SET summarized_at = ? WHERE id = ?').run(createdAt, sessionRow);
    this.charge(userId, 'cold', storedBytes);
    this.index(searchRowid('summary', id), userId, summarySearchText(record));
    return id;
  }

  turn(runId: string, userId: string, sessionId: string, startedAt: number): void {
    this.db
      .prepare(
        `INSERT INTO agent_turn_usage (run_id, user_id, session_id, provider, model, status, model_calls, prompt_tokens, output_tokens,
           total_tokens, estimated, started_at, finished_at, cached_tokens) VALUES (?, ?, ?, 'offline', 'offline', 'completed', 1, 100, 20, 120, 1, ?, ?, 0)`,
      )
      .run(runId, userId, sessionId, startedAt, startedAt + 1000);
  }

  cart(customerId: string, store: string, cartId: string, updatedAt: number): void {
    this.db
      .prepare('INSERT INTO commerce_carts (customer_id, store, cart_id, updated_at) VALUES (?, ?, ?, ?)')
      .run(customerId, store, cartId, updatedAt);
  }
}

/** A version-5 file as older versions left it: one phone customer under four spellings, a code in two cases, an id with a control character, and two canonical customers. */
async function writeVariants(dir: string): Promise<string> {
  const file = path.join(dir, 'memory.sqlite');
  const { db, status } = openDatabase(file, beforeIdentity);
  expect(status.schemaVersion).toBe(5);
  const w = new Version5Writer(db);
  const t = (minutes: number) => start - 10 * 24 * 60 * MIN + minutes * MIN;

  // "0901 234 567": the first conversation, an older preference, an address, an old cart and an archived visit.
  const spacedShared = w.session(SPACED, 's-shared', t(0), 'Lần đầu');
  w.event(spacedShared, SPACED, 'ev-1', 'Cho tôi nước mắm Nam Ngư', t(1));
  w.event(spacedShared, SPACED, 'ev-2', 'Thêm một chai tương ớt', t(2), 'assistant');
  w.turn('run-1', SPACED, 's-shared', t(1));
  w.entry(SPACED, 'thích', 'cà phê sữa đá', t(10));
  w.entry(SPACED, 'địa chỉ', '12 Lê Lợi, quận 1', t(11));
  w.entry(SPACED, 'ghi chú phiên', 'giao buổi sáng', t(12), { sessionId: 's-shared' });
  w.cart(SPACED, 'default', 'cart-A', t(10));
  const old = w.session(SPACED, 's-old', t(-100));
  const record: SummaryRecord = {
    summary: 'Khách hẹn giao thứ bảy',
    key_facts: ['hẹn giao thứ bảy'],
    user_preferences: {},
    important_events: [],
    timestamp: new Date(t(-90)).toISOString(),
  };
  await w.summary(
    old,
    SPACED,
    record,
    [{ id: 'old-1', author: 'user', kind: 'message', content: 'hẹn giao thứ bảy', turnId: null, timestamp: t(-99) }],
    t(-90),
  );
  w.entry(SPACED, 'lịch sử', 'x'.repeat(200), t(13), { tier: 'cold' });

  // "+84901234567": the same conversation id later (an event id that collides), the newest preference and cart.
  const plusShared = w.session(PLUS, 's-shared', t(20), 'Lần hai');
  w.event(plusShared, PLUS, 'ev-1', 'Giao 2 thùng bia Sài Gòn', t(21));
  w.event(plusShared, PLUS, 'ev-3', 'Cảm ơn chị', t(22), 'assistant');
  w.turn('run-2', PLUS, 's-shared', t(21));
  const plusOwn = w.session(PLUS, 's-2', t(30));
  w.event(plusOwn, PLUS, 'ev-9', 'Hỏi giá gạo ST25', t(31));
  w.turn('run-3', PLUS, 's-2', t(31));
  w.entry(PLUS, 'thích', 'trà đá', t(40));
  w.entry(PLUS, LONG_KEY, 'mới', t(41));
  w.cart(PLUS, 'default', 'cart-B', t(40));
  w.cart(PLUS, 'other-store', 'cart-C', t(5));

  // "0901.234.567" and "0901\t234\t567": older values of the same keys, the oldest cart.
  w.entry(DOTTED, 'thích', 'nước cam', t(30));
  w.entry(DOTTED, LONG_KEY, 'cũ', t(5));
  w.cart(DOTTED, 'default', 'cart-D', t(1));
  w.entry(TABBED, 'thích', 'nước mía', t(1));

  // "kh-001" (canonical) and "KH-001": the same session id, the upper-case spelling wrote last.
  const codeSession = w.session(CODE, 's-k', t(50));
  w.event(codeSession, CODE, 'ev-k1', 'Mua gạo ST25', t(51));
  w.entry(CODE, 'size', 'M', t(50));
  const upperSession = w.session(CODE_UPPER, 's-k', t(45), 'Đơn sỉ');
  w.event(upperSession, CODE_UPPER, 'ev-k2', 'Đổi sang size L', t(46));
  w.turn('run-k', CODE_UPPER, 's-k', t(46));
  w.entry(CODE_UPPER, 'size', 'L', t(60));

  // An id with a control character: cannot be canonicalised.
  const bellSession = w.session(BELL, 's-l', t(70));
  w.event(bellSession, BELL, 'ev-l1', 'Khách quen mua nước mắm', t(71));
  w.turn('run-l', BELL, 's-l', t(71));
  w.entry(BELL, 'ghi chú', 'khách quen', t(70));
  w.cart(BELL, 'default', 'cart-L', t(70));

  // Already canonical: untouched.
  const nameSession = w.session(NAME, 's-n', t(80));
  w.event(nameSession, NAME, 'ev-n1', 'Chị Lan đặt bánh', t(81));
  w.turn('run-n', NAME, 's-n', t(81));
  w.entry(NAME, 'thích', 'bánh mì', t(80));
  w.entry(OTHER_CODE, 'thích', 'sữa chua', t(80));
  w.cart(OTHER_CODE, 'default', 'cart-7', t(80));
  db.close();
  return file;
}

function count(db: Db, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

const COUNTED = ['memory_sessions', 'memory_events', 'memory_entries', 'memory_summaries', 'agent_turn_usage', 'commerce_carts'] as const;

function counts(db: Db): Record<(typeof COUNTED)[number], number> {
  return Object.fromEntries(COUNTED.map((table) => [table, count(db, table)])) as Record<(typeof COUNTED)[number], number>;
}

function storedIds(db: Db): string[] {
  return (
    db.prepare(CUSTOMER_COLUMNS.map(([table, column]) => `SELECT ${column} AS id FROM ${table}`).join(' UNION ')).all() as { id: string }[]
  ).map((row) => row.id);
}

/** The ledger the rows call for, computed independently of the migration: what the memory module charges per tier. */
function ledgerFromRows(db: Db): { user_id: string; tier: string; bytes: number; entries: number }[] {
  return db
    .prepare(
      `SELECT user_id, tier, sum(bytes) AS bytes, sum(n) AS entries FROM (
         SELECT user_id, tier, stored_bytes AS bytes, 1 AS n FROM memory_entries
         UNION ALL SELECT s.user_id, 'warm', e.bytes, 1 FROM memory_events e JOIN memory_sessions s ON s.id = e.session_row
         UNION ALL SELECT user_id, 'cold', stored_bytes, 1 FROM memory_summaries
       ) GROUP BY user_id, tier ORDER BY user_id, tier`,
    )
    .all() as { user_id: string; tier: string; bytes: number; entries: number }[];
}

function ledger(db: Db): { user_id: string; tier: string; bytes: number; entries: number }[] {
  return db.prepare('SELECT user_id, tier, bytes, entries FROM memory_usage WHERE entries > 0 OR bytes > 0 ORDER BY user_id, tier').all() as {
    user_id: string;
    tier: string;
    bytes: number;
    entries: number;
  }[];
}

interface ReportRow {
  customer_id: string;
  from_id: string;
  kind: string;
  detail: Record<string, unknown>;
}

function report(db: Db): ReportRow[] {
  return (db.prepare('SELECT customer_id, from_id, kind, detail FROM identity_merges ORDER BY id').all() as (ReportRow & { detail: string })[]).map(
    (row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }),
  );
}

function tableDump(db: Db, table: string): unknown[] {
  return db.prepare(`SELECT * FROM ${table}`).raw().all();
}

describe('migration 6: canonical customer ids', () => {
  it('moves every row to the canonical id, merges the spellings of one customer and keeps every row', async () => {
    const dir = tempDir();
    const file = await writeVariants(dir);
    const v5 = new Database(file);
    const before = counts(v5);
    expect(ledger(v5)).toEqual(ledgerFromRows(v5));
    v5.close();

    const capture = captureLog();
    const opened = openDatabase(file, upToIdentity, capture.child('storage'));
    expect(opened.status.schemaVersion).toBe(6);
    const db = opened.db;

    // The log line carries counts, never an id.
    const applied = capture.lines().find((line) => line.msg === 'migration applied' && line.version === 6);
    expect(applied).toMatchObject({
      level: LEVEL.info,
      report: { idsRenamed: 5, legacyIds: 1, customersMerged: 2, entriesRenamed: 5, sessionsMerged: 2, cartsSuperseded: 2 },
    });
    for (const id of [PHONE, SPACED, PLUS, DOTTED, TABBED, CODE, CODE_UPPER, LEGACY, BELL, NAME])
      expect(capture.text()).not.toContain(JSON.stringify(id).slice(1, -1));

    // Every row kept: only the joined conversations and the superseded carts are gone as rows.
    expect(counts(db)).toEqual({ ...before, memory_sessions: before.memory_sessions - 2, commerce_carts: before.commerce_carts - 2 });
    // Every stored id is canonical now.
    const ids = storedIds(db).sort();
    expect(ids).toEqual([PHONE, NAME, CODE, OTHER_CODE, LEGACY].sort());
    for (const id of ids) expect(canonicalCustomerId(id)).toMatchObject({ ok: true, id });

    // The ledger equals the rows, for every customer.
    expect(ledger(db)).toEqual(ledgerFromRows(db));

    // Entries: the newest keeps the key; the others are kept under "<key> ~ <old id>".
    const entries = db.prepare("SELECT key, value FROM memory_entries WHERE user_id = ? AND codec = 'none' ORDER BY key").all(PHONE) as {
      key: string;
      value: string;
    }[];
    const longLoser = `${LONG_KEY.slice(0, 256 - ` ~ ${DOTTED}`.length)} ~ ${DOTTED}`;
    expect(longLoser).toHaveLength(256);
    expect(Object.fromEntries(entries.map((row) => [row.key, JSON.parse(row.value) as unknown]))).toEqual({
      thích: 'trà đá',
      [`thích ~ ${SPACED}`]: 'cà phê sữa đá',
      [`thích ~ ${DOTTED}`]: 'nước cam',
      'thích ~ 0901\\u0009234\\u0009567': 'nước mía',
      'địa chỉ': '12 Lê Lợi, quận 1',
      'ghi chú phiên': 'giao buổi sáng',
      [LONG_KEY]: 'mới',
      [longLoser]: 'cũ',
    });
    // A renamed key counts in the entry's size, as the app counts it.
    const sizes = db.prepare('SELECT key, value, size FROM memory_entries WHERE codec = ?').all('none') as {
      key: string;
      value: string;
      size: number;
    }[];
    for (const row of sizes) expect(row.size).toBe(Buffer.byteLength(row.value) + Buffer.byteLength(row.key));

    // Sessions: one "s-shared" (the oldest, its title), with the other's events (a colliding event id renamed) and turn usage.
    const sessions = db.prepare('SELECT id, session_id, title, created_at FROM memory_sessions WHERE user_id = ? ORDER BY session_id').all(PHONE) as {
      id: number;
      session_id: string;
      title: string | null;
    }[];
    expect(sessions.map((row) => [row.session_id, row.title])).toEqual([
      ['s-2', null],
      ['s-old', null],
      ['s-shared', 'Lần đầu'],
    ]);
    const shared = sessions.find((row) => row.session_id === 's-shared')!;
    const events = db
      .prepare('SELECT seq, event_id, bytes, author, content FROM memory_events WHERE session_row = ? ORDER BY seq')
      .all(shared.id) as {
      seq: number;
      event_id: string;
      bytes: number;
      author: string;
      content: string;
    }[];
    const renamedSeq = events[2]!.seq;
    expect(events.map((row) => row.event_id)).toEqual(['ev-1', 'ev-2', `ev-1~${renamedSeq}`, 'ev-3']);
    for (const row of events) expect(row.bytes).toBe(Buffer.byteLength(row.content) + row.event_id.length + row.author.length);
    expect(db.prepare('SELECT run_id, user_id, session_id FROM agent_turn_usage ORDER BY run_id').all()).toEqual([
      { run_id: 'run-1', user_id: PHONE, session_id: 's-shared' },
      { run_id: 'run-2', user_id: PHONE, session_id: 's-shared' },
      { run_id: 'run-3', user_id: PHONE, session_id: 's-2' },
      { run_id: 'run-k', user_id: CODE, session_id: 's-k' },
      { run_id: 'run-l', user_id: LEGACY, session_id: 's-l' },
      { run_id: 'run-n', user_id: NAME, session_id: 's-n' },
    ]);
    // "kh-001" was already canonical: its conversation is kept, the other joins it and lends its earlier start and title.
    expect(db.prepare("SELECT user_id, title, created_at FROM memory_sessions WHERE session_id = 's-k'").all()).toEqual([
      { user_id: CODE, title: 'Đơn sỉ', created_at: start - 10 * 24 * 60 * MIN + 45 * MIN },
    ]);
    expect(db.prepare('SELECT user_id FROM memory_summaries').all()).toEqual([{ user_id: PHONE }]);

    // Carts: the newest per store; the others only in the report.
    expect(db.prepare('SELECT customer_id, store, cart_id FROM commerce_carts ORDER BY customer_id, store').all()).toEqual([
      { customer_id: PHONE, store: 'default', cart_id: 'cart-B' },
      { customer_id: PHONE, store: 'other-store', cart_id: 'cart-C' },
      { customer_id: OTHER_CODE, store: 'default', cart_id: 'cart-7' },
      { customer_id: LEGACY, store: 'default', cart_id: 'cart-L' },
    ]);

    // The report: one row per changed id, per renamed entry, per joined conversation, per superseded cart.
    const rows = report(db);
    const byKind = (kind: string) => rows.filter((row) => row.kind === kind);
    expect(
      byKind('renamed')
        .map((row) => [row.customer_id, row.from_id])
        .sort(),
    ).toEqual(
      [
        [PHONE, SPACED],
        [PHONE, PLUS],
        [PHONE, DOTTED],
        [PHONE, TABBED],
        [CODE, CODE_UPPER],
      ].sort(),
    );
    expect(byKind('renamed').find((row) => row.from_id === SPACED)!.detail).toEqual({
      rows: { memory_sessions: 2, memory_events: 2, memory_entries: 4, memory_summaries: 1, memory_usage: 2, agent_turn_usage: 1, commerce_carts: 1 },
      entries_renamed: 1,
      carts_superseded: 1,
    });
    expect(byKind('renamed').find((row) => row.from_id === PLUS)!.detail).toMatchObject({
      rows: { memory_sessions: 2, memory_events: 3, memory_entries: 2, agent_turn_usage: 2, commerce_carts: 2 },
      sessions_merged: 1,
    });
    expect(byKind('legacy_id')).toEqual([
      {
        customer_id: LEGACY,
        from_id: BELL,
        kind: 'legacy_id',
        detail: {
          problem: 'control_character',
          rows: {
            memory_sessions: 1,
            memory_events: 1,
            memory_entries: 1,
            memory_summaries: 0,
            memory_usage: 1,
            agent_turn_usage: 1,
            commerce_carts: 1,
          },
        },
      },
    ]);
    expect(
      byKind('entry_renamed')
        .map((row) => [row.customer_id, row.from_id, row.detail.key, row.detail.new_key])
        .sort(),
    ).toEqual(
      [
        [PHONE, SPACED, 'thích', `thích ~ ${SPACED}`],
        [PHONE, DOTTED, 'thích', `thích ~ ${DOTTED}`],
        [PHONE, TABBED, 'thích', 'thích ~ 0901\\u0009234\\u0009567'],
        [PHONE, DOTTED, LONG_KEY, longLoser],
        [CODE, CODE, 'size', `size ~ ${CODE}`],
      ].sort(),
    );
    expect(byKind('session_merged')).toEqual([
      {
        customer_id: PHONE,
        from_id: PLUS,
        kind: 'session_merged',
        detail: expect.objectContaining({
          session_id: 's-shared',
          kept_session_row: shared.id,
          events_moved: 2,
          summaries_moved: 0,
          events_renamed: [{ from: 'ev-1', to: `ev-1~${renamedSeq}` }],
        }),
      },
      { customer_id: CODE, from_id: CODE_UPPER, kind: 'session_merged', detail: expect.objectContaining({ session_id: 's-k', events_moved: 1 }) },
    ]);
    expect(
      byKind('cart_superseded')
        .map((row) => [row.from_id, row.detail])
        .sort(),
    ).toEqual(
      [
        [
          SPACED,
          {
            store: 'default',
            cart_id: 'cart-A',
            updated_at: start - 10 * 24 * 60 * MIN + 10 * MIN,
            kept_cart_id: 'cart-B',
            kept_updated_at: start - 10 * 24 * 60 * MIN + 40 * MIN,
          },
        ],
        [
          DOTTED,
          {
            store: 'default',
            cart_id: 'cart-D',
            updated_at: start - 10 * 24 * 60 * MIN + 1 * MIN,
            kept_cart_id: 'cart-B',
            kept_updated_at: start - 10 * 24 * 60 * MIN + 40 * MIN,
          },
        ],
      ].sort(),
    );
    // No memory value is in the report.
    const reportText = JSON.stringify(rows);
    for (const value of ['trà đá', 'cà phê', 'nước cam', 'nước mía', 'Lê Lợi', 'nước mắm', 'bia']) expect(reportText).not.toContain(value);

    // The search index is rebuilt at the next start.
    expect(db.prepare("SELECT value FROM memory_meta WHERE name = 'search_format'").get()).toEqual({ value: 1 });

    // Running the merge again on what it left changes nothing.
    const snapshot = snapshotDatabase(db);
    expect(db.transaction(() => canonicalizeCustomerIds(db, start))()).toEqual({
      idsRenamed: 0,
      legacyIds: 0,
      customersMerged: 0,
      entriesRenamed: 0,
      sessionsMerged: 0,
      cartsSuperseded: 0,
    });
    expect(snapshotDatabase(db)).toBe(snapshot);
    db.close();
  });

  it('the memory module reads, searches (after its background rebuild), keeps the ledger and erases the merged customer', async () => {
    const dir = tempDir();
    await writeVariants(dir);
    const clock = new ManualClock(start);
    const m = openMemory(dir, { clock });
    expect(schemaVersionOf(m.db)).toBe(latest);

    // Read under any spelling: the API canonicalises, the rows are there.
    for (const spelling of [PHONE, SPACED, PLUS, ' 0901-234-567 ']) expect(m.memory.getMemory({ userId: spelling }, 'thích').value).toBe('trà đá');
    expect(m.memory.getMemory({ userId: PHONE }, `thích ~ ${SPACED}`).value).toBe('cà phê sữa đá');
    expect(m.memory.getMemory({ userId: PHONE }, 'thích ~ 0901\\u0009234\\u0009567').value).toBe('nước mía');
    expect(m.memory.getMemory({ userId: PHONE }, 'lịch sử').value).toBe('x'.repeat(200));
    expect(m.memory.getMemory({ userId: PHONE, sessionId: 's-shared' }, 'ghi chú phiên').value).toBe('giao buổi sáng');
    expect(m.memory.getMemory({ userId: CODE_UPPER }, 'size').value).toBe('L');
    expect(m.memory.getMemory({ userId: CODE }, `size ~ ${CODE}`).value).toBe('M');
    expect(m.memory.getMemory({ userId: LEGACY }, 'ghi chú').value).toBe('khách quen');
    expect(m.memory.listMemories({ userId: PHONE, limit: 100 }).items).toHaveLength(9);
    expect(m.sessions.listSessions({ userId: SPACED }).map((session) => [session.sessionId, session.eventCount])).toEqual([
      ['s-2', 1],
      ['s-shared', 4],
      ['s-old', 0],
    ]);
    expect(m.sessions.getSession({ userId: PHONE, sessionId: 's-shared' }).events.map((event) => event.content)).toEqual([
      'Cho tôi nước mắm Nam Ngư',
      'Thêm một chai tương ớt',
      'Giao 2 thùng bia Sài Gòn',
      'Cảm ơn chị',
    ]);
    expect(m.memory.listSummaries(PHONE).map((summary) => summary.summary)).toEqual(['Khách hẹn giao thứ bảy']);

    // The ledger the module reads equals the rows.
    for (const row of ledgerFromRows(m.db)) {
      expect(m.usage(row.user_id, row.tier as 'warm' | 'cold')).toEqual({ bytes: row.bytes, entries: row.entries });
    }

    // The index is rebuilt in the background (bounded steps on the module's clock); then the
    // merged customer's messages, memories and summaries are found under the canonical id.
    const meta = (name: string) => (m.db.prepare('SELECT value FROM memory_meta WHERE name = ?').get(name) as { value: number } | undefined)?.value;
    expect(meta('rebuild_entries_after')).toBe(0);
    clock.advanceTo(start + MIN);
    expect(meta('search_format')).toBe(2);
    expect(meta('rebuild_entries_after')).toBeUndefined();
    const found = (userId: string, query: string) => m.memory.searchMemory({ userId }, query).map((hit) => [hit.kind, hit.userId]);
    expect(found(PHONE, 'nuoc mam nam ngu')).toEqual([['message', PHONE]]);
    expect(found(PHONE, 'bia sai gon')).toEqual([['message', PHONE]]);
    expect(found(PHONE, 'ca phe sua da')).toEqual([['memory', PHONE]]);
    expect(found(PHONE, 'giao thu bay')).toEqual([['summary', PHONE]]);
    expect(found(CODE, 'gao st25')).toEqual([['message', CODE]]);
    expect(
      found(LEGACY, 'khach quen')
        .map(([kind]) => kind)
        .sort(),
    ).toEqual(['memory', 'message']);
    expect(found(NAME, 'nuoc mam')).toEqual([]);

    // The app's own writes keep the recomputed ledger exact.
    m.memory.memorize({ userId: PHONE }, 'thích', 'trà sữa');
    m.memory.forget({ userId: PHONE }, `thích ~ ${DOTTED}`);
    m.sessions.appendEvent({ userId: PHONE, sessionId: 's-shared', event: { author: 'user', kind: 'message', content: 'Thêm đá' } });
    m.sessions.deleteSession({ userId: PHONE, sessionId: 's-2' });
    for (const row of ledgerFromRows(m.db)) {
      expect(m.usage(row.user_id, row.tier as 'warm' | 'cold')).toEqual({ bytes: row.bytes, entries: row.entries });
    }

    // Erasing the customer erases the report rows that name their old ids too.
    expect(count(m.db, 'identity_merges')).toBeGreaterThan(0);
    m.memory.deleteUserData(SPACED);
    expect((m.db.prepare('SELECT count(*) AS n FROM identity_merges WHERE customer_id = ?').get(PHONE) as { n: number }).n).toBe(0);
    for (const old of [SPACED, PLUS, DOTTED, '234\t567']) expect(rowsMentioning(m.db, old)).toEqual([]);
    // The other customers' report rows stay.
    expect(report(m.db).map((row) => row.customer_id)).toEqual(expect.arrayContaining([CODE, LEGACY]));
    await m.shutdown();
  });

  it('changes nothing in a file whose ids are already canonical, and reports zeros', () => {
    const file = path.join(tempDir(), 'memory.sqlite');
    const { db: v5 } = openDatabase(file, beforeIdentity);
    const w = new Version5Writer(v5);
    const session = w.session(PHONE, 's1', start);
    w.event(session, PHONE, 'ev-1', 'Xin chào', start);
    w.turn('run-1', PHONE, 's1', start);
    w.entry(PHONE, 'thích', 'trà đá', start);
    w.entry(NAME, 'thích', 'bánh mì', start);
    w.cart(CODE, 'default', 'cart-1', start);
    const tables = (
      v5.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]
    )
      .map((row) => row.name)
      .filter((name) => !name.startsWith('memory_fts'));
    const before = Object.fromEntries(tables.map((table) => [table, tableDump(v5, table)]));
    v5.close();

    const capture = captureLog();
    const { db } = openDatabase(file, upToIdentity, capture.child('storage'));
    expect(capture.lines().find((line) => line.msg === 'migration applied' && line.version === 6)).toMatchObject({
      report: { idsRenamed: 0, legacyIds: 0, customersMerged: 0, entriesRenamed: 0, sessionsMerged: 0, cartsSuperseded: 0 },
    });
    expect(Object.fromEntries(tables.map((table) => [table, tableDump(db, table)]))).toEqual(before);
    expect(count(db, 'identity_merges')).toBe(0);
    db.close();
  });

  it('a failure in the middle leaves the file at version 5 with every row as it was', async () => {
    const dir = tempDir();
    const file = await writeVariants(dir);
    const v5 = new Database(file);
    // Carts move after the entries and conversations have: this fails the migration halfway.
    v5.exec("CREATE TRIGGER refuse_cart_move BEFORE UPDATE ON commerce_carts BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;");
    const snapshot = snapshotDatabase(v5);
    v5.close();

    let thrown: unknown;
    try {
      openDatabase(file, migrations);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'migration_failed', details: { version: 6, schemaVersion: 5 } });

    const db = new Database(file, { readonly: true });
    expect(schemaVersionOf(db)).toBe(5);
    expect(snapshotDatabase(db)).toBe(snapshot);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'identity_merges'").get()).toEqual({ n: 0 });
    db.close();
  });
});
