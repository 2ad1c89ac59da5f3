import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemory, limitsFromQuotas } from '../../src/main/memory';
import { openDatabase } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { defaultSettings } from '@shared/settings';
import { captureLog, LEVEL } from '../helpers/logCapture';
import { tempDir } from '../helpers/tempDir';
import { ManualClock } from './helpers';

describe('memory work done in the background', () => {
  it('a search-index batch that cannot write (as on a full disk) is logged and tried again, never thrown out of its timer', async () => {
    const capture = captureLog();
    const { db } = openDatabase(path.join(tempDir(), 'memory.sqlite'), migrations);
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 8));
    const memory = createMemory({ db, limits: limitsFromQuotas(defaultSettings.quotas), clock, logger: capture.child('memory') });
    try {
      memory.memory.memorize({ userId: 'kh-1' }, 'sua', 'khách thích sữa không đường');
      // Every write of this connection now fails, as SQLite's do when the disk is full.
      db.pragma('query_only = 1');
      // The indexing timer fires: were its error thrown, advancing the clock would throw here.
      expect(() => clock.advanceTo(clock.now() + 5_000)).not.toThrow();
      const failed = capture.lines().find((line) => line.msg.startsWith('search indexing failed'));
      expect(failed).toMatchObject({ level: LEVEL.error, service: 'memory' });
      expect(capture.text()).not.toContain('không đường');
      // The fault lasts (as in safe mode): the batch is tried every 30 s, and the log says so once.
      for (let retry = 0; retry < 5; retry++) clock.advanceTo(clock.now() + 30_000);
      const errors = () => capture.lines().filter((line) => line.level >= LEVEL.error && line.msg.startsWith('search indexing failed'));
      expect(errors()).toHaveLength(1);

      db.pragma('query_only = 0');
      clock.advanceTo(clock.now() + 30_000);
      expect(memory.memory.searchMemory({ userId: 'kh-1' }, 'khong duong', 5).map((hit) => hit.ref)).toEqual(['sua']);
      // Once a batch worked, a new fault is said again.
      memory.memory.memorize({ userId: 'kh-1' }, 'bia', 'không uống bia');
      db.pragma('query_only = 1');
      clock.advanceTo(clock.now() + 5_000);
      expect(errors()).toHaveLength(2);
      db.pragma('query_only = 0');
    } finally {
      await memory.close();
      db.close();
    }
  });
});
