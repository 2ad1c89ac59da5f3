import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/app/services';
import type { Hub } from '../../src/hub';
import { query, startTestHub } from '../hub/helpers';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/tempDir';
import {
  deskState,
  enroll,
  hashOf,
  hubState,
  invoke,
  put,
  settled,
  spawnHubProcess,
  startDesk,
  status,
  stopHubProcess,
  until,
  type HubChild,
} from './helpers';

let postgres: TestPostgres;
const open: Services[] = [];
const hubs: Hub[] = [];
const processes: HubChild[] = [];

beforeAll(async () => {
  postgres = await startTestPostgres();
});

afterAll(async () => {
  await postgres?.stop();
});

afterEach(async () => {
  for (const desk of open.splice(0)) await desk.close();
  for (const hub of hubs.splice(0)) await hub.close();
  for (const hub of processes.splice(0)) await stopHubProcess(hub);
});

async function desk(): Promise<Services> {
  const services = await startDesk(tempDir());
  open.push(services);
  return services;
}

async function hubProcess(databaseUrl: string, port = 0): Promise<HubChild> {
  const started = await spawnHubProcess(databaseUrl, port);
  processes.push(started);
  return started;
}

/** Every change the hub logged and how many distinct op ids: equal means none was applied twice. */
async function logCounts(databaseUrl: string): Promise<{ changes: number; distinct: number }> {
  const [row] = await query<{ changes: string; distinct: string }>(
    databaseUrl,
    'SELECT count(*) AS changes, count(DISTINCT op_id) AS "distinct" FROM changes',
  );
  return { changes: Number(row!.changes), distinct: Number(row!.distinct) };
}

describe('faults on the hub side', () => {
  it('a hub process killed mid-batch and PostgreSQL restarted: desks keep working, nothing is lost or applied twice, and they converge', async () => {
    const databaseUrl = await postgres.createDatabase();
    // Codes come from an admin hub in this process; the desks talk to a hub process that gets killed.
    const admin = await startTestHub(databaseUrl);
    hubs.push(admin);
    const server = await hubProcess(databaseUrl);
    const port = Number(new URL(server.url).port);
    const a = await desk();
    const b = await desk();
    const target = { url: server.url, enroll: (store: string, name: string) => admin.enroll(store, name) };
    await enroll(a, target, 'Quầy 1');
    await enroll(b, target, 'Quầy 2');
    let writes = 0;
    const write = async (services: Services, n: number, phase: string) => {
      await put(services, `kh-${n % 13}`, `${phase}-${n}`, { n, phase, text: 'sữa tươi không đường '.repeat(4) });
      writes++;
    };

    // A writes a lot; the hub is killed while A's batches are going in.
    for (let n = 0; n < 1500; n++) await write(a, n, 'before');
    await until(async () => (await logCounts(databaseUrl)).changes > 0, 'the first batches on the hub');
    server.child.kill('SIGKILL');
    await server.exited;
    expect((await status(a)).pending).toBeGreaterThan(0);

    // The desks keep working without it.
    for (let n = 0; n < 200; n++) await write(n % 2 ? a : b, n, 'down');
    await invoke(b, 'customers.save', { customerId: 'kh-3', displayName: 'Chị Hoa' });
    writes++;
    await until(async () => !(await status(a)).online && (await status(a)).lastError?.code === 'hub_unreachable', 'A to see the hub gone');
    expect((await invoke<{ value: unknown }>(a, 'memory.get', { userId: 'kh-1', key: 'down-1' })).value).toMatchObject({ n: 1 });

    // The same command brought back on the same port (the desks know the hub by its address); stopped after the test.
    await hubProcess(databaseUrl, port);
    await settled(a, databaseUrl, 60_000);
    await settled(b, databaseUrl, 60_000);
    expect(await logCounts(databaseUrl)).toEqual({ changes: writes, distinct: writes });

    // PostgreSQL stops under the hub: the hub answers "unavailable", the desks wait and keep working.
    await postgres.pause();
    for (let n = 0; n < 100; n++) await write(n % 2 ? a : b, n, 'pg-down');
    await until(async () => (await status(b)).pending > 0, 'B to hold its changes');
    await postgres.resume();
    await settled(a, databaseUrl, 60_000);
    await settled(b, databaseUrl, 60_000);
    await settled(a, databaseUrl, 60_000);

    expect(await logCounts(databaseUrl)).toEqual({ changes: writes, distinct: writes });
    const shared = hashOf(await hubState(databaseUrl));
    expect(hashOf(deskState(a))).toBe(shared);
    expect(hashOf(deskState(b))).toBe(shared);
    expect(Object.keys(deskState(b).memories)).toHaveLength(writes - 1);
    expect((await status(a)).lastError).toBeNull();
  });
});
