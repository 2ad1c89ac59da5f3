import { describe, expect, it } from 'vitest';
import type { MemoryValueView } from '@shared/contract/memory';
import { query } from '../hub/helpers';
import { tempDir } from '../helpers/tempDir';
import { enroll, invoke, settled, syncTestBed, until } from './helpers';

const bed = syncTestBed();
const customer = '0901234567';

function get(desk: Parameters<typeof invoke>[0], key: string): Promise<MemoryValueView | null> {
  return invoke<MemoryValueView>(desk, 'memory.get', { userId: customer, key }).catch((error: { code?: string }) => {
    if (error.code === 'not_found') return null;
    throw error;
  });
}

describe('memories kept for a time, shared through the hub', () => {
  it('expire on every desk and on the hub at the time they were given, and stay gone', async () => {
    const { hub, databaseUrl } = await bed.freshHub({ expirySweepMs: 100 });
    const a = await bed.desk(tempDir());
    const b = await bed.desk(tempDir());
    await enroll(a, hub, 'Quầy 1');
    await enroll(b, hub, 'Quầy 2');

    const written = await invoke<MemoryValueView>(a, 'memory.put', { userId: customer, key: 'quà tặng', value: 'sinh nhật vợ', ttlMs: 2_000 });
    await invoke(a, 'memory.put', { userId: customer, key: 'sữa', value: 'không đường' });
    expect(written.expiresAt).not.toBeNull();
    const stamp = a.db!.prepare("SELECT hlc FROM memory_entries WHERE key = 'quà tặng'").pluck().get();
    expect(stamp).toEqual(expect.any(String));
    await until(async () => (await get(b, 'quà tặng')) !== null, 'the memory on desk B');
    // B keeps it for the same time, not for ever.
    expect((await get(b, 'quà tặng'))?.expiresAt).toBe(written.expiresAt);

    await until(async () => (await get(b, 'quà tặng')) === null && (await get(a, 'quà tặng')) === null, 'the memory to expire on both desks');
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
    expect(await get(c, 'quà tặng')).toBeNull();
    expect((await get(c, 'sữa'))?.value).toBe('không đường');
  });
});
