import { describe, expect, it } from 'vitest';
import { formatHlc, type SyncChange, type SyncOp } from '@shared/sync';
import type { Hub } from '../../src/hub';
import { migrations } from '../../src/hub/migrations';
import { erasedMarker } from '../../src/hub/push';
import { prng } from '../../src/main/commerce/demo/catalog';
import type { HubClient } from '../helpers/hubClient';
import { enrollDesks, eventually, query } from './helpers';
import { hubTestBed } from './testBed';

const bed = hubTestBed();
const freshHub = (databaseUrl?: string): Promise<Hub> => bed.hub({}, databaseUrl);

function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

type MemoryRow = { customer_id: string; key: string; value: unknown; deleted: boolean; hlc: string };

async function memories(hub: Hub): Promise<MemoryRow[]> {
  return query<MemoryRow>(hub.databaseUrl, 'SELECT customer_id, key, value, deleted, hlc FROM memories ORDER BY customer_id, key');
}

describe('hub schema', () => {
  it('is migrated once when hubs start together on a fresh database', async () => {
    const databaseUrl = await bed.postgres().createDatabase();
    const started = await Promise.all([freshHub(databaseUrl), freshHub(databaseUrl), freshHub(databaseUrl)]);
    expect(started).toHaveLength(3);
    expect(await query(databaseUrl, 'SELECT version FROM hub_migrations ORDER BY version')).toEqual(
      migrations.map((migration) => ({ version: migration.version })),
    );
  });
});

describe('hub applies each op once', () => {
  it('answers a repeated batch with duplicate and the original seqs, and logs nothing twice', async () => {
    const hub = await freshHub();
    const [desk] = await enrollDesks(hub, 1);
    const ops = [desk!.put('0901234567', 'sữa', 'không đường'), desk!.customer('0901234567', 'Chị Lan'), desk!.summary('0901234567', 'Mua sữa')];
    const first = await desk!.pushOk(ops);
    expect(first.results.map((result) => result.status)).toEqual(['applied', 'applied', 'applied']);
    const seqs = first.results.map((result) => result.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a! - b!));

    const again = await desk!.pushOk(ops);
    expect(again.results).toEqual(ops.map((op, n) => ({ id: op.id, status: 'duplicate', seq: seqs[n] })));
    // Partly new: the old ops answer duplicate, the new one is applied after them.
    const extra = desk!.put('0901234567', 'bánh', 'Cosy');
    const mixed = await desk!.pushOk([ops[0]!, extra]);
    expect(mixed.results[0]).toEqual({ id: ops[0]!.id, status: 'duplicate', seq: seqs[0] });
    expect(mixed.results[1]).toMatchObject({ id: extra.id, status: 'applied' });
    expect(mixed.results[1]!.seq).toBeGreaterThan(seqs[2]!);

    // The same id twice in one batch: applied once.
    const twice = desk!.put('0901234567', 'trà', 'xanh');
    const inBatch = await desk!.pushOk([twice, twice]);
    expect(inBatch.results.map((result) => result.status)).toEqual(['applied', 'duplicate']);
    expect(inBatch.results[1]!.seq).toBe(inBatch.results[0]!.seq);

    expect((await desk!.pullAll()).map((change) => change.op.id)).toEqual([...ops.map((op) => op.id), extra.id, twice.id]);
    expect(await query(hub.databaseUrl, 'SELECT 1 FROM summaries')).toHaveLength(1);
  });

  it('still knows its ops after a hub restart on the same database', async () => {
    const databaseUrl = await bed.postgres().createDatabase();
    const first = await freshHub(databaseUrl);
    const [desk] = await enrollDesks(first, 1);
    const ops = [desk!.put('0901234567', 'sữa', 'không đường'), desk!.forget('0901234567', 'bia')];
    const applied = await desk!.pushOk(ops);
    await first.close();

    const second = await freshHub(databaseUrl);
    desk!.hubUrl = second.url;
    const again = await desk!.pushOk(ops);
    expect(again.results).toEqual(applied.results.map((result) => ({ ...result, status: 'duplicate' })));
    expect(await desk!.pullAll()).toHaveLength(2);
  });

  it('keeps summaries append-only: one row per summaryId, whatever the op id', async () => {
    const hub = await freshHub();
    const [desk] = await enrollDesks(hub, 1);
    const summary = desk!.summary('0901234567', 'Chị Lan mua sữa không đường');
    await desk!.pushOk([summary]);
    await desk!.pushOk([{ ...summary, id: crypto.randomUUID(), summary: { text: 'changed', facts: [], preferences: [] } }]);
    const rows = await query<{ summary: { text: string } }>(hub.databaseUrl, 'SELECT summary FROM summaries');
    expect(rows.map((row) => row.summary.text)).toEqual(['Chị Lan mua sữa không đường']);
  });
});

describe('hub conflicts: last writer by hybrid logical clock wins', () => {
  it('converges to the newest stamp when 3 desks on two hubs push the same keys concurrently in random order', async () => {
    const databaseUrl = await bed.postgres().createDatabase();
    const hub = await freshHub(databaseUrl);
    const other = await freshHub(databaseUrl);
    const desks = await enrollDesks(hub, 3);
    // Batches for the one customer arrive through two hub processes at once.
    desks[1]!.hubUrl = other.url;
    const next = prng(14); // seeded, so a failing order can be replayed
    const keys = ['sữa', 'bia', 'gạo', 'dị ứng'];
    const ops: { desk: HubClient; op: SyncOp }[] = [];
    for (let round = 0; round < 20; round++) {
      for (const desk of desks) {
        const key = keys[Math.floor(next() * keys.length)]!;
        // Clocks skewed per desk and wall times that collide, so the desk id must break ties.
        const hlc = formatHlc(1_770_000_000_000 + Math.floor(next() * 50), Math.floor(next() * 3), desk.deskId);
        const op = next() < 0.2 ? desk.forget('0901234567', key, hlc) : desk.put('0901234567', key, { round, from: desk.deskId }, hlc);
        ops.push({ desk, op });
      }
    }
    shuffle(ops, next);
    // Every desk pushes its own ops in small batches, all desks at once.
    await Promise.all(
      desks.map(async (desk) => {
        const mine = ops.filter((entry) => entry.desk === desk).map((entry) => entry.op);
        for (let start = 0; start < mine.length; start += 3) await desk.pushOk(mine.slice(start, start + 3));
      }),
    );

    const expected = new Map<string, SyncOp>();
    for (const { op } of ops) {
      if (op.kind !== 'memory.put' && op.kind !== 'memory.forget') continue;
      const current = expected.get(op.key);
      if (!current || op.hlc > current.hlc) expected.set(op.key, op);
    }
    const rows = await memories(hub);
    expect(rows.map((row) => [row.key, row.hlc, row.deleted])).toEqual(
      [...expected.values()]
        .sort((a, b) => ((a as { key: string }).key < (b as { key: string }).key ? -1 : 1))
        .map((op) => [(op as { key: string }).key, op.hlc, op.kind === 'memory.forget']),
    );
    // Replaying the log in seq order under the same rule gives the same state (what a desk does).
    const replayed = new Map<string, string>();
    for (const change of await desks[0]!.pullAll()) {
      const op = change.op;
      if ((op.kind === 'memory.put' || op.kind === 'memory.forget') && op.hlc > (replayed.get(op.key) ?? '')) replayed.set(op.key, op.hlc);
    }
    expect(Object.fromEntries(replayed)).toEqual(Object.fromEntries(rows.map((row) => [row.key, row.hlc])));
  });

  it('keeps a forget as a tombstone that only a newer put overrides, and the newest customer record', async () => {
    const hub = await freshHub();
    const [a, b] = await enrollDesks(hub, 2);
    await a!.pushOk([a!.put('0901234567', 'sữa', 'có đường', formatHlc(1000, 0, a!.deskId))]);
    await b!.pushOk([b!.forget('0901234567', 'sữa', formatHlc(2000, 0, b!.deskId))]);
    await a!.pushOk([a!.put('0901234567', 'sữa', 'older', formatHlc(1500, 0, a!.deskId))]);
    expect(await memories(hub)).toMatchObject([{ key: 'sữa', deleted: true, value: null }]);
    await a!.pushOk([a!.put('0901234567', 'sữa', 'không đường', formatHlc(3000, 0, a!.deskId))]);
    expect(await memories(hub)).toMatchObject([{ key: 'sữa', deleted: false, value: 'không đường' }]);

    await b!.pushOk([b!.customer('0901234567', 'Chị Lan', formatHlc(5000, 0, b!.deskId))]);
    await a!.pushOk([a!.customer('0901234567', 'Lan (old)', formatHlc(4000, 0, a!.deskId))]);
    expect(await query(hub.databaseUrl, 'SELECT display_name FROM customers')).toEqual([{ display_name: 'Chị Lan' }]);
  });
});

describe('hub erasure', () => {
  it('deletes everything of the customer older than the erasure, log included, keeps newer changes, and supersedes late ops', async () => {
    const hub = await freshHub();
    const [a, b] = await enrollDesks(hub, 2);
    const lan = '0901234567';
    const other = '0912345678';
    const at = (ms: number, desk: HubClient): string => formatHlc(ms, 0, desk.deskId);
    await a!.pushOk([
      a!.put(lan, 'sữa', 'không đường', at(1000, a!)),
      a!.customer(lan, 'Chị Lan', at(1001, a!)),
      a!.summary(lan, 'Mua sữa', at(1002, a!)),
      a!.put(other, 'bia', 'Sài Gòn', at(1003, a!)),
    ]);
    // A change made after the erasure's stamp, arriving before it (b's clock is ahead).
    const newer = b!.put(lan, 'dị ứng', 'đậu phộng', at(9000, b!));
    await b!.pushOk([newer]);

    const erase = a!.erase(lan, at(5000, a!));
    const erased = await a!.pushOk([erase]);
    expect(erased.results[0]!.status).toBe('applied');

    expect((await memories(hub)).map((row) => [row.customer_id, row.key])).toEqual([
      [lan, 'dị ứng'],
      [other, 'bia'],
    ]);
    expect(await query(hub.databaseUrl, 'SELECT 1 FROM customers')).toEqual([]);
    expect(await query(hub.databaseUrl, 'SELECT 1 FROM summaries')).toEqual([]);

    // The log keeps the other customer, the newer change and the erasure, in seq order; nothing older of Lan.
    const log = await b!.pullAll();
    expect(log.map((change) => [change.op.customerId, change.op.kind])).toEqual([
      [other, 'memory.put'],
      [lan, 'memory.put'],
      [lan, 'customer.erase'],
    ]);
    expect(JSON.stringify(log)).not.toContain('không đường');
    expect(log.at(-1)!.origin).toEqual({ deskId: a!.deskId, deskName: 'Quầy 1', store: 'b2c_10010_vi' });

    // An offline desk's older pending ops come back superseded: not applied, not logged.
    const late = [b!.put(lan, 'sữa', 'có đường', at(4000, b!)), b!.erase(lan, at(4500, b!)), b!.put(lan, 'gạo', 'ST25', at(6000, b!))];
    const answer = await b!.pushOk(late);
    expect(answer.results.map((result) => [result.status, result.seq === null])).toEqual([
      ['superseded', true],
      ['superseded', true],
      ['applied', false],
    ]);
    expect((await b!.pullAll()).map((change) => change.op.id).slice(-1)).toEqual([late[2]!.id]);

    // The audit trail keeps what happened, by whom and when, but names Lan only by a marker.
    const audit = await query<{ action: string; customer_ref: string; desk_id: string }>(
      hub.databaseUrl,
      "SELECT action, customer_ref, desk_id FROM audit_trail WHERE op_id IS NOT NULL AND customer_ref <> '0912345678' ORDER BY at, action",
    );
    const marker = erasedMarker(lan);
    expect(marker).toMatch(/^erased:[0-9a-f]{16}$/);
    expect(audit.map((row) => [row.action, row.customer_ref, row.desk_id === a!.deskId ? 'A' : 'B']).sort()).toEqual(
      [
        ['memory.put', marker, 'A'],
        ['customer.put', marker, 'A'],
        ['summary.add', marker, 'A'],
        ['customer.erase', marker, 'A'],
        ['memory.put', lan, 'B'],
        ['memory.put', lan, 'B'],
      ].sort(),
    );
    expect(JSON.stringify(await query(hub.databaseUrl, 'SELECT * FROM audit'))).not.toContain(lan);
    // Retrying the erased ops (a lost answer) does not bring them back.
    await a!.pushOk([a!.put(lan, 'sữa', 'không đường', at(1000, a!))]);
    expect((await memories(hub)).filter((row) => row.customer_id === lan).map((row) => row.key)).toEqual(['dị ứng', 'gạo']);
  });

  it('supersedes a batch’s own older ops when the batch carries the erasure', async () => {
    const hub = await freshHub();
    const [a] = await enrollDesks(hub, 1);
    const before = a!.put('0901234567', 'sữa', 'x', formatHlc(1000, 0, a!.deskId));
    const erase = a!.erase('0901234567', formatHlc(2000, 0, a!.deskId));
    const after = a!.put('0901234567', 'bia', 'y', formatHlc(3000, 0, a!.deskId));
    const answer = await a!.pushOk([before, erase, after]);
    expect(answer.results.map((result) => result.status)).toEqual(['superseded', 'applied', 'applied']);
    expect((await memories(hub)).map((row) => row.key)).toEqual(['bia']);
  });
});

describe('hub expiry', () => {
  it('removes a memory kept for a time when its time is up: deleted in the state, its value gone from the log, the stamp kept', async () => {
    const hub = await bed.hub({ expirySweepMs: 50 });
    const [a, b] = await enrollDesks(hub, 2);
    // Long enough for the pull below to see the value on a loaded machine; the sweep runs every 50 ms.
    const expiresAt = Date.now() + 2_000;
    const keptForAWhile = { ...a!.put('0901234567', 'quà tặng', 'sinh nhật vợ ngày 5'), expiresAt };
    await a!.pushOk([keptForAWhile, a!.put('0901234567', 'sữa', 'không đường')]);
    const [pulled] = await b!.pullAll();
    expect(pulled!.op).toMatchObject({ key: 'quà tặng', value: 'sinh nhật vợ ngày 5', expiresAt });

    await eventually(
      async () => (await memories(hub)).find((row) => row.key === 'quà tặng')?.deleted === true,
      'the expired memory to be removed',
      10_000,
    );
    const rows = await memories(hub);
    expect(rows).toEqual([
      { customer_id: '0901234567', key: 'quà tặng', value: null, deleted: true, hlc: keptForAWhile.hlc },
      { customer_id: '0901234567', key: 'sữa', value: 'không đường', deleted: false, hlc: expect.any(String) },
    ]);
    const log = await b!.pullAll();
    expect(log.map((change) => change.op)).toEqual([
      { ...keptForAWhile, value: null },
      expect.objectContaining({ key: 'sữa', value: 'không đường' }),
    ]);
    expect(JSON.stringify(await query(hub.databaseUrl, 'SELECT * FROM changes'))).not.toContain('sinh nhật');
    // An older value arriving late does not bring the key back.
    await b!.pushOk([b!.put('0901234567', 'quà tặng', 'cũ', formatHlc(1000, 0, b!.deskId))]);
    expect((await memories(hub)).find((row) => row.key === 'quà tặng')).toMatchObject({ deleted: true, hlc: keptForAWhile.hlc });
  });

  it('refuses a time-to-live that is not a positive whole number of milliseconds', async () => {
    const hub = await freshHub();
    const [a] = await enrollDesks(hub, 1);
    for (const expiresAt of [0, -5, 1.5, '2026-12-01', null]) {
      const answer = await a!.push([{ ...a!.put('0901234567', 'k', 'v'), expiresAt }]);
      expect(answer.status).toBe(400);
    }
    expect(await memories(hub)).toEqual([]);
  });
});

describe('hub pull', () => {
  it('pages in seq order with the origin and time of each change', async () => {
    const hub = await freshHub();
    const [a, b] = await enrollDesks(hub, 2);
    for (let n = 0; n < 5; n++) await (n % 2 ? b! : a!).pushOk([(n % 2 ? b! : a!).put('0901234567', `k${n}`, n)]);
    const page = await a!.pull(0, 2);
    expect(page.status).toBe(200);
    const body = page.body as { changes: SyncChange[]; cursor: number; more: boolean };
    expect(body.changes.map((change) => change.seq)).toEqual([1, 2]);
    expect(body).toMatchObject({ cursor: 2, more: true });
    expect(body.changes[1]!.origin).toEqual({ deskId: b!.deskId, deskName: 'Quầy 2', store: 'b2c_10010_vi' });
    expect(typeof body.changes[0]!.acceptedAt).toBe('number');
    const rest = await a!.pull(2, 10);
    expect(rest.body).toMatchObject({ cursor: 5, more: false });
    expect(await a!.pull(5)).toMatchObject({ status: 200, body: { changes: [], cursor: 5, more: false } });
  });

  it('refuses a cursor whose change this log never had (restored or replaced), and keeps one an erasure removed', async () => {
    const hub = await freshHub();
    const [a] = await enrollDesks(hub, 1);
    const [first] = (await a!.pushOk([a!.put('0901234567', 'sữa', 'không đường')])).results;
    const [, third] = (await a!.pushOk([a!.put('0911111111', 'bia', 'không'), a!.put('0911111111', 'trà', 'xanh')])).results;
    expect((await a!.pull(first!.seq!, 10, first!.id)).status).toBe(200);

    // The change at seq 1 is erased: the log no longer has it, but it had it, so the cursor is good.
    await a!.pushOk([a!.erase('0901234567')]);
    expect(await query(hub.databaseUrl, 'SELECT 1 FROM changes WHERE op_id = $1', [first!.id])).toEqual([]);
    const afterErasure = await a!.pull(first!.seq!, 10, first!.id);
    expect(afterErasure.status).toBe(200);
    expect((afterErasure.body as { changes: SyncChange[] }).changes.map((change) => change.op.kind)).toEqual([
      'memory.put',
      'memory.put',
      'customer.erase',
    ]);

    // Another op at that seq, or a seq past the log's end: the desk synced with another log.
    expect(third!.seq).toBe(3);
    const unknown = await a!.pull(2, 10, third!.id);
    expect(unknown).toMatchObject({ status: 409, body: { error: { code: 'cursor_unknown' } } });
    expect(await a!.pull(500, 10, crypto.randomUUID())).toMatchObject({ status: 409, body: { error: { code: 'cursor_unknown' } } });
    // A malformed `at` is a malformed request; a desk that sends none is not checked (older desks).
    expect(await a!.pull(2, 10, 'not-an-id')).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect((await a!.pull(500, 10)).status).toBe(200);
  });

  it('never lets a cursor pass a change that commits later with a smaller seq (concurrent pushers on two hubs)', async () => {
    const databaseUrl = await bed.postgres().createDatabase();
    const hubA = await freshHub(databaseUrl);
    const hubB = await freshHub(databaseUrl);
    const desks = [...(await enrollDesks(hubA, 3)), ...(await enrollDesks(hubB, 3))];
    const [reader] = await enrollDesks(hubA, 1);
    let pushing = true;
    const seen: number[] = [];
    // The reader pulls as fast as it can while batches of many sizes commit concurrently on both hubs.
    const reading = (async () => {
      let cursor = 0;
      for (let round = 0; round < 100_000 && (pushing || round === 0); round++) {
        for (const change of await reader!.pullAll(cursor)) seen.push(change.seq);
        cursor = seen.at(-1) ?? cursor;
      }
      for (const change of await reader!.pullAll(cursor)) seen.push(change.seq);
    })();
    await Promise.all(
      desks.map(async (desk, n) => {
        for (let batch = 0; batch < 15; batch++) {
          const size = 1 + ((batch * 7 + n * 13) % 40);
          await desk.pushOk(Array.from({ length: size }, (_, k) => desk.put(`09012345${n}${batch % 3}`, `k${batch}-${k}`, { batch, k })));
        }
      }),
    );
    pushing = false;
    await reading;
    const all = await query<{ seq: string }>(databaseUrl, 'SELECT seq FROM changes ORDER BY seq');
    expect(seen).toEqual(all.map((row) => Number(row.seq)));
  });
});
