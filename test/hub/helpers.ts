import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { startHub, type Hub, type HubOptions } from '../../src/hub';
import { enrollDesk, type HubClient } from '../helpers/hubClient';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** tsx as a loader inside one Node process (its CLI would put a relaying parent between us and the hub, and SIGKILL is not relayed). */
const hubCommand = [process.execPath, '--import', 'tsx', path.join('src', 'hub', 'main.ts')] as const;

/** A hub in this process on a database of its own (logs off unless HUB_TEST_LOG is set). */
export function startTestHub(databaseUrl: string, options: Omit<HubOptions, 'databaseUrl'> = {}): Promise<Hub> {
  return startHub({ databaseUrl, logger: pino({ level: process.env.HUB_TEST_LOG ?? 'silent' }), ...options });
}

/** `count` desks of one store, each enrolled with its own code and token. */
export async function enrollDesks(hub: Hub, count: number, store = 'b2c_10010_vi'): Promise<HubClient[]> {
  const desks: HubClient[] = [];
  for (let n = 1; n <= count; n++) desks.push(await enrollDesk(hub.url, await hub.enroll(store, `Quầy ${n}`)));
  return desks;
}

/**
 * A hash of every row of every hub table, to prove a refused request changed nothing. `last_seen_at`
 * is left out: any authenticated request may touch it (at most once a minute).
 */
export async function snapshotHub(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    const parts: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await client.query<{ digest: string | null }>(
        `SELECT md5(string_agg(r, E'\\n' ORDER BY r)) AS digest FROM (SELECT (to_jsonb(t) - 'last_seen_at')::text AS r FROM ${client.escapeIdentifier(name)} t) s`,
      );
      parts.push(`${name}:${rows.rows[0]?.digest ?? 'empty'}`);
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

/** One query on its own connection. */
export async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export interface HubProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `npm run hub`'s command (`tsx src/hub/main.ts`) as a child process, on this Node (24), so a signal
 * reaches the hub itself rather than npm. Resolves once it printed its URL.
 */
export async function spawnHub(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<HubProcess> {
  const child = spawn(hubCommand[0], [...hubCommand.slice(1), ...args], {
    cwd: repoRoot,
    env: { ...process.env, HUB_LOG_LEVEL: process.env.HUB_TEST_LOG ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the hub did not start in ${timeoutMs} ms:\n${text}`)), timeoutMs);
    const look = (): void => {
      const found = /listening on (\S+)/.exec(text);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited (${code ?? signal}) before it listened:\n${text}`));
    });
  });
  return { child, url, output: () => text, exited };
}

/** Runs `tsx src/hub/main.ts <args>` to its end (an admin command); returns its exit code and output. */
export async function runHubCommand(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(hubCommand[0], [...hubCommand.slice(1), ...args], {
    cwd: repoRoot,
    env: { ...process.env, HUB_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, stdout, stderr };
}

/** Polls `check` until it holds (bounded): for conditions another process brings about, never a fixed sleep. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * 2 ** attempt)));
  }
}
