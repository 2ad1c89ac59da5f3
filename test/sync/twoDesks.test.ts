import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { MemoryValueView } from '@shared/contract/memory';
import type { Hub } from '../../src/hub';
import { DB_FILE_NAME } from '../../src/main/app/config';
import { query } from '../hub/helpers';
import { tempDir } from '../helpers/tempDir';
import { deskState, enroll, hashOf, hubState, invoke, nextMemoryChange, put, settled, status, syncTestBed, until } from './helpers';

const bed = syncTestBed();
const { desk, close, freshHub: startHub } = bed;
let hub: Hub;
let databaseUrl: string;

async function freshHub(): Promise<Hub> {
  ({ hub, databaseUrl } = await startHub());
  return hub;
}

describe('two desks sharing a customer through the hub', () => {
  it('shows a memory written on desk A on desk B within a second while both are online, with where it was learned', async () => {
    await freshHub();
    const a = await desk(tempDir());
    const b = await desk(tempDir());
    expect((await enroll(a, hub, 'Quầy 1')).enrolled).toBe(true);
    await enroll(b, hub, 'Quầy 2');
    // B's live stream is open before A writes: that is "online".
    await until(async () => (await status(b)).online && (await status(a)).online, 'both desks online');

    const arrived = nextMemoryChange(b, (change) => change.userId === '0901234567' && change.key === 'di ứng', 1_000);
    await put(a, '0901 234 567', 'di ứng', 'đậu phộng');
    await arrived;

    const seen = await invoke<MemoryValueView>(b, 'memory.get', { userId: '0901234567', key: 'di ứng' });
    expect(seen.value).toBe('đậu phộng');
    expect(seen.learnedAt).toMatchObject({ deskName: 'Quầy 1', store: 'b2c_10010_vi' });
    // On A it was learned at A: no provenance from elsewhere.
    const own = await invoke<MemoryValueView>(a, 'memory.get', { userId: '0901234567', key: 'di ứng' });
    expect(own.learnedAt).toBeUndefined();

    // A customer record saved on B reaches A, and a forget on B removes the memory on A.
    await invoke(b, 'customers.save', { customerId: '0901234567', displayName: 'Chị Lan' });
    const forgotten = nextMemoryChange(a, (change) => change.key === 'di ứng' && change.change === 'forget', 5_000);
    await invoke(b, 'memory.forget', { userId: '0901234567', key: 'di ứng' });
    await forgotten;
    await until(
      async () => (await invoke<{ displayName: string } | null>(a, 'customers.get', { customerId: '0901234567' }))?.displayName === 'Chị Lan',
      'the record on A',
    );

    await settled(a, databaseUrl);
    await settled(b, databaseUrl);
    const hubShared = hashOf(await hubState(databaseUrl));
    expect(hashOf(deskState(a))).toBe(hubShared);
    expect(hashOf(deskState(b))).toBe(hubShared);
    expect((await status(a)).pending).toBe(0);
  });

  it('catches up from its cursor when it starts again after being closed while desk A wrote', async () => {
    await freshHub();
    const a = await desk(tempDir());
    const bDir = tempDir();
    let b = await desk(bDir);
    await enroll(a, hub, 'Quầy 1');
    await enroll(b, hub, 'Quầy 2');
    await put(a, 'kh-001', 'thích', 'sữa không đường');
    await until(() => deskState(b).memories['kh-001\u0000thích'] !== undefined, 'the first memory on B');
    const cursorBefore = Number(b.db!.prepare("SELECT value FROM sync_state WHERE name = 'cursor'").pluck().get());

    await close(b);
    for (let n = 0; n < 120; n++) await put(a, `kh-${String(n % 7).padStart(3, '0')}`, `k${n}`, { n, note: 'khi B tắt' });
    await invoke(a, 'memory.forget', { userId: 'kh-001', key: 'thích' });
    await settled(a, databaseUrl);

    b = await desk(bDir);
    // Still enrolled after the restart (the token came back from the data file), and it pulls what it missed.
    expect((await status(b)).enrolled).toBe(true);
    await settled(b, databaseUrl);
    expect(Number(b.db!.prepare("SELECT value FROM sync_state WHERE name = 'cursor'").pluck().get())).toBeGreaterThan(cursorBefore);
    const state = deskState(b);
    expect(state.memories['kh-001\u0000thích']).toBeUndefined();
    expect(Object.keys(state.memories)).toHaveLength(120);
    expect(hashOf(state)).toBe(hashOf(await hubState(databaseUrl)));
    expect(hashOf(deskState(a))).toBe(hashOf(state));
  });
});

const chiLan = '0901234567';
const erased = '0912345678';

/**
 * A copy of the database as it is now, as restoring a backup (pg_dump) of it would give it: the
 * same rows and the same place of the seq counter. PostgreSQL copies it as a template, which needs
 * nobody connected to it: the hub must be closed.
 */
async function backUp(databaseUrl: string): Promise<string> {
  const server = new URL(databaseUrl);
  const name = `backup_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${admin.escapeIdentifier(server.pathname.slice(1))}`);
  } finally {
    await admin.end();
  }
  return Object.assign(new URL(databaseUrl), { pathname: `/${name}` }).toString();
}

/** The customer's memory under `key` on `desk`, null when it has none. */
function entryOf(desk: Parameters<typeof invoke>[0], key: string): Promise<MemoryValueView | null> {
  return invoke<MemoryValueView>(desk, 'memory.get', { userId: chiLan, key }).catch((error: { code?: string }) => {
    if (error.code === 'not_found') return null;
    throw error;
  });
}

describe('a hub restored from a backup', () => {
  it('gets back from the desks what they synced after the backup, and its new changes reach every desk', async () => {
    const { hub: first, databaseUrl } = await bed.freshHub();
    const port = Number(new URL(first.url).port);
    const a = await bed.desk(tempDir());
    const b = await bed.desk(tempDir());
    await enroll(a, first, 'Quầy 1');
    await enroll(b, first, 'Quầy 2');
    await put(a, chiLan, 'sữa', 'không đường');
    await put(b, erased, 'ghi chú', 'khách quen, hay mua bia');
    await settled(a, databaseUrl);
    await settled(b, databaseUrl);
    await settled(a, databaseUrl);

    // The backup, taken with the hub stopped for a moment (the desks keep working meanwhile).
    await first.close();
    const backupUrl = await backUp(databaseUrl);
    const hub = await bed.hubOn(databaseUrl, { port });

    // After the backup: A learns something, B saves the record and forgets what A had learned; both sync past the backup.
    await put(a, chiLan, 'dị ứng', 'đậu phộng');
    await invoke(b, 'customers.save', { customerId: chiLan, displayName: 'Chị Lan' });
    await invoke(b, 'memory.forget', { userId: chiLan, key: 'sữa' });
    // …and A erases a customer the backup still holds.
    await invoke(a, 'memory.deleteCustomer', { userId: erased });
    await settled(a, databaseUrl);
    await settled(b, databaseUrl);
    expect(JSON.stringify(await hubState(databaseUrl))).not.toContain(erased);
    const beforeRestore = hashOf(await hubState(databaseUrl));
    expect(hashOf(deskState(a))).toBe(beforeRestore);

    // The hub's database is lost and restored from the backup, at the same address.
    await hub.close();
    await bed.hubOn(backupUrl, { port });
    // The desks notice (the change at their cursor is not in the restored log) and send what they have again.
    await until(async () => hashOf(await hubState(backupUrl)) === beforeRestore, 'the restored hub to get back what the desks had', 30_000);
    expect((await status(a)).lastError?.code).toBe('hub_restored');
    expect((await status(b)).lastError?.code).toBe('hub_restored');

    // The erasure the restored hub lacked came back from the desks (they keep only its hash, and
    // learned the id again from the customer's older changes the hub sent): nothing of them is left.
    expect(await query(backupUrl, 'SELECT customer_id FROM erasures')).toEqual([{ customer_id: erased }]);
    expect(JSON.stringify(await query(backupUrl, 'SELECT customer_id, change FROM changes WHERE customer_id = $1', [erased]))).not.toContain('bia');
    // A change made now gets a seq B's old cursor had passed: B must still see it.
    await put(a, chiLan, 'ghi chú', 'giao hàng buổi sáng');
    await until(async () => (await entryOf(b, 'ghi chú'))?.value === 'giao hàng buổi sáng', 'the new change on desk B', 30_000);
    await settled(a, backupUrl);
    await settled(b, backupUrl);
    const shared = hashOf(await hubState(backupUrl));
    expect(hashOf(deskState(a))).toBe(shared);
    expect(hashOf(deskState(b))).toBe(shared);
    // What B forgot after the backup stays forgotten everywhere; the rest is there.
    expect((await entryOf(a, 'sữa'))?.value).toBeUndefined();
    expect((await entryOf(b, 'dị ứng'))?.value).toBe('đậu phộng');
    expect((await invoke<{ displayName: string } | null>(a, 'customers.get', { customerId: chiLan }))?.displayName).toBe('Chị Lan');
  });

  it('finishes at the next start a resend the desk was stopped in the middle of', async () => {
    const { hub: first, databaseUrl } = await bed.freshHub();
    const port = Number(new URL(first.url).port);
    const dir = tempDir();
    const a = await bed.desk(dir);
    await enroll(a, first, 'Quầy 1');
    await first.close();
    const backupUrl = await backUp(databaseUrl);
    const second = await bed.hubOn(databaseUrl, { port });
    await put(a, chiLan, 'sữa', 'không đường');
    await settled(a, databaseUrl);
    await bed.close(a);
    await second.close();

    // The hub is restored from the backup, and the desk had been stopped right after it found out:
    // its cursor reset and the resend marked as started, in one transaction, and nothing resent yet.
    const file = new Database(path.join(dir, DB_FILE_NAME));
    try {
      file.transaction(() => {
        file.prepare("UPDATE sync_state SET value = '0' WHERE name = 'cursor'").run();
        file.prepare("DELETE FROM sync_state WHERE name = 'cursor_op'").run();
        file.prepare("INSERT INTO sync_state (name, value) VALUES ('resend_pending', '1')").run();
      })();
    } finally {
      file.close();
    }
    await bed.hubOn(backupUrl, { port });
    const restarted = await bed.desk(dir);
    await until(async () => hashOf(await hubState(backupUrl)) === hashOf(deskState(restarted)), 'the resend to reach the restored hub', 30_000);
    expect(Object.keys(deskState(restarted).memories)).toHaveLength(1);
    expect(restarted.db!.prepare("SELECT value FROM sync_state WHERE name = 'resend_pending'").get()).toBeUndefined();
  });
});

describe('memories kept for a time, shared through the hub', () => {
  it('expire on every desk and on the hub at the time they were given, and stay gone', async () => {
    const { hub, databaseUrl } = await bed.freshHub({ expirySweepMs: 100 });
    const a = await bed.desk(tempDir());
    const b = await bed.desk(tempDir());
    await enroll(a, hub, 'Quầy 1');
    await enroll(b, hub, 'Quầy 2');

    // Long enough for B to receive it first on a loaded machine (it arrives in milliseconds alone).
    const written = await invoke<MemoryValueView>(a, 'memory.put', { userId: chiLan, key: 'quà tặng', value: 'sinh nhật vợ', ttlMs: 5_000 });
    await invoke(a, 'memory.put', { userId: chiLan, key: 'sữa', value: 'không đường' });
    expect(written.expiresAt).not.toBeNull();
    const stamp = a.db!.prepare("SELECT hlc FROM memory_entries WHERE key = 'quà tặng'").pluck().get();
    expect(stamp).toEqual(expect.any(String));
    await until(async () => (await entryOf(b, 'quà tặng')) !== null, 'the memory on desk B');
    // B keeps it for the same time, not for ever.
    expect((await entryOf(b, 'quà tặng'))?.expiresAt).toBe(written.expiresAt);

    await until(async () => (await entryOf(b, 'quà tặng')) === null && (await entryOf(a, 'quà tặng')) === null, 'the memory to expire on both desks');
    await until(
      async () => (await query<{ deleted: boolean }>(databaseUrl, "SELECT deleted FROM memories WHERE key = 'quà tặng'"))[0]?.deleted === true,
      'the hub to remove it',
    );
    expect(JSON.stringify(await query(databaseUrl, 'SELECT change FROM changes'))).not.toContain('sinh nhật');
    // The expired row is deleted on B (by the read above, or by maintenance) and its stamp kept, so an older value cannot come back.
    await invoke(b, 'memory.runMaintenance', { task: 'cleanup' });
    const tombstone = b.db!.prepare("SELECT hlc FROM sync_tombstones WHERE key = 'quà tặng'").pluck().get();
    expect(tombstone).toBe(stamp);
    expect(b.db!.prepare("SELECT count(*) FROM memory_entries WHERE key = 'quà tặng'").pluck().get()).toBe(0);

    // A desk joining later pulls the whole log: the expired put removes nothing it has and stores nothing.
    const c = await bed.desk(tempDir());
    await enroll(c, hub, 'Quầy 3');
    await settled(c, databaseUrl);
    expect(await entryOf(c, 'quà tặng')).toBeNull();
    expect((await entryOf(c, 'sữa'))?.value).toBe('không đường');
  });
});
