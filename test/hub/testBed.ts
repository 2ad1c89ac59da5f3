import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Hub } from '../../src/hub';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { startTestHub } from './helpers';

/**
 * One embedded PostgreSQL per test file (started before its tests, stopped after them) and hubs in
 * this process on it, each closed after its test. `hub()` takes a fresh database unless given one.
 */
export function hubTestBed(): {
  postgres: () => TestPostgres;
  hub: (options?: Parameters<typeof startTestHub>[1], databaseUrl?: string) => Promise<Hub>;
} {
  let postgres: TestPostgres | undefined;
  const hubs: Hub[] = [];
  beforeAll(async () => {
    postgres = await startTestPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.close();
  });
  const started = (): TestPostgres => {
    if (!postgres) throw new Error('the test PostgreSQL is not running (use hubTestBed() at the top of the file)');
    return postgres;
  };
  return {
    postgres: started,
    async hub(options = {}, databaseUrl) {
      const hub = await startTestHub(databaseUrl ?? (await started().createDatabase()), options);
      hubs.push(hub);
      return hub;
    },
  };
}
