/** Electron main entry: the desktop shell around the core services. */
import { app, dialog } from 'electron';
import { startDesktopApp } from './shell/desktopApp';

startDesktopApp(process.env, process.argv).catch(async (error: unknown) => {
  // One line for the person starting the app. The log file has it too once the services were up
  // (createServices, startDesktopApp log it before closing); before that there is no log yet.
  console.error(`MM Assistant could not start: ${error instanceof Error ? error.stack : String(error)}`);
  // Whoever double-clicked the app sees no console (another app on the same data folder, a folder
  // that cannot be made): the reason goes in a dialog too, in both languages (the settings are not read yet).
  try {
    await app.whenReady();
    const reason = error instanceof Error ? error.message : String(error);
    dialog.showErrorBox('MM Assistant', `Không khởi động được Trợ lý MM.\nMM Assistant could not start.\n\n${reason}`);
  } catch (dialogError) {
    console.error(`MM Assistant: the error dialog could not be shown: ${String(dialogError)}`);
  }
  process.exit(1);
});
