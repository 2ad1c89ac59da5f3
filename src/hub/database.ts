import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { isInitialised, openEmbeddedCluster, randomPassword, runningPostmaster, type EmbeddedCluster } from './embedded';

export const DEFAULT_POOL_SIZE = 10;
const DATABASE_NAME = 'mm_hub';
const CREDENTIALS_FILE = 'postgres.json';

/** Where the hub's PostgreSQL is: given, or embedded in the data folder (started and stopped by us). */
export interface HubDatabase {
  url: string;
  /** Stops the embedded server when we started it; nothing for a given URL. */
  close(): Promise<void>;
}

interface Credentials {
  password: string;
  /** The port the running embedded server listens on, for admin commands while a hub runs. */
  port: number | null;
  /** The process (hub or command) that started the running server and stops it when it ends. */
  ownerPid: number | null;
}

/**
 * The embedded PostgreSQL of a data folder: initialised on first use (a random password kept in
 * `postgres.json`, mode 0600), started on a free loopback port, with the hub's database created.
 */
export async function startEmbeddedDatabase(dataDir: string, logger: Logger): Promise<HubDatabase> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const databaseDir = path.join(dataDir, 'postgres');
  const credentialsFile = path.join(dataDir, CREDENTIALS_FILE);
  let credentials = readCredentials(credentialsFile);
  if (!credentials || !isInitialised(databaseDir)) {
    if (isInitialised(databaseDir))
      throw new Error(`${credentialsFile} is missing: the embedded PostgreSQL in ${databaseDir} cannot be opened without it.`);
    credentials = { password: randomPassword(), port: null, ownerPid: null };
    writeCredentials(credentialsFile, credentials);
    logger.info({ dataDir }, 'initialising embedded PostgreSQL');
  }
  await stopOrphanedServer(databaseDir, credentials, logger);
  const lines: string[] = [];
  let cluster: EmbeddedCluster;
  try {
    cluster = await openEmbeddedCluster({
      databaseDir,
      password: credentials.password,
      onLog: (line) => {
        lines.push(line);
        if (lines.length > 50) lines.shift();
      },
    });
  } catch (error) {
    logger.error({ output: lines.join('').slice(-4000) }, 'embedded PostgreSQL failed to start');
    throw error;
  }
  writeCredentials(credentialsFile, { ...credentials, port: cluster.port, ownerPid: process.pid });
  try {
    await cluster.ensureDatabase(DATABASE_NAME);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  logger.info({ port: cluster.port }, 'embedded PostgreSQL started');
  return {
    url: cluster.url(DATABASE_NAME),
    async close() {
      writeCredentials(credentialsFile, { ...credentials, port: null, ownerPid: null });
      await cluster.stop();
      logger.info('embedded PostgreSQL stopped');
    },
  };
}

/**
 * For admin commands on a data folder: the running hub's embedded server when there is one
 * (PostgreSQL allows one server per folder), else one started just for the command.
 */
export async function openDataFolderDatabase(dataDir: string, logger: Logger, options: { runningOnly?: boolean } = {}): Promise<HubDatabase> {
  const credentials = readCredentials(path.join(dataDir, CREDENTIALS_FILE));
  if (credentials?.port && runningPostmaster(path.join(dataDir, 'postgres')) !== null) {
    const url = `postgres://postgres:${encodeURIComponent(credentials.password)}@127.0.0.1:${credentials.port}/${DATABASE_NAME}`;
    return { url, close: async () => undefined };
  }
  if (options.runningOnly) throw new Error(`No hub is running on ${dataDir}: start it with npm run hub -- --data ${dataDir}.`);
  return startEmbeddedDatabase(dataDir, logger);
}

export function createPool(url: string, size: number, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    // Also how long a request may queue for a free connection under load. A PostgreSQL that is down
    // refuses at once (ECONNREFUSED → 503) whatever this says.
    connectionTimeoutMillis: 30_000,
    idleTimeoutMillis: 30_000,
    application_name: 'mm-hub',
    // Bounds on a stuck statement or a transaction left open by a hung request.
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: 60_000,
  });
  // An idle client whose server went away (PostgreSQL restarting): the pool drops it and makes another.
  pool.on('error', (error) => logger.warn({ code: (error as { code?: unknown }).code }, 'idle database connection lost'));
  return pool;
}

/**
 * Runs `work` on a checked-out client. The pool listens for errors on idle clients only; a checked-out
 * client whose server goes away (PostgreSQL stopping) emits 'error', which unheard would end the
 * process. Here it is heard, and a client that failed in any way but a refusal of ours is destroyed
 * rather than returned to the pool.
 */
export async function withClient<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  keep: (error: unknown) => boolean = () => false,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken ??= error; // the running query (if any) fails too; that failure is what the caller sees
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (error) {
    if (!keep(error)) broken ??= error instanceof Error ? error : new Error('database work failed');
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** `work` in one transaction, rolled back if it throws (also when `begin` itself fails half-way). */
export function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  keep?: (error: unknown) => boolean,
  /** SQL that opens the transaction: `BEGIN`, perhaps followed by statements without parameters. */
  begin = 'BEGIN',
): Promise<T> {
  return withClient(
    pool,
    async (client) => {
      await client.query(begin);
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A failed ROLLBACK means the session is gone, and PostgreSQL rolled back itself; the first error is the one to report.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    keep,
  );
}

/**
 * A PostgreSQL left running on the folder by a hub (or command) that was killed (SIGKILL, out of
 * memory): nobody would ever stop it, and it holds the folder, so a restarted hub could not start.
 * It is stopped (fast shutdown: open transactions roll back, committed data stays) and the start
 * goes on. A server whose owner still runs, or whose owner is unknown, is left alone (the start
 * then refuses, naming its pid).
 */
async function stopOrphanedServer(databaseDir: string, credentials: Credentials, logger: Logger): Promise<void> {
  const pid = runningPostmaster(databaseDir);
  if (pid === null || credentials.ownerPid === null || processAlive(credentials.ownerPid) || !isPostgres(pid)) return;
  logger.warn({ pid, ownerPid: credentials.ownerPid }, 'stopping the embedded PostgreSQL a stopped hub left running');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < ORPHAN_STOP_MS && runningPostmaster(databaseDir) !== null; waited += 100)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (runningPostmaster(databaseDir) !== null)
    throw new Error(`PostgreSQL (pid ${pid}) left running on ${databaseDir} by a stopped hub did not stop within ${ORPHAN_STOP_MS / 1000} s.`);
}

const ORPHAN_STOP_MS = 30_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is a PostgreSQL server (Linux's /proc says); elsewhere, or when unsure, false: never signal a stranger. */
function isPostgres(pid: number): boolean {
  try {
    return /postgres/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

function readCredentials(file: string): Credentials | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Credentials>;
    if (typeof parsed.password !== 'string') return null;
    return {
      password: parsed.password,
      port: typeof parsed.port === 'number' ? parsed.port : null,
      ownerPid: typeof parsed.ownerPid === 'number' ? parsed.ownerPid : null,
    };
  } catch {
    return null; // no file yet (a fresh folder)
  }
}

function writeCredentials(file: string, credentials: Credentials): void {
  const temp = `${file}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(credentials), { mode: 0o600 });
  fs.renameSync(temp, file);
}
