/** Electron main entry: the desktop shell around the core services. */
import { startDesktopApp } from './shell/desktopApp';

startDesktopApp(process.env, process.argv).catch((error: unknown) => {
  console.error(`MM Assistant could not start: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
