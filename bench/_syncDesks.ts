/**
 * The desk side of `npm run bench -- sync` (bench/sync.ts runs the hub): real desk services
 * (src/main/app/services.ts on temp folders, sync with its default timings) against the hub process.
 *
 * - convergence: 1,000 memory writes on desk A, paced 10 ms apart; for each, the time until desk B
 *   applied it (B's `memory.changed` for that key), both online on loopback. Goal p95 ≤ 250 ms.
 * - catch-up: desk C is closed while 100,000 changes are pushed (light desks, batches of 500);
 *   then C starts again and pulls and applies them all. Changes applied per second from its
 *   start to its cursor reaching the hub's last change. Goal ≥ 20,000/s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { SYNC_MAX_BATCH_OPS, type SyncOp } from '@shared/sync';
import type { SyncStatus } from '@shared/contract/sync';
import type { Services } from '../src/main/app/services';
import { EncryptedSecretStore, SYNC_TOKEN_SECRET } from '../src/main/settings/secretStore';
import { createEnrollment } from '../src/hub/admin';
import { createPool } from '../src/hub/database';
import { enrollDesk } from '../test/helpers/hubClient';
import { startServices } from '../test/helpers/services';
import { testCipher } from '../test/helpers/testCipher';
import { percentile, round } from './_stats';

const CONVERGENCE_WRITES = 1_000;
const CONVERGENCE_PACE_MS = 10;
const CATCH_UP_CHANGES = 100_000;
const CATCH_UP_PUSHERS = 4;

const silent = pino({ level: 'silent' });

function desk(dir: string): Promise<Services> {
  return startServices(dir, {
    createSyncTokenStore: (db) => {
      if (!db) throw new Error('the bench desk has no data file');
      return new EncryptedSecretStore(db, testCipher, SYNC_TOKEN_SECRET);
    },
  });
}

async function call<T>(services: Services, channel: string, request: unknown): Promise<T> {
  const result = await services.dispatch(channel, request, { transport: 'test' });
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 0; attempt < 1_000_000; attempt++) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function hubLastSeq(pool: ReturnType<typeof createPool>): Promise<number> {
  return Number((await pool.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM changes')).rows[0]?.seq ?? 0);
}

function cursorOf(services: Services): number {
  return Number(services.db!.prepare("SELECT value FROM sync_state WHERE name = 'cursor'").pluck().get() ?? 0);
}

export async function deskFigures(
  hubUrl: string,
  databaseUrl: string,
): Promise<{ convergence: Record<string, unknown>; catchUp: Record<string, unknown> }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-desks-'));
  const pool = createPool(databaseUrl, 2, silent);
  const code = async (name: string) => (await createEnrollment(pool, { store: 'b2c_10010_vi', deskName: name })).code;
  const open: Services[] = [];
  try {
    const a = await desk(path.join(root, 'a'));
    const b = await desk(path.join(root, 'b'));
    open.push(a, b);
    await call<SyncStatus>(a, 'sync.enroll', { hubUrl, code: await code('Bench A') });
    await call<SyncStatus>(b, 'sync.enroll', { hubUrl, code: await code('Bench B') });
    await until(
      async () => (await call<SyncStatus>(a, 'sync.status', {})).online && (await call<SyncStatus>(b, 'sync.status', {})).online,
      'both desks online',
      30_000,
    );
    // A new desk first pulls everything the hub has (the other figures' changes): measured once both are level with it.
    const level = await hubLastSeq(pool);
    await until(() => cursorOf(a) >= level && cursorOf(b) >= level, 'both desks level with the hub', 600_000);

    // ---- convergence ----------------------------------------------------------------------
    const sent = new Map<string, number>();
    const latencies: number[] = [];
    const stop = b.events.subscribe((name, payload) => {
      if (name !== 'memory.changed') return;
      const key = (payload as { key: string | null }).key;
      const at = key === null ? undefined : sent.get(key);
      if (at === undefined || key === null) return;
      sent.delete(key);
      latencies.push(performance.now() - at);
    });
    for (let n = 0; n < CONVERGENCE_WRITES; n++) {
      const key = `bench ${n}`;
      sent.set(key, performance.now());
      await call(a, 'memory.put', { userId: `09${String(n % 40).padStart(8, '0')}`, key, value: { n, note: 'khách thích sữa không đường' } });
      await new Promise((resolve) => setTimeout(resolve, CONVERGENCE_PACE_MS));
    }
    await until(() => latencies.length === CONVERGENCE_WRITES, 'every write applied on desk B', 120_000);
    stop();
    const p95 = percentile(latencies, 95);
    const convergence = {
      writes: CONVERGENCE_WRITES,
      paceMs: CONVERGENCE_PACE_MS,
      p50Ms: round(percentile(latencies, 50), 1),
      p95Ms: round(p95, 1),
      maxMs: round(Math.max(...latencies), 1),
      goalMs: 250,
      met: p95 <= 250,
    };
    for (const services of open.splice(0)) await services.close();

    // ---- catch-up -------------------------------------------------------------------------
    const cDir = path.join(root, 'c');
    let c = await desk(cDir);
    open.push(c);
    await call<SyncStatus>(c, 'sync.enroll', { hubUrl, code: await code('Bench C') });
    const levelForC = await hubLastSeq(pool);
    await until(() => cursorOf(c) >= levelForC, 'desk C level with the hub', 600_000);
    open.splice(open.indexOf(c), 1);
    await c.close();

    const pushers = await Promise.all(Array.from({ length: CATCH_UP_PUSHERS }, async (_, n) => enrollDesk(hubUrl, await code(`Bench pusher ${n}`))));
    const perPusher = CATCH_UP_CHANGES / CATCH_UP_PUSHERS;
    let lastSeq = 0;
    await Promise.all(
      pushers.map(async (pusher, p) => {
        for (let start = 0; start < perPusher; start += SYNC_MAX_BATCH_OPS) {
          const ops: SyncOp[] = [];
          for (let n = start; n < Math.min(perPusher, start + SYNC_MAX_BATCH_OPS); n++) {
            ops.push(
              pusher.put(`09${String((n * 7 + p) % 2000).padStart(8, '0')}`, `món ${p}.${n % 50}`, { n, note: 'khách thích sữa không đường' }),
            );
          }
          const answer = await pusher.pushOk(ops);
          for (const result of answer.results) if (result.seq !== null) lastSeq = Math.max(lastSeq, result.seq);
        }
      }),
    );

    c = await desk(cDir);
    open.push(c);
    const started = performance.now();
    const from = cursorOf(c);
    await until(() => cursorOf(c) >= lastSeq, 'desk C to catch up', 600_000);
    const seconds = (performance.now() - started) / 1000;
    const applied = lastSeq - from;
    const storedEntries = Number(c.db!.prepare("SELECT count(*) FROM memory_entries WHERE session_id = ''").pluck().get());
    const catchUp = {
      changes: applied,
      entriesStored: storedEntries,
      seconds: round(seconds, 2),
      changesPerSec: Math.round(applied / seconds),
      goal: 20_000,
      met: applied / seconds >= 20_000,
    };
    return { convergence, catchUp };
  } finally {
    for (const services of open.splice(0)) await services.close();
    await pool.end();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
