/**
 * Startup: time from process start to the web bridge answering `app.info`, and to the first data
 * call (`settings.get`) answered, with an empty and a 100 MB database. Baseline, same run: a bare
 * Node process that starts an HTTP server on loopback and answers one request.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/main/storage/database';
import { migrations } from '../src/main/storage/migrations';
import { DB_FILE_NAME } from '../src/main/app/config';
import { round, median } from './_stats';

const RUNS = 7;
const bridgeEntry = path.resolve(import.meta.dirname, '../out/main/bridge.js');

interface Timing {
  readyMs: number;
  appInfoMs: number;
  firstCallMs: number;
}

/** Spawns `args`, waits for a line with the URL, then times the given calls from the spawn. */
async function timeProcess(args: string[], calls: (origin: string, token: string) => Promise<[number, number]>): Promise<Timing> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, GEMINI_API_KEY: '' } });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const deadline = setTimeout(() => reject(new Error(`no ready line within 30 s: ${output}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /(http:\/\/127\.0\.0\.1:\d+\/(?:#token=[0-9a-f]+)?)/.exec(output);
        if (match) {
          clearTimeout(deadline);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${String(code)} before ready: ${output}`)));
    });
    const readyMs = performance.now() - started;
    const parsed = new URL(url);
    const [appInfoAt, firstCallAt] = await calls(parsed.origin, parsed.hash.replace('#token=', ''));
    return { readyMs, appInfoMs: appInfoAt - started, firstCallMs: firstCallAt - started };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function invoke(origin: string, token: string, channel: string): Promise<number> {
  const response = await fetch(`${origin}/api/invoke/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: '{}',
  });
  const body = (await response.json()) as { ok: boolean };
  if (!body.ok) throw new Error(`${channel} failed: ${JSON.stringify(body)}`);
  return performance.now();
}

const projectCalls = async (origin: string, token: string): Promise<[number, number]> => [
  await invoke(origin, token, 'app.info'),
  await invoke(origin, token, 'settings.get'),
];

const baselineScript = `
const http = require('node:http');
const server = http.createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true,"value":{}}'); });
server.listen(0, '127.0.0.1', () => console.log('ready: http://127.0.0.1:' + server.address().port + '/'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Grows a database to about `bytes` with realistic-sized rows, as months of use would. */
function fillDatabase(dir: string, bytes: number): number {
  const file = path.join(dir, DB_FILE_NAME);
  openDatabase(file, migrations).db.close();
  const db = new Database(file);
  db.exec('CREATE TABLE IF NOT EXISTS bench_history (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO bench_history (body) VALUES (?)');
  const row = 'Khách hỏi sữa tươi Vinamilk 1L, nước mắm Nam Ngư, gạo ST25 5kg; giao hàng thứ bảy. '.repeat(40);
  const rows = Math.ceil(bytes / Buffer.byteLength(row));
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(row);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return fs.statSync(file).size;
}

async function measure(label: string, make: () => Promise<Timing>) {
  const timings: Timing[] = [];
  for (let i = 0; i < RUNS; i++) timings.push(await make());
  return {
    label,
    ready_ms: round(median(timings.map((t) => t.readyMs)), 1),
    app_info_ms: round(median(timings.map((t) => t.appInfoMs)), 1),
    first_call_ms: round(median(timings.map((t) => t.firstCallMs)), 1),
  };
}

export default async function startup(): Promise<Record<string, unknown>> {
  if (!fs.existsSync(bridgeEntry)) throw new Error('out/main/bridge.js is missing: run "npm run build" first');
  const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-empty-'));
  const largeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-large-'));
  try {
    const baseline = await measure('baseline: bare node http server', () =>
      timeProcess(['-e', baselineScript], async (origin) => {
        const answered = async () => (await (await fetch(origin)).json(), performance.now());
        return [await answered(), await answered()];
      }),
    );
    // A fresh folder per run, so every empty-database start creates the file and runs the migrations.
    const empty = await measure('empty database', () =>
      timeProcess([bridgeEntry, '--port', '0', '--user-data', fs.mkdtempSync(path.join(emptyDir, 'run-'))], projectCalls),
    );
    // Filled after the empty runs, so the write-back of 100 MB does not slow their fsyncs.
    const largeBytes = fillDatabase(largeDir, 100 * 1024 * 1024);
    const large = await measure('100 MB database', () => timeProcess([bridgeEntry, '--port', '0', '--user-data', largeDir], projectCalls));
    return {
      runs_per_case: RUNS,
      baseline,
      empty_db: { ...empty, vs_baseline_app_info: round(empty.app_info_ms / baseline.app_info_ms, 1) },
      db_100mb: { ...large, db_bytes: largeBytes, vs_baseline_app_info: round(large.app_info_ms / baseline.app_info_ms, 1) },
      goal_services_ready_empty_ms: 300,
      goal_met: empty.ready_ms < 300,
    };
  } finally {
    fs.rmSync(emptyDir, { recursive: true, force: true });
    fs.rmSync(largeDir, { recursive: true, force: true });
  }
}
