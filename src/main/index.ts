/** Electron main entry: the desktop shell around the core services. */
import { startDesktopApp } from './shell/desktopApp';

startDesktopApp(process.env, process.argv).catch((error: unknown) => {
  // One line for the person starting the app. The log file has it too once the services were up
  // (createServices, startDesktopApp log it before closing); before that there is no log yet.
  console.error(`MM Assistant could not start: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
