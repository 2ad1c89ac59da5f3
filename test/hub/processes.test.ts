import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncOp } from '@shared/sync';
import { runningPostmaster } from '../../src/hub/embedded';
import { LOCK_COMMIT, LOCK_NAMESPACE } from '../../src/hub/migrations';
import { enrollDesk, type HubClient } from '../helpers/hubClient';
import { tempDir } from '../helpers/tempDir';
import { eventually, query, runHubCommand, spawnHub, type HubProcess } from './helpers';
import { hubTestBed } from './testBed';

// Real hub processes (`tsx src/hub/main.ts`, what `npm run hub` runs) on a real PostgreSQL.

const bed = hubTestBed();
const children: HubProcess[] = [];

afterEach(async () => {
  for (const hub of children.splice(0)) {
    if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
    await hub.exited;
  }
});

async function hubProcess(databaseUrl: string): Promise<HubProcess> {
  const hub = await spawnHub(['--port', '0'], { DATABASE_URL: databaseUrl });
  children.push(hub);
  return hub;
}

/** An enrollment code made through the CLI against the same database. */
async function cliEnroll(env: Record<string, string>, desk: string, extra: string[] = []): Promise<string> {
  const result = await runHubCommand(['enroll', '--store', 'b2c_10010_vi', '--desk', desk, ...extra], env);
  expect(result.code, result.stderr).toBe(0);
  return /([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/.exec(result.stdout)![1]!;
}

/** Holds the hub's commit lock from outside, so batches stop inside their transaction, before the log. */
async function holdCommitLock(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // a PostgreSQL restart cuts it; the test notices through the hub
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, LOCK_COMMIT]);
  return client;
}

async function batchesWaiting(databaseUrl: string): Promise<number> {
  const rows = await query<{ n: string }>(
    databaseUrl,
    "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'mm-hub' AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
  );
  return Number(rows[0]!.n);
}

/** Pushes until the hub accepts (a desk's retry loop, bounded), with the same op ids every time. */
async function pushUntilAccepted(desk: HubClient, ops: SyncOp[], attempts = 100): Promise<string[]> {
  const statuses: string[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const answer = await desk.push(ops);
      if (answer.status === 200 && 'results' in answer.body) return answer.body.results.map((result) => result.status);
      statuses.push(String(answer.status));
    } catch {
      statuses.push('network'); // the hub is down: retry
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never accepted: ${statuses.join(', ')}`);
}

describe('hub processes', () => {
  it('two hub processes on one PostgreSQL notify live clients on both', async () => {
    const databaseUrl = await bed.postgres().createDatabase();
    const [one, two] = await Promise.all([hubProcess(databaseUrl), hubProcess(databaseUrl)]);
    const env = { DATABASE_URL: databaseUrl };
    const deskOne = await enrollDesk(one.url, await cliEnroll(env, 'Quầy 1'));
    const deskTwo = await enrollDesk(two.url, await cliEnroll(env, 'Quầy 2'));
    const liveOne = await deskOne.live();
    const liveTwo = await deskTwo.live();
    expect([liveOne.status, liveTwo.status]).toEqual([200, 200]);
    // Each stream first says where the log stands (empty: 0), so both are listening.
    await liveOne.waitFor((event) => event.seq === 0);
    await liveTwo.waitFor((event) => event.seq === 0);

    const first = await deskOne.pushOk([deskOne.put('0901234567', 'sữa', 'không đường')]);
    await liveOne.waitFor((event) => event.seq === first.results[0]!.seq);
    await liveTwo.waitFor((event) => event.seq === first.results[0]!.seq);
    const second = await deskTwo.pushOk([deskTwo.put('0901234567', 'bia', 'Sài Gòn'), deskTwo.put('0912345678', 'gạo', 'ST25')]);
    await liveOne.waitFor((event) => event.seq === second.results[1]!.seq);
    await liveTwo.waitFor((event) => event.seq === second.results[1]!.seq);
    // And the change pushed through one hub is pulled through the other, with its origin.
    expect((await deskOne.pullAll()).map((change) => [change.seq, change.origin.deskName])).toEqual([
      [1, 'Quầy 1'],
      [2, 'Quầy 2'],
      [3, 'Quầy 2'],
    ]);

    // A hub closing ends its streams cleanly.
    one.child.kill('SIGTERM');
    expect(await one.exited).toEqual({ code: 0, signal: null });
    await liveOne.ended;
    liveTwo.close();
  });

  it('loses nothing and applies nothing twice when a hub process is SIGKILLed mid-batch', async () => {
    const databaseUrl = await bed.postgres().createDatabase();
    const env = { DATABASE_URL: databaseUrl };
    const first = await hubProcess(databaseUrl);
    const desk = await enrollDesk(first.url, await cliEnroll(env, 'Quầy 1'));
    const committed = [desk.put('0901234567', 'sữa', 'không đường'), desk.customer('0901234567', 'Chị Lan')];
    await desk.pushOk(committed);

    const batches = Array.from({ length: 4 }, (_, n) =>
      Array.from({ length: 50 }, (_, k) => desk.put(`09012345${n}${k % 10}`, `món ${k}`, { n, k, note: 'khách quen' })),
    );
    const lock = await holdCommitLock(databaseUrl);
    const inFlight = batches.map((ops) => desk.push(ops).catch(() => 'cut' as const));
    await eventually(async () => (await batchesWaiting(databaseUrl)) === batches.length, 'all batches inside their transaction');
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(await Promise.all(inFlight)).toEqual(batches.map(() => 'cut'));
    await lock.query('SELECT pg_advisory_unlock_all()');
    await lock.end();
    // PostgreSQL rolls the killed hub's transactions back as their connections end.
    await eventually(
      async () => (await query(databaseUrl, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'mm-hub'")).length === 0,
      'no sessions left',
    );
    expect(await query(databaseUrl, 'SELECT op_id FROM changes')).toHaveLength(committed.length);

    const second = await hubProcess(databaseUrl);
    desk.hubUrl = second.url;
    // The desk retries everything it has no answer for, the committed batch included.
    expect(await pushUntilAccepted(desk, committed)).toEqual(['duplicate', 'duplicate']);
    for (const ops of batches) expect(new Set(await pushUntilAccepted(desk, ops))).toEqual(new Set(['applied']));
    for (const ops of batches) expect(new Set(await pushUntilAccepted(desk, ops))).toEqual(new Set(['duplicate']));

    const all: SyncOp[] = [...batches.flat(), ...committed];
    const log = await desk.pullAll();
    expect(log.map((change) => change.op.id).sort()).toEqual(all.map((op) => op.id).sort());
    expect(await query(databaseUrl, 'SELECT 1 FROM memories')).toHaveLength(1 + batches.flat().length);
  });

  it('rides out a PostgreSQL stop and restart: 503 meanwhile, then every retried change applied once, live again', async () => {
    const databaseUrl = await bed.postgres().createDatabase();
    const env = { DATABASE_URL: databaseUrl };
    const hub = await hubProcess(databaseUrl);
    const desk = await enrollDesk(hub.url, await cliEnroll(env, 'Quầy 1'));
    const live = await desk.live();
    await live.waitFor(() => true);
    const before = desk.put('0901234567', 'sữa', 'không đường');
    await desk.pushOk([before]);

    // A batch caught inside its transaction when PostgreSQL stops.
    const lock = await holdCommitLock(databaseUrl);
    const caught = [desk.put('0901234567', 'bia', 'Sài Gòn'), desk.put('0912345678', 'gạo', 'ST25')];
    const caughtAnswer = desk.push(caught);
    await eventually(async () => (await batchesWaiting(databaseUrl)) === 1, 'the batch inside its transaction');
    await bed.postgres().pause();
    // PostgreSQL ends its sessions in no fixed order: the batch is refused (503, nothing applied),
    // or, when the lock holder's session ends first, it commits just before its own. Once either way.
    const caughtOutcome = await caughtAnswer;
    expect([503, 200]).toContain(caughtOutcome.status);
    if (caughtOutcome.status === 503) expect((caughtOutcome.body as { error: { code: string } }).error.code).toBe('unavailable');
    await lock.end().catch(() => undefined); // its server is gone

    // While PostgreSQL is down: typed 503s, the hub stays up.
    const during = [desk.put('0901234567', 'trà', 'xanh')];
    const downPush = await desk.push(during);
    expect(downPush.status).toBe(503);
    expect((await fetch(`${hub.url}/health`)).status).toBe(503);
    expect((await desk.pull(0)).status).toBe(503);

    await bed.postgres().resume();
    expect(new Set(await pushUntilAccepted(desk, caught))).toEqual(new Set([caughtOutcome.status === 200 ? 'duplicate' : 'applied']));
    const duringAnswer = await pushUntilAccepted(desk, during);
    expect(duringAnswer).toEqual(['applied']);
    expect(await pushUntilAccepted(desk, [before])).toEqual(['duplicate']);
    const log = await desk.pullAll();
    expect(log.map((change) => change.op.id)).toEqual([before, ...caught, ...during].map((op) => op.id));
    // The hub's LISTEN connection came back: the live stream hears the newest seq.
    await live.waitFor((event) => event.seq === log.at(-1)!.seq, 15_000);
    live.close();
  });

  it('runs `npm run hub` on a fresh data folder with embedded PostgreSQL; enroll, desks and revoke work against it; SIGTERM exits 0', async () => {
    const root = tempDir('mm-hub-data-');
    fs.chmodSync(root, 0o711); // PostgreSQL runs as its own user and must pass through
    const dataDir = path.join(root, 'hub');
    const env = { DATABASE_URL: '' };
    const hub = await spawnHub(['--port', '0', '--data', dataDir], env);
    children.push(hub);
    expect(await (await fetch(`${hub.url}/health`)).json()).toEqual({ ok: true });
    expect(fs.statSync(path.join(dataDir, 'postgres.json')).mode & 0o777).toBe(0o600);

    const code = await cliEnroll({ ...env }, 'Quầy 3', ['--data', dataDir, '--ttl-hours', '2']);
    const desk = await enrollDesk(hub.url, code);
    await desk.pushOk([desk.put('0901234567', 'sữa', 'không đường')]);

    const listed = await runHubCommand(['desks', '--data', dataDir], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(desk.deskId);
    expect(listed.stdout).toMatch(/b2c_10010_vi\s+Quầy 3/);

    // The running embedded database's URL, for pg_dump or psql.
    const located = await runHubCommand(['database-url', '--data', dataDir], env);
    expect(located.code).toBe(0);
    expect(await query<{ n: string }>(located.stdout.trim(), 'SELECT count(*) AS n FROM changes')).toEqual([{ n: '1' }]);

    const revoked = await runHubCommand(['revoke', desk.deskId, '--data', dataDir], env);
    expect(revoked.code).toBe(0);
    expect((await desk.pull(0)).status).toBe(401);
    expect((await runHubCommand(['revoke', '00000000-0000-4000-8000-000000000000', '--data', dataDir], env)).code).toBe(2);

    hub.child.kill('SIGTERM');
    expect(await hub.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    // The data stays: a second start on the folder finds the desk and its change.
    const again = await spawnHub(['--port', '0', '--data', dataDir], env);
    children.push(again);
    const after = await runHubCommand(['desks', '--data', dataDir], env);
    expect(after.stdout).toContain(desk.deskId);
    again.child.kill('SIGINT');
    expect(await again.exited).toEqual({ code: 0, signal: null });
    const stopped = await runHubCommand(['database-url', '--data', dataDir], env);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/No hub is running/);
  });

  it('starts again on its data folder after being SIGKILLed, stopping the PostgreSQL the killed hub left running', async () => {
    const root = tempDir('mm-hub-data-');
    fs.chmodSync(root, 0o711); // PostgreSQL runs as its own user and must pass through
    const dataDir = path.join(root, 'hub');
    const databaseDir = path.join(dataDir, 'postgres');
    const env = { DATABASE_URL: '' };
    const first = await spawnHub(['--port', '0', '--data', dataDir], env);
    children.push(first);
    const desk = await enrollDesk(first.url, await cliEnroll(env, 'Quầy 1', ['--data', dataDir]));
    await desk.pushOk([desk.put('0901234567', 'sữa', 'không đường')]);

    // Killed as the OS kills a process out of memory: its PostgreSQL is left running, holding the folder.
    first.child.kill('SIGKILL');
    await first.exited;
    const orphan = runningPostmaster(databaseDir);
    expect(orphan).not.toBeNull();

    const again = await spawnHub(['--port', '0', '--data', dataDir], env);
    children.push(again);
    expect(runningPostmaster(databaseDir)).not.toBe(orphan);
    desk.hubUrl = again.url;
    expect((await desk.pullAll()).map((change) => change.op)).toEqual([expect.objectContaining({ key: 'sữa', value: 'không đường' })]);
    again.child.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });
    expect(runningPostmaster(databaseDir)).toBeNull();
  });

  it('refuses to serve plain HTTP off loopback, saying what to do', async () => {
    const result = await runHubCommand(['--host', '0.0.0.0', '--port', '0'], { DATABASE_URL: bed.postgres().url });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/plain HTTP only on loopback/);
    expect(result.stderr).toMatch(/HUB_TLS_CERT/);
    expect(result.stderr).toMatch(/HUB_BEHIND_TLS_PROXY=1/);
  });
});
