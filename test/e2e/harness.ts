import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const screenshotsDir = path.join(repoRoot, 'test-results');
const bridgeEntry = path.join(repoRoot, 'out', 'main', 'bridge.js');

export interface BridgeProcess {
  url: string;
  output: () => string;
  /** Sends SIGINT (what Ctrl-C sends) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Secrets a test typed into the page (an API key): no log may ever contain them. */
const typedSecrets = new Set<string>();
export function rememberSecret(value: string): void {
  typedSecrets.add(value);
}

/**
 * After a bridge run: its log exists, and holds no API key (from the environment or typed in),
 * no bridge token and no store cart id (read from the run's data file). Names the kind of secret
 * found, never the secret itself.
 */
function assertLogHasNoSecrets(userDataDir: string, url: string, env: Record<string, string>): void {
  const logDir = path.join(userDataDir, 'logs');
  const files = fs.existsSync(logDir) ? fs.readdirSync(logDir).filter((name) => name.startsWith('mm-assistant.log')) : [];
  if (files.length === 0) return; // the data folder could not be written (the damaged-file case)
  const log = files.map((name) => fs.readFileSync(path.join(logDir, name), 'utf8')).join('\n');
  if (!log.includes('services ready')) throw new Error(`the log in ${logDir} lacks the start line`);
  const secrets: [string, string][] = [['bridge token', new URL(url).hash.slice('#token='.length)]];
  if (env.GEMINI_API_KEY) secrets.push(['API key from the environment', env.GEMINI_API_KEY]);
  for (const typed of typedSecrets) secrets.push(['API key typed in Settings', typed]);
  const dbFile = path.join(userDataDir, 'mm-assistant.sqlite');
  if (fs.existsSync(dbFile)) {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      const hasCarts = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'commerce_carts'`).get();
      if (hasCarts)
        for (const row of db.prepare('SELECT cart_id FROM commerce_carts').all() as { cart_id: string }[]) secrets.push(['cart id', row.cart_id]);
    } finally {
      db.close();
    }
  }
  const leaked = secrets.filter(([, value]) => value.length > 0 && log.includes(value)).map(([kind]) => kind);
  if (leaked.length > 0) throw new Error(`the log contains: ${leaked.join(', ')}`);
}

/** Runs the built app's bridge entry as `npm start` does where Electron is absent. */
export function startBridgeProcess(userDataDir: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<BridgeProcess> {
  if (!fs.existsSync(bridgeEntry)) throw new Error(`${bridgeEntry} is missing: run "npm run build" first`);
  const child: ChildProcess = spawn(process.execPath, [bridgeEntry, '--port', '0', '--user-data', userDataDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GEMINI_API_KEY: '', ...env },
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready: (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(output);
      if (match) {
        resolve({
          url: match[1]!,
          output: () => output,
          stop: async () => {
            child.kill('SIGINT');
            const code = await exited;
            assertLogHasNoSecrets(userDataDir, match[1]!, env);
            return code;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`bridge exited (${String(code)}) before it was ready:\n${output}`)));
  });
}

/** Debian's Chromium, headless, with no network of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** Collects console errors/warnings and uncaught page errors, which the e2e runs must not have. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const file = path.join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AppInChromium {
  browser: Browser;
  bridge: BridgeProcess;
  page: Page;
  /** Console errors and warnings so far (`watchConsole`). */
  problems: string[];
  /** Closes Chromium, then stops the bridge (which checks its log for secrets). */
  close(): Promise<void>;
}

/** The built app through the bridge on `userDataDir`, open in a desktop-sized Chromium page. */
export async function openAppInChromium(userDataDir: string, bridgeArgs: string[] = []): Promise<AppInChromium> {
  const browser = await launchChromium();
  let bridge: BridgeProcess | undefined;
  try {
    bridge = await startBridgeProcess(userDataDir, bridgeArgs);
    const page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    const problems = watchConsole(page);
    await page.goto(bridge.url);
    const started = bridge;
    return {
      browser,
      bridge: started,
      page,
      problems,
      async close() {
        await browser.close();
        await started.stop();
      },
    };
  } catch (error) {
    await browser.close();
    await bridge?.stop();
    throw error;
  }
}
