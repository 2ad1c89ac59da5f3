import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { MemoryValueView } from '@shared/contract/memory';
import { DB_FILE_NAME } from '../../src/main/app/config';
import { tempDir } from '../helpers/tempDir';
import { deskState, enroll, hashOf, hubState, invoke, put, settled, status, syncTestBed, until } from './helpers';

const bed = syncTestBed();
const customer = '0901234567';

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

function value(desk: Parameters<typeof invoke>[0], key: string): Promise<unknown> {
  return invoke<MemoryValueView | null>(desk, 'memory.get', { userId: customer, key }).then(
    (view) => view?.value,
    () => undefined,
  );
}

describe('a hub restored from a backup', () => {
  it('gets back from the desks what they synced after the backup, and its new changes reach every desk', async () => {
    const { hub: first, databaseUrl } = await bed.freshHub();
    const port = Number(new URL(first.url).port);
    const a = await bed.desk(tempDir());
    const b = await bed.desk(tempDir());
    await enroll(a, first, 'Quầy 1');
    await enroll(b, first, 'Quầy 2');
    await put(a, customer, 'sữa', 'không đường');
    await settled(a, databaseUrl);
    await settled(b, databaseUrl);

    // The backup, taken with the hub stopped for a moment (the desks keep working meanwhile).
    await first.close();
    const backupUrl = await backUp(databaseUrl);
    const hub = await bed.hubOn(databaseUrl, { port });

    // After the backup: A learns something, B saves the record and forgets what A had learned; both sync past the backup.
    await put(a, customer, 'dị ứng', 'đậu phộng');
    await invoke(b, 'customers.save', { customerId: customer, displayName: 'Chị Lan' });
    await invoke(b, 'memory.forget', { userId: customer, key: 'sữa' });
    await settled(a, databaseUrl);
    await settled(b, databaseUrl);
    const beforeRestore = hashOf(await hubState(databaseUrl));
    expect(hashOf(deskState(a))).toBe(beforeRestore);

    // The hub's database is lost and restored from the backup, at the same address.
    await hub.close();
    await bed.hubOn(backupUrl, { port });
    // The desks notice (the change at their cursor is not in the restored log) and send what they have again.
    await until(async () => hashOf(await hubState(backupUrl)) === beforeRestore, 'the restored hub to get back what the desks had', 30_000);
    expect((await status(a)).lastError?.code).toBe('hub_restored');
    expect((await status(b)).lastError?.code).toBe('hub_restored');

    // A change made now gets a seq B's old cursor had passed: B must still see it.
    await put(a, customer, 'ghi chú', 'giao hàng buổi sáng');
    await until(async () => (await value(b, 'ghi chú')) === 'giao hàng buổi sáng', 'the new change on desk B', 30_000);
    await settled(a, backupUrl);
    await settled(b, backupUrl);
    const shared = hashOf(await hubState(backupUrl));
    expect(hashOf(deskState(a))).toBe(shared);
    expect(hashOf(deskState(b))).toBe(shared);
    // What B forgot after the backup stays forgotten everywhere; the rest is there.
    expect(await value(a, 'sữa')).toBeUndefined();
    expect(await value(b, 'dị ứng')).toBe('đậu phộng');
    expect((await invoke<{ displayName: string } | null>(a, 'customers.get', { customerId: customer }))?.displayName).toBe('Chị Lan');
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
    await put(a, customer, 'sữa', 'không đường');
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
