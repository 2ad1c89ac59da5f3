// `npm run dev`: electron-vite's dev mode (renderer hot reload, main rebuilt and restarted) where
// the Electron binary is installed. Where it is not (it cannot be downloaded offline), the same
// loop through the web bridge: the renderer is rebuilt on every change (reload the page), and a
// change under src/main, src/shared or src/preload rebuilds the app and restarts the bridge,
// which prints its new URL. Logs come on the console as readable lines.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const bin = (name) => path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const env = { ...process.env, MM_LOG_CONSOLE: 'pretty', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' };
const hasElectron = fs.existsSync(path.join(root, 'node_modules', 'electron', 'path.txt'));

let stopping = false;
const children = new Set();
function start(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
function stop() {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stop);

if (hasElectron) {
  start(bin('electron-vite'), ['dev', ...args]).on('exit', (code) => (process.exitCode = code ?? 0));
} else {
  console.log('The Electron binary is not installed here; developing through the web bridge (reload the page after a change).');
  const build = () => spawnSync(bin('electron-vite'), ['build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit', env }).status === 0;
  if (!build()) process.exit(1);
  start(bin('vite'), ['build', '--watch', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn']);
  let bridge = start(process.execPath, [path.join(root, 'out', 'main', 'bridge.js'), ...args]);
  let timer = null;
  const rebuild = () => {
    if (stopping) return;
    console.log('A main-process file changed: rebuilding and restarting the bridge…');
    const old = bridge;
    old.once('exit', () => {
      if (stopping || !build()) return;
      bridge = start(process.execPath, [path.join(root, 'out', 'main', 'bridge.js'), ...args]);
    });
    old.kill('SIGTERM');
  };
  for (const folder of ['src/main', 'src/shared', 'src/preload']) {
    fs.watch(path.join(root, folder), { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(rebuild, 300);
    });
  }
}
