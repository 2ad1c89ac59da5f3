import fs from 'node:fs';
import net from 'node:net';
import pino from 'pino';
import { createEnrollment } from './admin';
import { createPool, DEFAULT_POOL_SIZE, startEmbeddedDatabase, type HubDatabase } from './database';
import { expireMemories } from './expiry';
import { ChangeListener } from './live';
import { runMigrations } from './migrations';
import { latestSeq } from './pull';
import { buildServer } from './server';

/**
 * The sync hub: desks push their shared changes and pull everyone else's (src/shared/sync.ts is
 * the protocol). Stateless over PostgreSQL, so several hub processes can serve one database.
 */

export const DEFAULT_QUOTA_BYTES_PER_CUSTOMER = 5 * 1024 * 1024;
const DEFAULT_EXPIRY_SWEEP_MS = 60_000;

export interface HubOptions {
  /** PostgreSQL to use. Without it, an embedded PostgreSQL is started with its data in `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
  /** Default 127.0.0.1. Any other host needs `tls` or `behindTlsProxy`. */
  host?: string;
  /** Default 0 (a free port; read `Hub.url`). */
  port?: number;
  tls?: { certFile: string; keyFile: string };
  /** A TLS-terminating proxy sits in front: plain HTTP is allowed on a non-loopback host. */
  behindTlsProxy?: boolean;
  quotaBytesPerCustomer?: number;
  logger?: pino.Logger;
  /** Database connections per hub process (default 10). */
  poolSize?: number;
  /** The hub's clock for code expiry and timestamps (tests move it). */
  now?: () => number;
  /** How often memories whose time-to-live passed are removed (default every minute). */
  expirySweepMs?: number;
  /** Live streams' heartbeat, which also ends a revoked desk's stream (default 15 s). */
  liveHeartbeatMs?: number;
}

export interface Hub {
  url: string;
  databaseUrl: string;
  /** A one-time code for a new desk of `store` named `deskName`, valid `ttlMs` (default 24 h). */
  enroll(store: string, deskName: string, ttlMs?: number): Promise<string>;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  return bare === '::1';
}

/** Refuses plain HTTP anywhere but loopback: tokens and customer data must not cross a network in clear. */
export function checkTransport(options: Pick<HubOptions, 'host' | 'tls' | 'behindTlsProxy'>): void {
  const host = options.host ?? '127.0.0.1';
  if (isLoopbackHost(host) || options.tls || options.behindTlsProxy) return;
  throw new Error(
    `The hub serves plain HTTP only on loopback, and ${host} is not. Give a certificate and key (--tls-cert/--tls-key or HUB_TLS_CERT/HUB_TLS_KEY) ` +
      `or, when a TLS-terminating proxy sits in front, say so (HUB_BEHIND_TLS_PROXY=1).`,
  );
}

export async function startHub(options: HubOptions): Promise<Hub> {
  checkTransport(options);
  const logger = options.logger ?? pino({ level: 'silent' });
  const now = options.now ?? Date.now;
  const https = options.tls ? { cert: fs.readFileSync(options.tls.certFile), key: fs.readFileSync(options.tls.keyFile) } : undefined;

  const cleanup: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, 'hub close step failed');
      }
    }
  };

  try {
    let database: HubDatabase;
    if (options.databaseUrl) database = { url: options.databaseUrl, close: async () => undefined };
    else if (options.dataDir) database = await startEmbeddedDatabase(options.dataDir, logger);
    else throw new Error('The hub needs a PostgreSQL: give databaseUrl (DATABASE_URL) or a data folder for an embedded one.');
    cleanup.push(() => database.close());

    const pool = createPool(database.url, options.poolSize ?? DEFAULT_POOL_SIZE, logger);
    cleanup.push(() => pool.end());
    await runMigrations(pool, logger);

    const listener = new ChangeListener(database.url, logger, () => latestSeq(pool));
    await listener.start();
    cleanup.push(() => listener.close());

    const server = buildServer({
      pool,
      listener,
      logger,
      now,
      quotaBytes: options.quotaBytesPerCustomer ?? DEFAULT_QUOTA_BYTES_PER_CUSTOMER,
      ...(https ? { https } : {}),
      trustProxy: options.behindTlsProxy ?? false,
      ...(options.liveHeartbeatMs === undefined ? {} : { heartbeatMs: options.liveHeartbeatMs }),
    });
    cleanup.push(async () => {
      server.endStreams();
      await server.app.close();
    });
    let sweeping: Promise<void> | null = null;
    const sweep = (): void => {
      // One sweep at a time per process; a failed one (PostgreSQL restarting) is tried at the next tick.
      sweeping ??= expireMemories(pool, now())
        .then(
          (expired) => {
            if (expired.memories + expired.changes > 0) logger.info(expired, 'expired memories removed');
          },
          (error: unknown) => logger.warn({ pgCode: (error as { code?: unknown }).code }, 'expiry sweep failed; trying again later'),
        )
        .finally(() => {
          sweeping = null;
        });
    };
    const sweeper = setInterval(sweep, options.expirySweepMs ?? DEFAULT_EXPIRY_SWEEP_MS);
    sweeper.unref();
    sweep();
    cleanup.push(async () => {
      clearInterval(sweeper);
      await sweeping;
    });

    const host = options.host ?? '127.0.0.1';
    await server.app.listen({ host, port: options.port ?? 0 });
    const address = server.app.server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
    const url = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    logger.info({ url, embedded: !options.databaseUrl }, 'hub listening');

    let closing: Promise<void> | null = null;
    return {
      url,
      databaseUrl: database.url,
      enroll: async (store, deskName, ttlMs) =>
        (await createEnrollment(pool, { store, deskName, ...(ttlMs === undefined ? {} : { ttlMs }), now: now() })).code,
      close: () => (closing ??= closeAll().then(() => logger.info('hub closed'))),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
