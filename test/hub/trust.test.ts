import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { listDesks, revokeDesk } from '../../src/hub/admin';
import type { Hub } from '../../src/hub';
import { enrollDesk, HubClient } from '../helpers/hubClient';
import { tempDir } from '../helpers/tempDir';
import { enrollDesks, eventually, query, snapshotHub, startTestHub } from './helpers';
import { hubTestBed } from './testBed';

const bed = hubTestBed();
const freshHub = (options: Parameters<typeof bed.hub>[0] = {}): Promise<Hub> => bed.hub(options);

async function enrollRaw(hub: Hub, code: string): Promise<{ status: number; body: { error?: { code: string }; token?: string } }> {
  const response = await fetch(`${hub.url}/sync/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string }; token?: string } };
}

/** Every authenticated endpoint, called with `authorization` (or none). */
async function statuses(hub: Hub, authorization?: string): Promise<Record<string, number>> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const push = await fetch(`${hub.url}/sync/push`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ ops: [] }),
  });
  const pull = await fetch(`${hub.url}/sync/pull?after=0`, { headers });
  const live = await fetch(`${hub.url}/sync/live`, { headers });
  // An accepted live stream never ends: fail here instead of waiting for its body.
  if (live.status === 200) {
    await live.body?.cancel();
    throw new Error('the hub opened a live stream for a token it should refuse');
  }
  const bodies = await Promise.all([push.json(), pull.json(), live.json()]);
  for (const body of bodies) expect((body as { error: { code: string } }).error.code).toBe('unauthorized');
  return { push: push.status, pull: pull.status, live: live.status };
}

const refusedEverywhere = { push: 401, pull: 401, live: 401 };

describe('hub trust', () => {
  it('refuses a missing, malformed, forged or revoked token on every endpoint, and nothing changes', async () => {
    const hub = await freshHub();
    const [desk, other] = await enrollDesks(hub, 2);
    await desk!.pushOk([desk!.put('0901234567', 'sữa', 'không đường')]);
    const before = await snapshotHub(hub.databaseUrl);

    expect(await statuses(hub)).toEqual(refusedEverywhere);
    expect(await statuses(hub, 'Basic dXNlcjpwYXNz')).toEqual(refusedEverywhere);
    expect(await statuses(hub, `Bearer ${crypto.randomBytes(32).toString('hex')}`)).toEqual(refusedEverywhere);
    // The token's hash (what the hub stores) is no token.
    const stored = await query<{ token_hash: string }>(hub.databaseUrl, 'SELECT token_hash FROM desks WHERE id = $1', [desk!.deskId]);
    expect(await statuses(hub, `Bearer ${stored[0]!.token_hash}`)).toEqual(refusedEverywhere);
    expect(await snapshotHub(hub.databaseUrl)).toBe(before);

    const pool = new pg.Pool({ connectionString: hub.databaseUrl, max: 1 });
    try {
      expect(await revokeDesk(pool, desk!.deskId)).toBe(true);
    } finally {
      await pool.end();
    }
    const revoked = await snapshotHub(hub.databaseUrl);
    expect(await statuses(hub, `Bearer ${desk!.token}`)).toEqual(refusedEverywhere);
    expect((await desk!.push([desk!.put('0901234567', 'sữa', 'có đường')])).status).toBe(401);
    expect(await snapshotHub(hub.databaseUrl)).toBe(revoked);
    // The other desk is unaffected and still sees the change made before the revocation.
    expect((await other!.pullAll()).map((change) => change.op.kind)).toEqual(['memory.put']);
    const actions = await query<{ action: string }>(hub.databaseUrl, 'SELECT action FROM audit_trail WHERE desk_id = $1', [desk!.deskId]);
    expect(actions.map((row) => row.action).sort()).toEqual(['desk.created', 'desk.enrolled', 'desk.revoked', 'memory.put']);
  });

  it('ends a revoked desk’s live stream at the next heartbeat, and only that one', async () => {
    const hub = await freshHub({ liveHeartbeatMs: 100 });
    const [revoked, kept] = await enrollDesks(hub, 2);
    const revokedLive = await revoked!.live();
    const keptLive = await kept!.live();
    try {
      expect([revokedLive.status, keptLive.status]).toEqual([200, 200]);
      const pool = new pg.Pool({ connectionString: hub.databaseUrl, max: 1 });
      try {
        expect(await revokeDesk(pool, revoked!.deskId)).toBe(true);
      } finally {
        await pool.end();
      }
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        revokedLive.ended.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 10_000))),
      ]).finally(() => clearTimeout(timer));
      expect(ended).toBe(true);
      // The other desk's stream goes on: it keeps getting heartbeats after the revoked one ended.
      const heartbeats = keptLive.comments.length;
      await eventually(async () => keptLive.comments.length > heartbeats + 1, 'heartbeats on the kept stream', 10_000);
    } finally {
      revokedLive.close();
      keptLive.close();
    }
  });

  it('takes an enrollment code once, stores only hashes, and names the desk and store', async () => {
    const hub = await freshHub();
    const code = await hub.enroll('b2c_10010_vi', 'Quầy 3');
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);

    const first = await enrollRaw(hub, code);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ deskName: 'Quầy 3', store: 'b2c_10010_vi' });
    expect(first.body.token).toMatch(/^[0-9a-f]{64}$/);

    const again = await enrollRaw(hub, code);
    expect(again.status).toBe(401);
    expect(again.body.error?.code).toBe('enrollment_invalid');
    expect((await enrollRaw(hub, 'AAAA-BBBB-CCCC')).body.error?.code).toBe('enrollment_invalid');
    expect((await enrollRaw(hub, 'not a code')).status).toBe(400);

    // Neither the code nor the token is anywhere in the database.
    const dump = await snapshotDumpText(hub.databaseUrl);
    expect(dump).not.toContain(code);
    expect(dump).not.toContain(first.body.token);
  });

  it('lets a code expire (the hub’s clock moved past its ttl)', async () => {
    let now = Date.parse('2026-03-01T08:00:00Z');
    const hub = await freshHub({ now: () => now });
    const code = await hub.enroll('b2c_10010_vi', 'Quầy 1', 60 * 60 * 1000);
    const late = await hub.enroll('b2c_10010_vi', 'Quầy 2', 60 * 60 * 1000);
    now += 59 * 60 * 1000;
    expect((await enrollRaw(hub, code)).status).toBe(200);
    now += 2 * 60 * 1000;
    const expired = await enrollRaw(hub, late);
    expect(expired.status).toBe(401);
    expect(expired.body.error?.code).toBe('enrollment_invalid');
  });

  it('lists desks (enrolled, seen, revoked) and revokes by id', async () => {
    const hub = await freshHub();
    const [lan] = await enrollDesks(hub, 1, 'b2c_10010_vi');
    await hub.enroll('b2c_10020_vi', 'Quầy 9');
    await lan!.pull(0);
    const pool = new pg.Pool({ connectionString: hub.databaseUrl, max: 1 });
    try {
      const listed = await listDesks(pool);
      expect(listed.map((desk) => [desk.store, desk.name, desk.enrolledAt !== null, desk.lastSeenAt !== null, desk.revokedAt])).toEqual([
        ['b2c_10010_vi', 'Quầy 1', true, true, null],
        ['b2c_10020_vi', 'Quầy 9', false, false, null],
      ]);
      expect(await revokeDesk(pool, crypto.randomUUID())).toBe(false);
      expect(await revokeDesk(pool, 'not-an-id')).toBe(false);
      expect(await revokeDesk(pool, lan!.deskId)).toBe(true);
      expect((await listDesks(pool)).find((desk) => desk.id === lan!.deskId)?.revokedAt).toBeInstanceOf(Date);
      // The unused code of a revoked desk stops working too.
      const pending = await hub.enroll('b2c_10010_vi', 'Quầy 4');
      const desk4 = (await listDesks(pool)).find((desk) => desk.name === 'Quầy 4')!;
      await revokeDesk(pool, desk4.id);
      expect((await enrollRaw(hub, pending)).body.error?.code).toBe('enrollment_invalid');
    } finally {
      await pool.end();
    }
  });

  it('refuses plain HTTP off loopback unless TLS or a TLS proxy is declared', async () => {
    const databaseUrl = await bed.postgres().createDatabase();
    for (const host of ['0.0.0.0', '192.168.1.20', '::']) {
      await expect(startTestHub(databaseUrl, { host })).rejects.toThrow(/plain HTTP only on loopback/);
    }
    // Nothing was created: the refusal comes before the database is touched.
    expect(await query(databaseUrl, "SELECT 1 FROM pg_tables WHERE tablename = 'hub_migrations'")).toEqual([]);

    const proxied = await freshHub({ host: '0.0.0.0', behindTlsProxy: true });
    const port = new URL(proxied.url).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true });
  });

  it('serves https with a certificate and key', async () => {
    const dir = tempDir('mm-hub-tls-');
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', keyFile, '-out', certFile],
      {
        stdio: 'ignore',
      },
    );
    const hub = await freshHub({ tls: { certFile, keyFile } });
    expect(hub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      const { request } = await import('undici');
      const health = await request(`${hub.url}/health`, { dispatcher });
      expect(await health.body.json()).toEqual({ ok: true });
      const code = await hub.enroll('b2c_10010_vi', 'Quầy 1');
      const enrolled = await request(`${hub.url}/sync/enroll`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
      expect(enrolled.statusCode).toBe(200);
      await enrolled.body.dump();
    } finally {
      await dispatcher.close();
    }
  });

  it('logs what happened but no token, code, customer id, key or value', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const hub = await freshHub({ logger });
    const code = await hub.enroll('b2c_10010_vi', 'Quầy 1');
    const desk = await enrollDesk(hub.url, code);
    const secrets = [desk.token, code, '0901234567', 'dị ứng đậu phộng', 'khách thích sữa không đường'];
    await desk.pushOk([desk.put('0901234567', 'dị ứng đậu phộng', 'khách thích sữa không đường'), desk.customer('0901234567', 'Chị Lan')]);
    await desk.pushOk([desk.erase('0901234567')]);
    await desk.pullAll();
    await desk.push([{ ...desk.put('0901234567', 'dị ứng đậu phộng', 'x'), hlc: 'khách thích sữa không đường' }]);
    // A forged token one character off the real one (never the real one: its last character is swapped for another).
    const forgedLast = desk.token.endsWith('0') ? '1' : '0';
    await statuses(hub, `Bearer ${desk.token.slice(0, -1)}${forgedLast}`);
    await hub.close();
    const text = lines.join('');
    expect(text).toContain('batch pushed');
    expect(text).toContain('desk enrolled');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('answers /health without a token and says nothing about customers', async () => {
    const hub = await freshHub();
    const response = await fetch(`${hub.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    const unknown = await fetch(`${hub.url}/nothing-here`);
    expect(unknown.status).toBe(404);
  });

  it('gives enrolled desks distinct tokens that all work', async () => {
    const hub = await freshHub();
    const desks = await enrollDesks(hub, 3);
    expect(new Set(desks.map((desk) => desk.token)).size).toBe(3);
    for (const desk of desks) expect((await desk.pull(0)).status).toBe(200);
    expect(await enrollDesk(hub.url, await hub.enroll('b2c_10010_vi', 'Quầy 4'))).toBeInstanceOf(HubClient);
  });
});

/** Every row of every table as text, to search for secrets. */
async function snapshotDumpText(databaseUrl: string): Promise<string> {
  const tables = await query<{ name: string }>(databaseUrl, "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
  const parts: string[] = [];
  for (const { name } of tables) parts.push(JSON.stringify(await query(databaseUrl, `SELECT * FROM "${name}"`)));
  return parts.join('\n');
}
