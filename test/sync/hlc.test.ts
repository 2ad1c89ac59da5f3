import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hlcSchema, parseHlc } from '@shared/sync';
import { HybridClock } from '../../src/main/sync/hlc';
import { canonicalHubUrl } from '../../src/main/sync/hubUrl';
import { createSyncOutbox } from '../../src/main/sync';
import { nestedDeeper } from '../../src/main/sync/outbox';
import { openDatabase } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { ManualClock } from '../helpers/manualClock';
import { tempDir } from '../helpers/tempDir';

const DESK = '0f9c2b1e-7a4d-4e21-9b8a-3c5d6e7f8a9b';

describe('the desk clock (hybrid logical clock)', () => {
  it('gives ever greater stamps, even when the wall clock goes backwards or stands still', () => {
    const wall = new ManualClock(1_800_000_000_000);
    const clock = new HybridClock(wall, DESK, null);
    const stamps = [clock.next(), clock.next()];
    wall.current -= 3_600_000; // an hour back (a clock corrected by NTP)
    stamps.push(clock.next(), clock.next());
    wall.current += 7_200_000;
    stamps.push(clock.next());
    for (const stamp of stamps) expect(hlcSchema.safeParse(stamp).success).toBe(true);
    for (let index = 1; index < stamps.length; index++) expect(stamps[index]! > stamps[index - 1]!).toBe(true);
    expect(parseHlc(stamps[2]!).wallMs).toBe(1_800_000_000_000);
  });

  it('moves past a stamp seen from another desk, and past a full counter into the next millisecond', () => {
    const wall = new ManualClock(1_800_000_000_000);
    const clock = new HybridClock(wall, DESK, null);
    const ahead = `${String(1_800_000_005_000).padStart(15, '0')}:000007:ffffffff-ffff-4fff-8fff-ffffffffffff`;
    clock.observe(ahead);
    const mine = clock.next();
    expect(mine > ahead).toBe(true);
    expect(parseHlc(mine)).toEqual({ wallMs: 1_800_000_005_000, counter: 8, deskId: DESK });
    const full = `${String(1_800_000_005_000).padStart(15, '0')}:999999:${DESK}`;
    clock.observe(full);
    expect(parseHlc(clock.next())).toEqual({ wallMs: 1_800_000_005_001, counter: 0, deskId: DESK });
  });

  it('starts after the greatest stamp the data file holds, so it stays monotonic across restarts', () => {
    const file = path.join(tempDir(), 'desk.sqlite');
    const wall = new ManualClock(1_800_000_000_000);
    let { db } = openDatabase(file, migrations);
    let feed = createSyncOutbox(db, wall);
    feed.outbox.setDesk(DESK);
    const before = db.transaction(() => [feed.outbox.memoryPut('kh-1', 'a', '1'), feed.outbox.memoryForget('kh-1', 'b')])();
    db.close();
    wall.current -= 86_400_000; // the machine comes back a day in the past
    ({ db } = openDatabase(file, migrations));
    feed = createSyncOutbox(db, wall);
    feed.outbox.setDesk(DESK);
    const after = db.transaction(() => feed.outbox.memoryPut('kh-1', 'c', '2'))();
    expect(after! > before[1]!).toBe(true);
    // Pushed ops leave the outbox; their mark stays in the state, so the next start is still after them.
    feed.outbox.pushed(feed.outbox.batch(10));
    db.close();
    ({ db } = openDatabase(file, migrations));
    feed = createSyncOutbox(db, wall);
    feed.outbox.setDesk(DESK);
    expect(db.transaction(() => feed.outbox.memoryPut('kh-1', 'd', '3'))()! > after!).toBe(true);
    db.close();
  });
});

describe('the hub address', () => {
  it('takes https anywhere and plain http only on this machine', () => {
    expect(canonicalHubUrl(' https://hub.mmvietnam.vn:8443/ ')).toBe('https://hub.mmvietnam.vn:8443');
    expect(canonicalHubUrl('http://127.0.0.1:8787')).toBe('http://127.0.0.1:8787');
    expect(canonicalHubUrl('http://localhost:8787')).toBe('http://localhost:8787');
    expect(canonicalHubUrl('http://[::1]:8787')).toBe('http://[::1]:8787');
    for (const refused of [
      'http://10.0.0.5:8787',
      'http://hub.mmvietnam.vn',
      'ftp://hub',
      'hub.mmvietnam.vn',
      'https://u:p@hub.vn',
      'https://hub.vn/x?y=1',
    ]) {
      expect(() => canonicalHubUrl(refused)).toThrow(/^hubUrl: /);
    }
  });
});

describe('what the hub can read', () => {
  it('measures how deep JSON nests, brackets inside strings not counted', () => {
    expect(nestedDeeper('"[[[[[["', 1)).toBe(false);
    expect(nestedDeeper('{"a":"}}}{{{[[[","b":[1,{"c":"\\"[["}]}', 3)).toBe(false);
    expect(nestedDeeper('{"a":"}}}{{{[[[","b":[1,{"c":"\\"[["}]}', 2)).toBe(true);
    expect(nestedDeeper('[[[]],[[]]]', 3)).toBe(false);
    expect(nestedDeeper('[[[[]]]]', 3)).toBe(true);
  });
});
