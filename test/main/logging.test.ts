// What the web bridge, storage and settings write to the app log, on the real parts: the bridge as
// `npm start` runs it (runBridge: real services, real HTTP on loopback), the real SQLite file,
// the real logger. Each line's level and service, and never the bridge token.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_FILE_NAME } from '../../src/main/app/config';
import { runBridge, type RunningBridge } from '../../src/main/bridge/runBridge';
import { openDatabase, type Migration } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { captureLog, LEVEL, readLogLines, type LogLine } from '../helpers/logCapture';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const latest = Math.max(...migrations.map((migration) => migration.version));

let running: RunningBridge | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

async function startBridgeApp(): Promise<{ running: RunningBridge; logFile: string }> {
  const userData = tempDir();
  const rendererDir = path.join(tempDir(), 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>MM</title>');
  running = await runBridge({ argv: ['--user-data', userData, '--port', '0'], env: {}, version: '0.0.0-test', rendererDir });
  return { running, logFile: path.join(userData, LOG_FILE_NAME) };
}

/** The first line `match` finds, waiting for it: the server logs after the client has its answer or has gone. */
async function lineFor(file: string, match: (line: LogLine) => boolean): Promise<LogLine> {
  for (let waited = 0; waited < 3000; waited += 20) {
    const found = readLogLines(file).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no such line in ${file}:\n${fs.readFileSync(file, 'utf8')}`);
}

/** Starts a JSON POST with a body longer than what is sent, then drops the connection. */
function cutOffRequest(origin: string, token: string): Promise<void> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const request = http.request({
      host: hostname,
      port,
      method: 'POST',
      path: '/api/invoke/settings.set',
      headers: { 'Content-Type': 'application/json', 'Content-Length': '1000', Authorization: `Bearer ${token}` },
    });
    request.on('error', () => resolve());
    // Dropped once the partial body has left: the bridge has the headers and part of the body, never the rest.
    request.write('{"language":', () => request.destroy());
    request.on('close', () => resolve());
  });
}

describe('web bridge log', () => {
  it('logs its start, refused and failed requests and event streams at their levels, and never the token', async () => {
    const { running: app, logFile } = await startBridgeApp();
    const { bridge } = app;

    expect(await lineFor(logFile, (line) => line.msg === 'bridge listening')).toMatchObject({
      level: LEVEL.info,
      service: 'bridge',
      origin: bridge.origin,
    });

    // A wrong token: refused, and the log says which request, not what it presented.
    const presented = 'f'.repeat(64);
    const refused = await fetch(`${bridge.origin}/api/invoke/app.info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${presented}` },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    expect(await lineFor(logFile, (line) => line.httpStatus === 401)).toMatchObject({
      level: LEVEL.warn,
      service: 'bridge',
      method: 'POST',
      path: '/api/invoke/app.info',
    });

    // A request whose body never arrives: the bridge's own failure, an error.
    await cutOffRequest(bridge.origin, bridge.token);
    expect(await lineFor(logFile, (line) => line.msg === 'bridge request failed')).toMatchObject({
      level: LEVEL.error,
      service: 'bridge',
      method: 'POST',
      path: '/api/invoke/settings.set',
    });

    // An event stream opened, then dropped by its client.
    const controller = new AbortController();
    const stream = await fetch(`${bridge.origin}/api/events`, { headers: { Authorization: `Bearer ${bridge.token}` }, signal: controller.signal });
    await stream.body!.getReader().read();
    expect(await lineFor(logFile, (line) => line.msg === 'event stream opened')).toMatchObject({ level: LEVEL.info, service: 'bridge', clients: 1 });
    controller.abort();
    expect(await lineFor(logFile, (line) => line.msg === 'event stream closed')).toMatchObject({ level: LEVEL.info, service: 'bridge', clients: 0 });

    // runBridge registered the token as a secret before the bridge started: even a line that
    // carries the URL to open has it cut out.
    app.services.log.logger.info({ url: bridge.openUrl }, 'a careless line');
    const careless = await lineFor(logFile, (line) => line.msg === 'a careless line');
    expect(careless.url).toBe(`${bridge.origin}/#token=[secret]`);
    const text = fs.readFileSync(logFile, 'utf8');
    expect(text).not.toContain(bridge.token);
    expect(text).not.toContain(presented);
  });
});

describe('storage and settings log', () => {
  it('logs each migration applied (info) and a failed one (error) with its version and name', () => {
    const capture = captureLog();
    const file = path.join(tempDir(), 'app.sqlite');
    openDatabase(file, migrations, capture.child('storage')).db.close();
    const broken: Migration = {
      version: latest + 1,
      name: 'fails halfway',
      up(db) {
        db.exec('INSERT INTO table_that_does_not_exist VALUES (1)');
      },
    };
    expect(() => openDatabase(file, [...migrations, broken], capture.child('storage'))).toThrow(
      expect.objectContaining({ code: 'migration_failed' }),
    );

    const lines = capture.lines();
    const applied = lines.filter((line) => line.msg === 'migration applied');
    expect(applied.map((line) => line.version)).toEqual(migrations.map((migration) => migration.version));
    for (const line of applied) expect(line).toMatchObject({ level: LEVEL.info, service: 'storage', durationMs: expect.any(Number) });
    expect(lines.find((line) => line.msg === 'migration failed; the file stays at the previous version')).toMatchObject({
      level: LEVEL.error,
      service: 'storage',
      version: latest + 1,
      name: 'fails halfway',
      schemaVersion: latest,
    });
  });

  it('a damaged data file: logged as such, and that the app runs without it', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'mm-assistant.sqlite'), Buffer.from('a shopping list for chị Lan: sữa, nước mắm, gạo '.repeat(200)));
    const services = await startServices(dir);
    await services.close();
    const lines = readLogLines(path.join(dir, LOG_FILE_NAME));
    expect(lines.find((line) => line.msg === 'the data file is damaged; it is left untouched')).toMatchObject({
      level: LEVEL.error,
      service: 'storage',
      state: 'corrupt',
    });
    expect(lines.find((line) => line.msg === 'running without the data file')).toMatchObject({
      level: LEVEL.error,
      service: 'storage',
      state: 'corrupt',
    });
    expect(lines.find((line) => line.msg === 'services ready')).toMatchObject({ level: LEVEL.info, service: 'app', storage: 'corrupt' });
    expect(fs.readFileSync(path.join(dir, LOG_FILE_NAME), 'utf8')).not.toContain('shopping list');
  });

  it('a stored setting that no longer validates: a warning naming the setting, the default in force', async () => {
    const dir = tempDir();
    const first = await startServices(dir);
    await first.close();
    const db = new Database(path.join(dir, 'mm-assistant.sqlite'));
    db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)').run('language', '"fr"', Date.now());
    db.close();

    const services = await startServices(dir);
    try {
      expect(services.settings.get().language).toBe('vi');
      const saved = await services.dispatch('settings.set', { language: 'en' }, { transport: 'test' });
      expect(saved).toMatchObject({ ok: true, value: { language: 'en' } });
    } finally {
      await services.close();
    }
    const lines = readLogLines(path.join(dir, LOG_FILE_NAME));
    expect(lines.find((line) => line.msg === 'a stored setting no longer validates; its default is used')).toMatchObject({
      level: LEVEL.warn,
      service: 'settings',
      setting: 'language',
    });
    expect(lines.find((line) => line.msg === 'settings saved')).toMatchObject({ level: LEVEL.info, service: 'settings', settings: ['language'] });
  });
});
