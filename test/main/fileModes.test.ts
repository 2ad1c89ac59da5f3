// Owner-only modes on the real parts: the bridge as `npm start` runs it (runBridge) creates the
// user-data folder 0700 and its files (the SQLite file, -wal, -shm, the log) 0600, tightens an
// existing folder and files left wider, and the log keeps 0600 across rotation. Not on Windows,
// which has no such modes.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE_NAME, LOG_FILE_NAME } from '../../src/main/app/config';
import { runBridge, type RunningBridge } from '../../src/main/bridge/runBridge';
import { createLogger } from '../../src/main/core/logger';
import { tempDir } from '../helpers/tempDir';

let running: RunningBridge | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

function modeOf(target: string): string {
  return (fs.statSync(target).mode & 0o777).toString(8);
}

async function startAt(userData: string): Promise<RunningBridge> {
  const rendererDir = path.join(tempDir(), 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>MM</title>');
  running = await runBridge({ argv: ['--user-data', userData, '--port', '0'], env: {}, version: '0.0.0-test', rendererDir });
  return running;
}

/** A write through the contract, so the -wal and -shm exist. */
async function write(bridge: RunningBridge): Promise<void> {
  const response = await fetch(`${bridge.bridge.origin}/api/invoke/memory.put`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bridge.bridge.token}` },
    body: JSON.stringify({ userId: 'kh-mode', key: 'ghi-chu', value: 'private' }),
  });
  expect(await response.json()).toMatchObject({ ok: true });
}

describe.skipIf(process.platform === 'win32')('file modes', () => {
  it('creates the user-data folder 0700 and the data and log files 0600', async () => {
    const userData = path.join(tempDir(), 'nested', 'MM Assistant');
    const app = await startAt(userData);
    await write(app);
    const db = path.join(userData, DB_FILE_NAME);
    expect(modeOf(userData)).toBe('700');
    expect(modeOf(path.dirname(path.join(userData, LOG_FILE_NAME)))).toBe('700');
    expect(modeOf(path.join(userData, LOG_FILE_NAME))).toBe('600');
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      expect(fs.existsSync(file), file).toBe(true);
      expect(modeOf(file), file).toBe('600');
    }
  });

  it('tightens a folder and files an earlier run left wider', async () => {
    const userData = tempDir();
    await write(await startAt(userData));
    await running!.stop();
    running = null;
    const db = path.join(userData, DB_FILE_NAME);
    const log = path.join(userData, LOG_FILE_NAME);
    fs.chmodSync(userData, 0o755);
    fs.chmodSync(path.dirname(log), 0o755);
    fs.chmodSync(db, 0o644);
    fs.chmodSync(log, 0o644);
    fs.writeFileSync(`${log}.1`, '{}\n', { mode: 0o644 });
    fs.chmodSync(`${log}.1`, 0o644);

    await write(await startAt(userData));
    expect(modeOf(userData)).toBe('700');
    expect(modeOf(path.dirname(log))).toBe('700');
    for (const file of [db, `${db}-wal`, `${db}-shm`, log, `${log}.1`]) expect(modeOf(file), file).toBe('600');
  });

  it('keeps the log files 0600 across rotation', () => {
    const file = path.join(tempDir(), 'logs', 'app.log');
    const log = createLogger({ file, maxBytes: 300, keep: 2 });
    for (let i = 0; i < 20; i++) log.logger.info({ i }, 'a line long enough to rotate the file after a few of them');
    log.close();
    expect(fs.existsSync(`${file}.2`)).toBe(true);
    expect(modeOf(path.dirname(file))).toBe('700');
    for (const rotated of [file, `${file}.1`, `${file}.2`]) expect(modeOf(rotated), rotated).toBe('600');
  });
});
