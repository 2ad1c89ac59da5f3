import { describe, expect, it } from 'vitest';
import type { MemoryValueView } from '@shared/contract/memory';
import type { Hub } from '../../src/hub';
import { tempDir } from '../helpers/tempDir';
import { deskState, enroll, hashOf, hubState, invoke, nextMemoryChange, put, settled, status, syncTestBed, until } from './helpers';

const { desk, close, freshHub: startHub } = syncTestBed();
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
