import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type ConsoleMessage, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

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

/** The built app through the bridge on `userDataDir`, open in a desktop-sized Chromium page (or the size given). */
export async function openAppInChromium(
  userDataDir: string,
  bridgeArgs: string[] = [],
  options: { viewport?: { width: number; height: number } } = {},
): Promise<AppInChromium> {
  const browser = await launchChromium();
  let bridge: BridgeProcess | undefined;
  try {
    bridge = await startBridgeProcess(userDataDir, bridgeArgs);
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1366, height: 860 } });
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

/** What Chromium logs for each event-stream request a test refused (`cutEventStream`). */
const refusedLoad = /^error: Failed to load resource: net::ERR_FAILED$/;

/**
 * Lets `cutEventStream` drop the page's open event stream (`GET /api/events`), as when the
 * connection to the bridge is lost. Call before the page loads: it keeps a way to abort each
 * stream the page's `fetch` opens (the connection closes, and what the bridge sends meanwhile is lost).
 */
export async function allowEventStreamCuts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const open = new Set<AbortController>();
    const pageFetch = globalThis.fetch.bind(globalThis);
    globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      if (new URL(url, location.href).pathname !== '/api/events') return pageFetch(input, init);
      const controller = new AbortController();
      open.add(controller);
      const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
      return pageFetch(input, { ...init, signal });
    };
    (globalThis as unknown as { mmCutEventStreams: () => void }).mmCutEventStreams = () => {
      for (const controller of open) controller.abort(new TypeError('network error'));
      open.clear();
    };
  });
}

/**
 * Drops the page's event stream now and refuses new ones until `restore` (the page keeps trying,
 * as it does when the bridge is away); needs `allowEventStreamCuts` before the page loaded.
 * `restore` lets the page connect again and takes the refused loads Chromium logged out of `problems`.
 */
export async function cutEventStream(page: Page, problems: string[]): Promise<{ restore(): Promise<void> }> {
  const before = problems.length;
  await page.route('**/api/events', (route) => route.abort());
  await page.evaluate(() => (globalThis as unknown as { mmCutEventStreams: () => void }).mmCutEventStreams());
  return {
    async restore() {
      await page.unroute('**/api/events');
      const caused = problems.splice(before);
      problems.push(...caused.filter((problem) => !refusedLoad.test(problem)));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The desk as staff use it (shared by the e2e files that drive it), and what a page must never show.
// ---------------------------------------------------------------------------------------------

export const chatBoxLabel = 'Nhập yêu cầu (Enter để gửi, Shift+Enter xuống dòng)';

/** Chat items loaded (the list is virtualised, so the DOM holds only those in view). */
export async function chatItemCount(page: Page): Promise<number> {
  const list = page.getByTestId('message-list');
  return (await list.count()) === 0 ? 0 : Number(await list.getAttribute('data-count'));
}

/** Opens a customer from the customer field, as staff type it. */
export async function openCustomer(page: Page, customer: string, shown: string = customer): Promise<void> {
  await page.getByLabel('Khách hàng', { exact: true }).fill(customer);
  await page.getByLabel('Khách hàng', { exact: true }).press('Enter');
  await expect.poll(() => page.getByTestId('current-customer').textContent()).toBe(shown);
}

/** Sends a request in the chat box and waits for the answer to end. */
export async function ask(page: Page, text: string): Promise<void> {
  const before = await chatItemCount(page);
  await page.getByLabel(chatBoxLabel).fill(text);
  await page.getByLabel(chatBoxLabel).press('Enter');
  await expect.poll(() => chatItemCount(page), { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
  await expect.poll(() => page.getByTestId('activity').count(), { timeout: 20_000 }).toBe(0);
}

/** Calls a contract channel from the page, as the renderer's stores do (for setting up data). */
export function invoke(page: Page, channel: string, request: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return page.evaluate(
    ([name, body]) =>
      (
        globalThis as unknown as { api: { invoke(c: string, r: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> } }
      ).api.invoke(name as string, body),
    [channel, request] as const,
  );
}

let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core (WCAG 2.1 A and AA, and best practices) on what the page shows now; the page's CSP
 * does not apply to what the test evaluates. Returns every violation with its impact.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= fs.readFileSync(path.join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            context: unknown,
            options: unknown,
          ): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => node.target.map(String).join(' ')),
    }));
  });
}

/** The levels of the headings a person can see or a screen reader reads, in document order. */
export function headingLevels(page: Page): Promise<number[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
      .filter((heading) => {
        const style = getComputedStyle(heading);
        // Visually hidden headings (clip) are read; headings in hidden panes or closed dialogs are not.
        return heading.getClientRects().length > 0 && style.visibility !== 'hidden';
      })
      .map((heading) => Number(heading.tagName.slice(1))),
  );
}

/** Headings skip no level: each is at most one deeper than the one before, and the first is h1. */
export function headingsInOrder(levels: number[]): boolean {
  return levels.length > 0 && levels[0] === 1 && levels.every((level, index) => index === 0 || level <= levels[index - 1]! + 1);
}

/**
 * English words that never appear in the Vietnamese UI's own text (product names and brands are
 * Vietnamese or names): a raw error from main or zod shows up as these.
 */
const ENGLISH =
  /\b(the|could|must|should|cannot|can't|not|found|failed|error|invalid|unavailable|expected|received|required|is|are|was|with|store endpoint|undefined|null|NaN)\b/i;

/** Lines of the visible text of the page (dialogs included when open) that read as English. */
export async function englishLines(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && ENGLISH.test(line));
}

/** Inputs and text boxes whose placeholder does not fit in them (measured in their own font). */
export function truncatedPlaceholders(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const canvas = document.createElement('canvas').getContext('2d')!;
    const cut: string[] = [];
    for (const field of document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input[placeholder], textarea[placeholder]')) {
      if (field.getClientRects().length === 0 || getComputedStyle(field).visibility === 'hidden') continue;
      const style = getComputedStyle(field);
      canvas.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      // A text box wraps its placeholder: it must fit in its rows.
      const rows =
        field instanceof HTMLTextAreaElement ? Math.max(1, Math.floor((field.clientHeight - 8) / (parseFloat(style.lineHeight) || 20))) : 1;
      if (canvas.measureText(field.placeholder).width > room * rows) cut.push(field.placeholder);
    }
    return cut;
  });
}

/** Elements cut off at the right edge (the page scrolls sideways, or a control sticks out of the window). */
export function cutOff(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    if (document.documentElement.scrollWidth > width) found.push(`the page is ${document.documentElement.scrollWidth}px wide`);
    for (const element of document.querySelectorAll<HTMLElement>(
      'button, input, select, textarea, h1, h2, h3, label, [role="tab"], [role="status"]',
    )) {
      const box = element.getBoundingClientRect();
      if (
        box.width === 0 ||
        getComputedStyle(element).visibility === 'hidden' ||
        element.closest('.visually-hidden, .message-list, .entry-list, dialog:not([open])')
      )
        continue;
      if (box.right > width + 1 || box.left < -1)
        found.push(`${element.tagName.toLowerCase()} "${(element.textContent ?? '').trim().slice(0, 40)}" ends at ${Math.round(box.right)}px`);
    }
    return found;
  });
}

/** The WCAG contrast ratio of an element's text against the first opaque background behind it. */
export function contrastOf(locator: Locator): Promise<number> {
  return locator.evaluate((element) => {
    const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const channel = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r!) + 0.7152 * channel(g!) + 0.0722 * channel(b!);
    };
    let background: number[] = [255, 255, 255];
    for (let node: Element | null = element; node; node = node.parentElement) {
      const color = rgb(getComputedStyle(node).backgroundColor);
      if (color.length === 3 || (color.length === 4 && color[3] === 1)) {
        background = color.slice(0, 3);
        break;
      }
    }
    const [a, b] = [luminance(rgb(getComputedStyle(element).color)), luminance(background)];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}
