import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { defaultUserDataDir, preparePrivateDir } from '../app/config';
import { startServiceHost, type ServiceHost } from '../app/host';
import type { Services } from '../app/services';
import { ProcessSecretStore } from '../settings/secretStore';
import { startBridge, type BridgeServer } from './server';

export interface RunningBridge {
  /** The services running now (they restart on another data file after a restore). */
  readonly services: Services;
  host: ServiceHost;
  bridge: BridgeServer;
  stop(): Promise<void>;
}

export interface BridgeRunOptions {
  argv: string[];
  env: Readonly<Record<string, string | undefined>>;
  version: string;
  rendererDir: string;
}

/** Parses `--port`, `--user-data` and `--demo`, builds the services and serves them on loopback. */
export async function runBridge(options: BridgeRunOptions): Promise<RunningBridge> {
  const { values } = parseArgs({
    args: options.argv,
    options: {
      port: { type: 'string' },
      'user-data': { type: 'string' },
      demo: { type: 'boolean' },
    },
    strict: false,
    allowPositionals: true,
  });
  const port = values.port === undefined ? Number(options.env.MM_BRIDGE_PORT ?? 0) : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${String(values.port)}`);
  const userDataDir = typeof values['user-data'] === 'string' ? values['user-data'] : (options.env.MM_USER_DATA ?? defaultUserDataDir());

  // Owner-only before the log and the data file are created in it. A folder that cannot be made
  // is not fatal here: the services then run without their file, as they say in the log.
  let folderError: unknown = null;
  try {
    preparePrivateDir(userDataDir);
  } catch (error) {
    folderError = error;
  }
  const host = await startServiceHost({
    userDataDir,
    mode: 'bridge',
    version: options.version,
    createSecretStore: () => new ProcessSecretStore(options.env.GEMINI_API_KEY),
    settingsOverrides: values.demo === true ? { demoStore: true } : undefined,
    env: options.env,
  });
  const services = host.current();
  const logger = services.log.logger.child({ service: 'bridge' });
  if (folderError !== null) logger.warn({ path: userDataDir, err: folderError }, 'the user-data folder could not be made owner-only');
  // The token is cut out of every log line before the bridge exists: it opens the whole API.
  const token = crypto.randomBytes(32).toString('hex');
  services.log.secrets.add(token);
  let bridge: BridgeServer;
  try {
    bridge = await startBridge({
      dispatch: host.dispatch,
      events: host.events,
      rendererDir: options.rendererDir,
      // Whichever services run now (they restart on another data file after a restore).
      images: (src) => host.current().images.get(src),
      port,
      token,
      logger,
    });
  } catch (error) {
    // Logged while the log is open; the caller prints the one line for the person starting the app.
    logger.fatal({ port, err: error }, 'the bridge could not start');
    await host.close();
    throw error;
  }
  return {
    get services() {
      return host.current();
    },
    host,
    bridge,
    async stop() {
      await bridge.close();
      await host.close();
    },
  };
}
