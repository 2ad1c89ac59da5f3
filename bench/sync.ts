/**
 * The sync hub (src/hub, a child process as `npm run hub` runs it) on a real, durable embedded
 * PostgreSQL (fsync on), in the same run as its baseline:
 *
 * - push: memory.put operations per second accepted through the hub (4 light desks over fetch,
 *   batches of 500) against the same operations written by one `pg` client, one batched
 *   `INSERT … ON CONFLICT` statement per 500 that writes what any idempotent sync log must: the
 *   operations into a log keyed by op id (`ON CONFLICT DO NOTHING`, a bigserial seq) and the
 *   last-writer-wins state (`ON CONFLICT DO UPDATE … WHERE hlc <`). What the hub adds on top
 *   (HTTP, tokens, validation, customer locks, duplicate and erasure checks, quota, the ordered
 *   commit, the live notification) is what the ratio measures. 3 rounds of each back to back,
 *   medians. Batches as desks' outboxes hold them (a customer served, then the next: 20
 *   customers a batch); goal ≥ 0.5×. Also, without a goal, the worst spread: every operation of
 *   a batch for another customer (`everyOpAnotherCustomer`).
 * - scale: 200 light desks, each with its own enrolled token, each pushing 500 changes and then
 *   pulling everything: total time, changes lost (goal 0), the hub's peak RSS, the peak number of
 *   the hub's PostgreSQL connections (pg_stat_activity; goal: never above its pool size).
 * - convergence p95 and catch-up changes/s with real desks (src/main/sync): bench/_syncDesks.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import pino from 'pino';
import { SYNC_MAX_BATCH_OPS, type SyncOp } from '@shared/sync';
import { createEnrollment } from '../src/hub/admin';
import { createPool } from '../src/hub/database';
import { openEmbeddedCluster, randomPassword, tempClusterDir } from '../src/hub/embedded';
import { runMigrations } from '../src/hub/migrations';
import { enrollDesk, type HubClient } from '../test/helpers/hubClient';
import { spawnHub, type HubProcess } from '../test/hub/helpers';
import { median, round } from './_stats';
import { deskFigures } from './_syncDesks';

const POOL_SIZE = 10;
const PUSH_OPS = Number(process.env.BENCH_SYNC_PUSH_OPS ?? 120_000);
const PUSH_ROUNDS = 3;
const PUSH_DESKS = 4;
const SCALE_DESKS = Number(process.env.BENCH_SYNC_DESKS ?? 200);
const SCALE_CHANGES_PER_DESK = 500;
const SCALE_BATCH = 100;
const SAMPLE_MS = 100;

const silent = pino({ level: 'silent' });

/**
 * `count` puts over `customers` customers from `firstCustomer` on, 50 keys each: batches touch many
 * customers, as a busy store's desks do.
 */
function putOps(desk: HubClient, count: number, tag: string, firstCustomer: number, customers: number): SyncOp[] {
  return Array.from({ length: count }, (_, n) =>
    desk.put(`09${String(firstCustomer + ((n * 7919) % customers)).padStart(8, '0')}`, `${tag} ${n % 50}`, {
      note: 'khách thích sữa không đường',
      n,
    }),
  );
}

/**
 * What a desk's outbox holds: the customers it served one after another, 25 changes each, so a
 * batch of 500 spans 20 customers (`customers` of them from `firstCustomer` on, in turn).
 */
function outboxOps(desk: HubClient, count: number, tag: string, firstCustomer: number, customers: number): SyncOp[] {
  return Array.from({ length: count }, (_, n) =>
    desk.put(`09${String(firstCustomer + (Math.floor(n / 25) % customers)).padStart(8, '0')}`, `${tag} ${n % 25}`, {
      note: 'khách thích sữa không đường',
      n,
    }),
  );
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

async function enrollMany(databaseUrl: string, hubUrl: string, count: number): Promise<HubClient[]> {
  const pool = createPool(databaseUrl, 4, silent);
  try {
    const codes: string[] = [];
    for (let n = 0; n < count; n++)
      codes.push((await createEnrollment(pool, { store: `b2c_${10010 + (n % 20)}_vi`, deskName: `Quầy ${n + 1}` })).code);
    const desks: HubClient[] = [];
    for (const group of chunks(codes, 20)) desks.push(...(await Promise.all(group.map((code) => enrollDesk(hubUrl, code)))));
    return desks;
  } finally {
    await pool.end();
  }
}

/** Peak RSS of a process and peak connections of the hub, sampled until stopped. */
function sampler(pid: number, databaseUrl: string): { stop(): Promise<{ rssMb: number; poolConnections: number; allHubConnections: number }> } {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-sampler' });
  client.on('error', (error) => console.error(`sampler connection lost: ${error.message}`));
  let rss = 0;
  let pool = 0;
  let all = 0;
  let running = true;
  const loop = (async () => {
    await client.connect();
    for (let n = 0; running && n < 1_000_000; n++) {
      if (!fs.existsSync(`/proc/${pid}/status`)) throw new Error('the hub process is gone');
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      rss = Math.max(rss, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
      const counts = await client.query<{ pool: string; all: string }>(
        "SELECT count(*) FILTER (WHERE application_name = 'mm-hub') AS pool, count(*) FILTER (WHERE application_name LIKE 'mm-hub%') AS all FROM pg_stat_activity",
      );
      pool = Math.max(pool, Number(counts.rows[0]!.pool));
      all = Math.max(all, Number(counts.rows[0]!.all));
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  })();
  // Seen by stop(); until then the failure must not be an unhandled rejection.
  const finished = loop.then(
    () => null,
    (error: unknown) => error,
  );
  return {
    async stop() {
      running = false;
      const failure = await finished;
      if (failure) throw failure;
      await client.end();
      return { rssMb: round(rss / 1024 / 1024, 1), poolConnections: pool, allHubConnections: all };
    },
  };
}

/** The baseline: the same operations written by one `pg` client, one batched `INSERT … ON CONFLICT` statement per 500 (see the header). */
async function baselineWrite(client: pg.Client, batches: SyncOp[][]): Promise<number> {
  const started = performance.now();
  let ops = 0;
  for (const batch of batches) {
    const puts = batch as Extract<SyncOp, { kind: 'memory.put' }>[];
    ops += puts.length;
    await client.query(
      `WITH fresh AS (
         INSERT INTO base_ops (op_id, op) SELECT * FROM unnest($1::uuid[], $6::json[]) ON CONFLICT (op_id) DO NOTHING RETURNING op_id)
       INSERT INTO base_memories (customer_id, key, value, hlc)
       SELECT DISTINCT ON (customer_id, key) customer_id, key, value, hlc
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::json[], $5::text[]) AS t(op_id, customer_id, key, value, hlc)
        WHERE op_id IN (SELECT op_id FROM fresh)
        ORDER BY customer_id, key, hlc DESC
       ON CONFLICT (customer_id, key) DO UPDATE SET value = excluded.value, hlc = excluded.hlc WHERE base_memories.hlc < excluded.hlc`,
      [
        puts.map((op) => op.id),
        puts.map((op) => op.customerId),
        puts.map((op) => op.key),
        puts.map((op) => JSON.stringify(op.value)),
        puts.map((op) => op.hlc),
        puts.map((op) => JSON.stringify(op)),
      ],
    );
  }
  return ops / ((performance.now() - started) / 1000);
}

type OpsFor = (desk: HubClient, count: number, tag: string, firstCustomer: number, customers: number) => SyncOp[];
interface PushFigures {
  hub: number[];
  baseline: number[];
  ratios: number[];
}

/**
 * Rounds of the hub and the baseline back to back, each on fresh operations, so both meet the same
 * load from whatever else runs on the machine; the figures are the medians. Desks serve different
 * customers at the same moment (2,000 each), so their batches do not queue on each other's locks.
 */
async function pushRounds(desks: HubClient[], baseline: pg.Client, opsFor: OpsFor, name: string): Promise<PushFigures> {
  const figures: PushFigures = { hub: [], baseline: [], ratios: [] };
  const perDeskOps = Math.floor(PUSH_OPS / PUSH_ROUNDS / PUSH_DESKS);
  for (let round = 0; round < PUSH_ROUNDS; round++) {
    const perDesk = desks.map((desk, n) => chunks(opsFor(desk, perDeskOps, `${name} ${round}`, n * 2000, 2000), SYNC_MAX_BATCH_OPS));
    const started = performance.now();
    await Promise.all(
      desks.map(async (desk, n) => {
        for (const batch of perDesk[n]!) await desk.pushOk(batch);
      }),
    );
    const hubRate = (perDeskOps * PUSH_DESKS) / ((performance.now() - started) / 1000);
    const baseRate = await baselineWrite(baseline, perDesk.flat());
    figures.hub.push(hubRate);
    figures.baseline.push(baseRate);
    figures.ratios.push(hubRate / baseRate);
  }
  return figures;
}

function pushSummary(figures: PushFigures): { hubOpsPerSec: number; baselineOpsPerSec: number; ratio: number; ratioPerRound: number[] } {
  return {
    hubOpsPerSec: Math.round(median(figures.hub)),
    baselineOpsPerSec: Math.round(median(figures.baseline)),
    ratio: round(median(figures.ratios), 2),
    ratioPerRound: figures.ratios.map((value) => round(value, 2)),
  };
}

/** Both push measurements: desks' outboxes as they come (20 customers a batch), and the worst spread (500). */
async function push(hub: HubProcess, hubUrl: string, baselineUrl: string): Promise<Record<string, unknown>> {
  const desks = await enrollMany(hubUrl, hub.url, PUSH_DESKS);
  const baseline = new pg.Client({ connectionString: baselineUrl });
  await baseline.connect();
  try {
    await baseline.query(`
      CREATE TABLE base_memories (customer_id text, key text, value json, hlc text NOT NULL, PRIMARY KEY (customer_id, key));
      CREATE TABLE base_ops (op_id uuid PRIMARY KEY, seq bigserial, op json NOT NULL);`);
    const outbox = pushSummary(await pushRounds(desks, baseline, outboxOps, 'outbox'));
    const spread = pushSummary(await pushRounds(desks, baseline, putOps, 'spread'));
    return {
      ops: PUSH_OPS,
      batchOps: SYNC_MAX_BATCH_OPS,
      desks: PUSH_DESKS,
      rounds: PUSH_ROUNDS,
      customersPerBatch: 20,
      ...outbox,
      goal: 0.5,
      met: outbox.ratio >= 0.5,
      // The same with every operation of a batch for another customer: the per-customer work (locks, erasure and quota checks) at its most.
      everyOpAnotherCustomer: spread,
    };
  } finally {
    await baseline.end();
  }
}

async function scale(hub: HubProcess, databaseUrl: string): Promise<Record<string, unknown>> {
  const desks = await enrollMany(databaseUrl, hub.url, SCALE_DESKS);
  const before = await new pg.Client({ connectionString: databaseUrl });
  await before.connect();
  const startSeq = Number((await before.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM changes')).rows[0]?.seq ?? 0);
  await before.end();

  const watch = sampler(hub.child.pid!, databaseUrl);
  const acknowledged = new Set<string>();
  const started = performance.now();
  let pushedMs: number;
  let pulled: number[];
  try {
    await Promise.all(
      desks.map(async (desk, n) => {
        // 200 desks over 20,000 customers: batches of different desks often share a customer.
        for (const batch of chunks(putOps(desk, SCALE_CHANGES_PER_DESK, `desk ${n}`, 100_000, 20_000), SCALE_BATCH)) {
          const answer = await desk.pushOk(batch);
          for (const result of answer.results) if (result.status !== 'superseded') acknowledged.add(result.id);
        }
      }),
    );
    pushedMs = performance.now() - started;
    // Every desk pulls everything pushed in this phase, page by page, all at once.
    pulled = await Promise.all(
      desks.map(async (desk) => {
        let found = 0;
        let last = startSeq;
        await desk.pullEach(startSeq, (changes) => {
          for (const change of changes) {
            if (change.seq <= last) throw new Error('pull went backwards');
            last = change.seq;
            if (acknowledged.has(change.op.id)) found++;
          }
        });
        return found;
      }),
    );
  } catch (error) {
    await watch.stop().catch(() => undefined); // the first failure is the one to report
    throw error;
  }
  const totalMs = performance.now() - started;
  const peaks = await watch.stop();
  const expected = SCALE_DESKS * SCALE_CHANGES_PER_DESK;
  const lost = pulled.reduce((sum, found) => sum + (expected - found), 0);
  return {
    desks: SCALE_DESKS,
    changesPerDesk: SCALE_CHANGES_PER_DESK,
    acknowledged: acknowledged.size,
    pushSeconds: round(pushedMs / 1000, 2),
    pullSeconds: round((totalMs - pushedMs) / 1000, 2),
    totalSeconds: round(totalMs / 1000, 2),
    pushedChangesPerSec: Math.round(expected / (pushedMs / 1000)),
    deliveredChangesPerSec: Math.round((expected * SCALE_DESKS) / ((totalMs - pushedMs) / 1000)),
    changesLost: lost,
    lostGoal: 0,
    lostMet: lost === 0 && acknowledged.size === expected,
    hubPeakRssMb: peaks.rssMb,
    poolSize: POOL_SIZE,
    peakPoolConnections: peaks.poolConnections,
    // The pool plus the one LISTEN connection each hub process keeps.
    peakHubConnections: peaks.allHubConnections,
    connectionsMet: peaks.poolConnections <= POOL_SIZE,
  };
}

export default async function run(): Promise<Record<string, unknown>> {
  const root = tempClusterDir('mm-bench-sync-');
  const cluster = await openEmbeddedCluster({ databaseDir: path.join(root, 'pg'), password: randomPassword(), settings: { max_connections: '300' } });
  let hub: HubProcess | undefined;
  try {
    await cluster.ensureDatabase('hub');
    await cluster.ensureDatabase('baseline');
    const hubUrl = cluster.url('hub');
    // Migrate first, so the hub's start is not in any figure.
    const migrator = createPool(hubUrl, 1, silent);
    await runMigrations(migrator, silent);
    await migrator.end();
    hub = await spawnHub(['--port', '0', '--pool', String(POOL_SIZE)], { DATABASE_URL: hubUrl });

    const pushFigures = await push(hub, hubUrl, cluster.url('baseline'));
    const scaleFigures = await scale(hub, hubUrl);
    // Real desks (src/main/sync) on the same hub: convergence and catch-up (bench/_syncDesks.ts).
    const desks = await deskFigures(hub.url, hubUrl);
    return {
      postgres: 'embedded PostgreSQL 18, fsync on, same machine',
      push: pushFigures,
      scale: scaleFigures,
      // The desk side (src/main/sync, bench/_syncDesks.ts): write on desk A → applied on desk B, and a desk catching up on 100,000 changes.
      convergence: desks.convergence,
      catchUp: desks.catchUp,
    };
  } finally {
    if (hub) {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    await cluster.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
