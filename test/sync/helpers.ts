import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { SyncStatus } from '@shared/contract/sync';
import type { Services } from '../../src/main/app/services';
import { decompress } from '../../src/main/memory/codec';
import { EncryptedSecretStore, SYNC_TOKEN_SECRET } from '../../src/main/settings/secretStore';
import { testCipher } from '../helpers/testCipher';
import type { Hub } from '../../src/hub';
import { eventually, query, repoRoot, type startTestHub } from '../hub/helpers';
import { hubTestBed } from '../hub/testBed';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

/** Short timers, so a hub that went away is tried again within a test's time. */
export const testSyncTimings = { pullIntervalMs: 2_000, retryBaseMs: 50, retryMaxMs: 1_000, pushDelayMs: 5 };

/** The real desk services on `dir` (as the bridge builds them), keeping the device token in the data file. */
export function startDesk(dir: string, timings: Partial<typeof testSyncTimings> = {}): Promise<Services> {
  return startServices(dir, {
    createSyncTokenStore: (db) => {
      if (!db) throw new Error('a desk in these tests always has its data file');
      return new EncryptedSecretStore(db, testCipher, SYNC_TOKEN_SECRET);
    },
    syncTimings: { ...testSyncTimings, ...timings },
  });
}

/**
 * The setup of a sync test file: one embedded PostgreSQL for the file; per test, hubs on fresh
 * databases and desks, all closed after the test (a hub closes once however often it is asked).
 */
export function syncTestBed() {
  // PostgreSQL for the file and the hubs of each test, closed after it (after the desks: hooks run in reverse).
  const hubs = hubTestBed();
  const desks: Services[] = [];
  afterEach(async () => {
    for (const desk of desks.splice(0)) await desk.close();
  });
  /** A hub on a database of the file's PostgreSQL that exists already (another process, a restored copy). */
  const hubOn = (databaseUrl: string, options: Parameters<typeof startTestHub>[1] = {}): Promise<Hub> => hubs.hub(options, databaseUrl);
  /** Services started another way, closed after the test too. */
  const track = (services: Services): Services => {
    desks.push(services);
    return services;
  };
  return {
    track,
    /** A desk on `dir`, closed after the test. */
    async desk(dir = tempDir(), timings: Partial<typeof testSyncTimings> = {}): Promise<Services> {
      return track(await startDesk(dir, timings));
    },
    /** Closes a desk now (to restart it on its folder, or to read what it left behind). */
    async close(services: Services): Promise<void> {
      desks.splice(desks.indexOf(services), 1);
      await services.close();
    },
    /** A hub on a fresh database of the file's PostgreSQL. */
    async freshHub(options: Parameters<typeof startTestHub>[1] = {}): Promise<{ hub: Hub; databaseUrl: string }> {
      const databaseUrl = await hubs.postgres().createDatabase();
      return { hub: await hubOn(databaseUrl, options), databaseUrl };
    },
    hubOn,
  };
}

/** Calls a channel as the renderer would and throws the typed error when it fails. */
export async function invoke<T>(desk: Services, channel: string, request: unknown): Promise<T> {
  const result = await desk.dispatch(channel, request, { transport: 'test' });
  if (!result.ok) throw Object.assign(new Error(`${channel}: ${result.error.code}: ${result.error.message}`), { code: result.error.code });
  return result.value as T;
}

/** Enrolls the desk with a fresh one-time code of the hub, through `sync.enroll`. */
export async function enroll(desk: Services, hub: Pick<Hub, 'url' | 'enroll'>, deskName: string, store = 'b2c_10010_vi'): Promise<SyncStatus> {
  const code = await hub.enroll(store, deskName);
  return invoke<SyncStatus>(desk, 'sync.enroll', { hubUrl: hub.url, code });
}

export function put(desk: Services, userId: string, key: string, value: unknown, sessionId?: string): Promise<unknown> {
  return invoke(desk, 'memory.put', { userId, key, value, ...(sessionId ? { sessionId } : {}) });
}

/** Polls `check` until it holds, for at most `timeoutMs` (the hub tests' `eventually`): never a fixed sleep. */
export function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  return eventually(async () => check(), what, timeoutMs);
}

/** Resolves with the first `memory.changed` of the desk that `match` accepts, or rejects after `timeoutMs`. */
export function nextMemoryChange(
  desk: Services,
  match: (change: { userId: string | null; key: string | null; change: string }) => boolean,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const off = desk.events.subscribe((name, payload) => {
      if (name !== 'memory.changed' || !match(payload as { userId: string | null; key: string | null; change: string })) return;
      clearTimeout(timer);
      off();
      resolve();
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching memory change within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

export function status(desk: Services): Promise<SyncStatus> {
  return invoke<SyncStatus>(desk, 'sync.status', {});
}

/** Waits until the desk has nothing waiting for the hub and has pulled up to the hub's newest change. */
export async function settled(desk: Services, databaseUrl: string, timeoutMs = 30_000): Promise<void> {
  await until(
    async () => {
      const current = await status(desk);
      if (current.pending > 0) {
        await invoke(desk, 'sync.now', {});
        return false;
      }
      const [row] = await query<{ seq: string | null }>(databaseUrl, 'SELECT max(seq) AS seq FROM changes');
      const cursor = Number(desk.db!.prepare("SELECT value FROM sync_state WHERE name = 'cursor'").pluck().get() ?? 0);
      if (cursor >= Number(row?.seq ?? 0)) return (await status(desk)).pending === 0;
      await invoke(desk, 'sync.now', {});
      return false;
    },
    'the desk to push and pull everything',
    timeoutMs,
  );
}

/** Plain JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface SharedState {
  memories: Record<string, string>;
  customers: Record<string, string>;
}

/** What a desk shares: its customer-wide memories (customer, key → value) and customer records. */
export function deskState(desk: Services): SharedState {
  const db = desk.db!;
  const memories: Record<string, string> = {};
  const rows = db.prepare("SELECT user_id, key, value, codec FROM memory_entries WHERE session_id = '' ORDER BY user_id, key").all() as {
    user_id: string;
    key: string;
    value: Buffer | string;
    codec: 'none' | 'brotli' | 'gzip';
  }[];
  for (const row of rows) memories[`${row.user_id}\u0000${row.key}`] = canonicalJson(JSON.parse(decompress(row.value, row.codec)));
  const customers: Record<string, string> = {};
  const records = db.prepare('SELECT id, display_name, phone, membership_number FROM customers ORDER BY id').all() as {
    id: string;
    display_name: string | null;
    phone: string | null;
    membership_number: string | null;
  }[];
  for (const row of records) customers[row.id] = canonicalJson([row.display_name, row.phone, row.membership_number]);
  return { memories, customers };
}

/** The hub's shared state, in the same form: live (not forgotten) memories and customer records. */
export async function hubState(databaseUrl: string): Promise<SharedState> {
  const memories: Record<string, string> = {};
  for (const row of await query<{ customer_id: string; key: string; value: unknown }>(
    databaseUrl,
    'SELECT customer_id, key, value FROM memories WHERE NOT deleted ORDER BY customer_id, key',
  )) {
    memories[`${row.customer_id}\u0000${row.key}`] = canonicalJson(row.value);
  }
  const customers: Record<string, string> = {};
  for (const row of await query<{ customer_id: string; display_name: string | null; phone: string | null; membership_number: string | null }>(
    databaseUrl,
    'SELECT customer_id, display_name, phone, membership_number FROM customers ORDER BY customer_id',
  )) {
    customers[row.customer_id] = canonicalJson([row.display_name, row.phone, row.membership_number]);
  }
  return { memories, customers };
}

export function hashOf(state: SharedState): string {
  return createHash('sha256').update(canonicalJson(state)).digest('hex');
}

export interface HubChild {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
  output(): string;
}

/**
 * `npm run hub` as ONE child process (node with tsx's loader, as `npx tsx src/hub/main.ts` runs
 * it, without the tsx launcher in between), so SIGKILL reaches the hub itself. Resolves once it
 * printed the address it listens on.
 */
export async function spawnHubProcess(databaseUrl: string, port = 0, timeoutMs = 60_000): Promise<HubChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'hub', 'main.ts'), '--port', String(port)], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, HUB_LOG_LEVEL: process.env.HUB_TEST_LOG ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the hub did not start in ${timeoutMs} ms:\n${text}`)), timeoutMs);
    const look = (): void => {
      const found = /listening on (\S+)/.exec(text);
      if (!found?.[1]) return;
      clearTimeout(timer);
      resolve(found[1]);
    };
    child.stdout.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the hub exited before it listened:\n${text}`));
    });
  });
  return { child, url, exited, output: () => text };
}

/** Stops a hub child: SIGTERM, then waits for it to exit (bounded by the hub's own close deadline). */
export async function stopHubProcess(hub: HubChild): Promise<void> {
  if (hub.child.exitCode !== null || hub.child.signalCode !== null) return;
  hub.child.kill('SIGTERM');
  await hub.exited;
}

/**
 * A loopback TCP relay in front of the hub, one per desk: `cut()` drops its connections and
 * refuses new ones (the desk's network is gone, the desk keeps running), `restore()` lets them
 * through again. The hub itself is real; only the wire between is switched.
 */
export class NetworkSwitch {
  private readonly sockets = new Set<net.Socket>();
  private connected = true;
  private server: net.Server | null = null;
  port = 0;

  constructor(private readonly target: () => number) {}

  async start(): Promise<string> {
    const server = net.createServer((client) => {
      if (!this.connected) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.target(), '127.0.0.1');
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  cut(): void {
    this.connected = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.connected = true;
  }

  async close(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
