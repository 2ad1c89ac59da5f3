/**
 * MM Assistant without Electron: the same core services and contract served to a browser through
 * the web bridge on 127.0.0.1. `npm start` falls back to this where the Electron binary is absent.
 */
import { fileURLToPath } from 'node:url';
import { version } from '../../package.json';
import { runBridge } from './bridge/runBridge';

// Built beside this file; `npm run dev` runs this file from source and points at the build instead.
const rendererDir = process.env.MM_RENDERER_DIR ?? fileURLToPath(new URL('../renderer/', import.meta.url));

// The console lines are for the person who started the app; the log file (services.log) gets its own lines.
try {
  const running = await runBridge({ argv: process.argv.slice(2), env: process.env, version, rendererDir });
  const logger = running.services.log.logger.child({ service: 'bridge' });
  const { storage } = running.services;
  if (storage.state !== 'ok') console.error(`MM Assistant: ${storage.message ?? storage.state}`);
  // Ctrl-C and SIGTERM close the services cleanly; the handlers are in place before the ready line,
  // so whoever waits for that line can stop the app at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`MM Assistant: ${signal} received, closing…`);
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        // The log is closed by now; each service that failed to close was logged before it (app/services.ts).
        console.error(`MM Assistant: closing failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The printed URL carries the token; the log has the origin only ('bridge listening').
  console.log(`MM Assistant (web bridge) ready: ${running.bridge.openUrl}`);
  logger.info({ origin: running.bridge.origin, storage: storage.state }, 'web bridge ready');
} catch (error) {
  // Logged where it happened when the services were up (createServices, runBridge); a bad argument has no log yet.
  console.error(`MM Assistant could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
