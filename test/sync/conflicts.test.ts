import { describe, expect, it } from 'vitest';
import type { MemoryValueView } from '@shared/contract/memory';
import { parseHlc } from '@shared/sync';
import type { Services } from '../../src/main/app/services';
import type { Hub } from '../../src/hub';
import { query } from '../hub/helpers';
import { tempDir } from '../helpers/tempDir';
import { deskState, enroll, hashOf, hubState, invoke, put, settled, status, syncTestBed, until } from './helpers';

const bed = syncTestBed();
const { desk, close, freshHub: startHub } = bed;
let hub: Hub;
let databaseUrl: string;

async function freshHub(): Promise<void> {
  ({ hub, databaseUrl } = await startHub());
}

/** Every row a desk keeps that names the customer, by table (0 everywhere when they are gone). */
function rowsOf(desk: Services, customerId: string): Record<string, number> {
  const db = desk.db!;
  const count = (sql: string) => Number(db.prepare(sql).pluck().get(customerId));
  return {
    entries: count('SELECT count(*) FROM memory_entries WHERE user_id = ?'),
    sessions: count('SELECT count(*) FROM memory_sessions WHERE user_id = ?'),
    summaries: count('SELECT count(*) FROM memory_summaries WHERE user_id = ?'),
    usage: count('SELECT count(*) FROM memory_usage WHERE user_id = ?'),
    customers: count('SELECT count(*) FROM customers WHERE id = ?'),
    carts: count('SELECT count(*) FROM commerce_carts WHERE customer_id = ?'),
    outbox: count('SELECT count(*) FROM sync_outbox WHERE customer_id = ?'),
    rejected: count('SELECT count(*) FROM sync_rejected WHERE customer_id = ?'),
    tombstones: count('SELECT count(*) FROM sync_tombstones WHERE customer_id = ?'),
  };
}

const none = { entries: 0, sessions: 0, summaries: 0, usage: 0, customers: 0, carts: 0, outbox: 0, rejected: 0, tombstones: 0 };

describe('conflicts', () => {
  it('three desks writing the same key at once converge on one value, the same as the hub’s', async () => {
    await freshHub();
    const desks = [await desk(tempDir()), await desk(tempDir()), await desk(tempDir())];
    for (const [index, services] of desks.entries()) await enroll(services, hub, `Quầy ${index + 1}`);

    for (let round = 0; round < 10; round++) {
      await Promise.all(
        desks.map(async (services, index) => {
          await put(services, 'kh-42', 'món yêu thích', { desk: index + 1, round });
          await put(services, `kh-${round}`, 'ghi chú', `quầy ${index + 1}`);
          await invoke(services, 'customers.save', { customerId: 'kh-42', displayName: `Khách ${index + 1}.${round}` });
          if (round % 3 === index) await invoke(services, 'memory.forget', { userId: `kh-${round}`, key: 'ghi chú' });
        }),
      );
    }
    for (const services of desks) await settled(services, databaseUrl);
    // A second pass: what a desk pushed after another pulled has reached everyone now.
    for (const services of desks) await settled(services, databaseUrl);

    const expected = hashOf(await hubState(databaseUrl));
    for (const services of desks) expect(hashOf(deskState(services))).toBe(expected);
    // The value everyone has is the one with the newest stamp on the hub.
    const [winner] = await query<{ value: { desk: number; round: number } }>(
      databaseUrl,
      "SELECT value FROM memories WHERE customer_id = 'kh-42' AND key = 'món yêu thích'",
    );
    const seen = await invoke<MemoryValueView>(desks[0]!, 'memory.get', { userId: 'kh-42', key: 'món yêu thích' });
    expect(seen.value).toEqual(winner!.value);
    expect(winner!.value.round).toBe(9);
  });

  it('an erasure on desk A while desk B is offline with older changes leaves nothing of the customer anywhere; later changes survive', async () => {
    await freshHub();
    const a = await desk(tempDir());
    const bDir = tempDir();
    // B records changes but does not push them before it goes offline (its pushes wait 10 minutes).
    let b = await desk(bDir, { pushDelayMs: 600_000, pullIntervalMs: 600_000 });
    await enroll(a, hub, 'Quầy 1');
    await enroll(b, hub, 'Quầy 2');
    const customer = '0912345678';
    await put(a, customer, 'dị ứng', 'đậu phộng');
    await invoke(a, 'customers.save', { customerId: customer, displayName: 'Anh Minh' });
    await until(() => rowsOf(b, customer).entries === 1 && rowsOf(b, customer).customers === 1, 'the customer on B');

    // Offline with older pending changes: shared memories, a forget, a record change, and local-only data.
    await put(b, customer, 'size áo', 'L');
    await put(b, customer, 'ghi chú', 'chỉ ở quầy 2');
    await invoke(b, 'memory.forget', { userId: customer, key: 'dị ứng' });
    await invoke(b, 'customers.save', { customerId: customer, membershipNumber: 'MM-778899' });
    b.memory!.sessions.createSession({ userId: customer, sessionId: 'quay-2-s1', title: 'Hỏi về sữa' });
    b.memory!.sessions.appendEvent({ userId: customer, sessionId: 'quay-2-s1', event: { author: 'user', kind: 'message', content: 'cho tôi sữa' } });
    await put(b, customer, 'giỏ tạm', 'x', 'quay-2-s1');
    b.db!.prepare('INSERT INTO commerce_carts (customer_id, store, cart_id, updated_at) VALUES (?, ?, ?, ?)').run(customer, 'demo', 'cart-b', 1);
    expect((await status(b)).pending).toBeGreaterThanOrEqual(4);
    await close(b);

    await invoke(a, 'memory.deleteCustomer', { userId: customer });
    await settled(a, databaseUrl);
    // A change after the erasure survives it.
    await put(a, customer, 'sau khi xoá', 'vẫn còn');
    await settled(a, databaseUrl);

    b = await desk(bDir);
    await settled(b, databaseUrl);
    await settled(a, databaseUrl);

    const survivor = `${customer}\u0000sau khi xoá`;
    for (const services of [a, b]) {
      expect(rowsOf(services, customer)).toEqual({ ...none, entries: 1, usage: 1 });
      expect(Object.keys(deskState(services).memories).filter((key) => key.startsWith(customer))).toEqual([survivor]);
    }
    const hubRows = await query<{ n: string; t: string }>(
      databaseUrl,
      `SELECT 'memories' AS t, count(*) AS n FROM memories WHERE customer_id = $1 UNION ALL
       SELECT 'customers', count(*) FROM customers WHERE customer_id = $1 UNION ALL
       SELECT 'summaries', count(*) FROM summaries WHERE customer_id = $1 UNION ALL
       SELECT 'changes', count(*) FROM changes WHERE customer_id = $1 AND kind <> 'customer.erase'`,
      [customer],
    );
    expect(Object.fromEntries(hubRows.map((row) => [row.t, Number(row.n)]))).toEqual({ memories: 1, customers: 0, summaries: 0, changes: 1 });
    expect((await hubState(databaseUrl)).memories[survivor]).toBe('"vẫn còn"');
    expect(hashOf(deskState(a))).toBe(hashOf(await hubState(databaseUrl)));
    expect(hashOf(deskState(b))).toBe(hashOf(await hubState(databaseUrl)));

    // B writes again after it caught up: that survives too, everywhere.
    await put(b, customer, 'lần sau', 'quầy 2');
    await settled(b, databaseUrl);
    await settled(a, databaseUrl);
    expect(deskState(a).memories[`${customer}\u0000lần sau`]).toBe('"quầy 2"');
  });

  it('an erasure reaching a desk that served the customer again meanwhile keeps that later visit, and erases what came before', async () => {
    await freshHub();
    const port = Number(new URL(hub.url).port);
    const a = await desk(tempDir());
    const b = await desk(tempDir());
    await enroll(a, hub, 'Quầy 1');
    await enroll(b, hub, 'Quầy 2');
    const customer = '0987654321';
    const conversation = (sessionId: string, text: string) => {
      b.memory!.sessions.createSession({ userId: customer, sessionId });
      b.memory!.sessions.appendEvent({ userId: customer, sessionId, event: { author: 'user', kind: 'message', content: { text } } });
    };
    await put(b, customer, 'dị ứng', 'đậu phộng');
    conversation('truoc', 'hỏi sữa cho con');
    await settled(b, databaseUrl);

    // The hub goes away; meanwhile A erases the customer (A keeps it for the hub) and B serves them again.
    await hub.close();
    await invoke(a, 'memory.deleteCustomer', { userId: customer });
    // B's visit starts after the erasure's time (on one machine that is the next millisecond).
    const erasedAt = parseHlc(a.db!.prepare('SELECT max(hlc) FROM sync_erasures').pluck().get() as string).wallMs;
    await until(() => Date.now() > erasedAt, 'a millisecond after the erasure');
    conversation('sau', 'mua bia cho tiệc');
    await put(b, customer, 'giỏ tạm', 'bia Tiger', 'sau');
    b.db!.prepare('INSERT INTO commerce_carts (customer_id, store, cart_id, updated_at) VALUES (?, ?, ?, ?)').run(
      customer,
      'demo',
      'cart-sau',
      Date.now(),
    );

    hub = await bed.hubOn(databaseUrl, { port });
    await settled(a, databaseUrl);
    await settled(b, databaseUrl);
    await until(() => rowsOf(b, customer).entries === 1, 'the erasure on desk B');

    // The visit after the erasure is still there, with its session memory and cart; nothing from before it is.
    const sessions = b.db!.prepare('SELECT session_id FROM memory_sessions WHERE user_id = ?').pluck().all(customer);
    expect(sessions).toEqual(['sau']);
    expect(await invoke<MemoryValueView>(b, 'memory.get', { userId: customer, sessionId: 'sau', key: 'giỏ tạm' })).toMatchObject({
      value: 'bia Tiger',
    });
    expect(rowsOf(b, customer)).toMatchObject({ entries: 1, customers: 0, carts: 1 });
    expect(b.db!.prepare('SELECT cart_id FROM commerce_carts WHERE customer_id = ?').pluck().get(customer)).toBe('cart-sau');
    expect(deskState(b).memories[`${customer}\u0000dị ứng`]).toBeUndefined();
    // The usage ledger counts exactly what is left: the later visit's events and memory.
    const usage = b.db!.prepare('SELECT sum(bytes) FROM memory_usage WHERE user_id = ?').pluck().get(customer) as number;
    const left = b
      .db!.prepare(
        `SELECT (SELECT coalesce(sum(stored_bytes), 0) FROM memory_entries WHERE user_id = ?) +
              (SELECT coalesce(sum(e.bytes), 0) FROM memory_events e JOIN memory_sessions s ON s.id = e.session_row WHERE s.user_id = ?)`,
      )
      .pluck()
      .get(customer, customer) as number;
    expect(usage).toBe(left);
    expect(hashOf(deskState(a))).toBe(hashOf(await hubState(databaseUrl)));
    expect(hashOf(deskState(b))).toBe(hashOf(await hubState(databaseUrl)));
  });
});
