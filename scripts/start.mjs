// `npm start` after the build: the desktop app where the Electron binary is installed, otherwise the
// same app through the web bridge. It never downloads Electron.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function installedElectronBinary() {
  const electronDir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(electronDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const binary = path.join(electronDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(binary) ? binary : null;
}

const electron = installedElectronBinary();
if (electron) {
  const child = spawn(electron, [root, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  console.log('The Electron binary is not installed here (it cannot be downloaded offline); serving MM Assistant through the web bridge instead.');
  await import(pathToFileURL(path.join(root, 'out', 'main', 'bridge.js')).href);
}
