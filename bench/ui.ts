/// <reference lib="dom" />
/**
 * The desk with long histories, in Chromium through the web bridge: 10,000 chat messages in one
 * session and 100,000 memory entries. For each pane: time from its data arriving (a performance
 * mark set when the store receives it) to the rows on screen; main-thread work per scroll step
 * (CDP `TaskDuration` delta, p95) while scrolling through the whole history; DOM node counts.
 * Baseline, same run and browser: the same data rendered naively (every row in the DOM).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { createServices } from '../src/main/app/services';
import { ProcessSecretStore } from '../src/main/settings/secretStore';
import { launchChromium, startBridgeProcess } from '../test/e2e/harness';
import { round, percentile } from './_stats';

const MESSAGES = 10_000;
const ENTRIES = 100_000;
const SCROLL_STEPS = 240;
const customer = 'Anh Minh 0912345678';

const products = ['sữa tươi Vinamilk 1L', 'nước mắm Nam Ngư 500ml', 'gạo ST25 5kg', 'dầu ăn Tường An 1L', 'bia Tiger thùng 24 lon', 'mì Hảo Hảo gói'];

function messageText(i: number): string {
  const product = products[i % products.length]!;
  if (i % 2 === 0) return `Khách hỏi giá ${product}, cần ${1 + (i % 5)} cái`;
  const lines = [`Có ${product}, giá ${(20 + (i % 40)) * 1000} ₫.`];
  for (let line = 0; line < i % 4; line++) lines.push(`- Gợi ý ${line + 1}: ${products[(i + line) % products.length]}`);
  return lines.join('\n');
}

async function seed(dir: string): Promise<void> {
  const services = await createServices({
    userDataDir: dir,
    mode: 'bridge',
    version: 'bench',
    createSecretStore: () => new ProcessSecretStore(undefined),
    settingsOverrides: { demoStore: true },
  });
  try {
    const memory = services.memory!;
    const session = memory.sessions.createSession({ userId: customer, title: 'Lịch sử dài' });
    const start = Date.now() - MESSAGES * 1000;
    services.db!.transaction(() => {
      for (let i = 0; i < MESSAGES; i++) {
        memory.sessions.appendEvent({
          userId: customer,
          sessionId: session.sessionId,
          event: { author: i % 2 === 0 ? 'user' : 'root_agent', kind: 'message', content: { text: messageText(i) }, timestamp: start + i * 1000 },
        });
      }
    })();
    for (let i = 0; i < ENTRIES; i++) {
      memory.memory.memorize({ userId: i % 10 === 0 ? customer : `khach-${i % 500}` }, `ghi_chu_${i}`, { note: messageText(i), i });
    }
  } finally {
    await services.close();
  }
}

/** tsx (esbuild keepNames) wraps named inner functions in `__name(...)`, which pages evaluated into lack. */
const keepNamesShim = 'globalThis.__name = (fn) => fn;';

/** Milliseconds from the performance mark to the first frame showing `selector`. */
function renderAfterMark(page: Page, mark: string, selector: string): Promise<number> {
  return page.evaluate(
    ({ mark, selector }) =>
      new Promise<number>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`${selector} never rendered`)), 30_000);
        const check = () => {
          const entry = performance.getEntriesByName(mark).at(-1);
          if (entry && document.querySelector(selector)) {
            requestAnimationFrame(() => {
              clearTimeout(deadline);
              resolve(performance.now() - entry.startTime);
            });
          } else requestAnimationFrame(check);
        };
        check();
      }),
    { mark, selector },
  );
}

/** Main-thread work per scroll step: CDP TaskDuration delta across one step and two frames. */
async function scrollWork(page: Page, cdp: CDPSession, selector: string, delta: number, steps: number, done?: () => Promise<boolean>) {
  const work: number[] = [];
  let maxRows = 0;
  const taskSeconds = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((metric) => metric.name === 'TaskDuration')!.value;
  };
  for (let step = 0; step < steps; step++) {
    const before = await taskSeconds();
    const rows = await page.evaluate(
      ({ selector, delta }) =>
        new Promise<number>((resolve) => {
          const element = document.querySelector(selector)!;
          // As a wheel turn does: the chat tells staff's scrolling from its own by the input before it.
          element.dispatchEvent(new WheelEvent('wheel', { deltaY: delta, bubbles: true }));
          element.scrollTop += delta;
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(element.querySelectorAll('[data-index], .entry-row, .naive-row').length)));
        }),
      { selector, delta },
    );
    work.push((await taskSeconds()) - before);
    maxRows = Math.max(maxRows, rows);
    if (done && (await done())) break;
  }
  return {
    steps: work.length,
    p95_ms: round(percentile(work, 95) * 1000, 2),
    median_ms: round(percentile(work, 50) * 1000, 2),
    max_rows_in_dom: maxRows,
  };
}

const nodesUnder = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s)?.querySelectorAll('*').length ?? 0, selector);

async function naiveBaseline(page: Page, cdp: CDPSession) {
  const texts = Array.from({ length: MESSAGES }, (_, i) => messageText(i));
  await page.setContent(
    '<style>#list{height:600px;overflow-y:auto}.naive-row{padding:8px;border-bottom:1px solid #ccc;white-space:pre-wrap}</style><div id="list"></div>',
  );
  const renderMs = await page.evaluate(
    (texts) =>
      new Promise<number>((resolve) => {
        const start = performance.now();
        const list = document.getElementById('list')!;
        for (const text of texts) {
          const row = document.createElement('div');
          row.className = 'naive-row';
          row.textContent = text;
          list.appendChild(row);
        }
        requestAnimationFrame(() => resolve(performance.now() - start));
      }),
    texts,
  );
  const scroll = await scrollWork(page, cdp, '#list', 600, SCROLL_STEPS);
  return { chat_first_render_ms: round(renderMs, 2), chat_scroll: scroll, chat_dom_nodes: await nodesUnder(page, '#list') };
}

export default async function ui(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-ui-'));
  const browser = await launchChromium();
  let bridge: Awaited<ReturnType<typeof startBridgeProcess>> | null = null;
  try {
    const seedStarted = Date.now();
    await seed(dir);
    const seedMs = Date.now() - seedStarted;
    bridge = await startBridgeProcess(dir, ['--demo']);
    const page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    await page.addInitScript(keepNamesShim);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(bridge.url);

    // Chat: open the customer; the newest page arrives and renders; then scroll back through all 10,000.
    await page.getByLabel('Khách hàng').fill(customer);
    await page.getByRole('button', { name: 'Mở' }).click();
    const chatRender = await renderAfterMark(page, 'mm:chat-data', '.message-row');
    const loaded = async () => Number(await page.getByTestId('message-list').getAttribute('data-count')) >= MESSAGES;
    const chatScroll = await scrollWork(page, cdp, '[data-testid="message-list"]', -900, 2000, loaded);
    const chatLoaded = Number(await page.getByTestId('message-list').getAttribute('data-count'));
    const chatNodes = await nodesUnder(page, '[data-testid="message-list"]');

    for (let i = 0; i < 20; i++) {
      const search = await page.evaluate(
        async ({ i }) => {
          const { api } = globalThis as unknown as {
            api: { invoke: (c: string, r: unknown) => Promise<{ ok: boolean; value?: { items: { sku: string }[] } }> };
          };
          const found = await api.invoke('catalog.search', { query: ['sữa tươi', 'nước mắm', 'gạo thơm', 'bia lon', 'dầu ăn'][i % 5], pageSize: 20 });
          return found.value?.items[i]?.sku;
        },
        { i },
      );
      if (search) {
        await page.evaluate(
          async ({ sku, customer }) => {
            const { api } = globalThis as unknown as { api: { invoke: (c: string, r: unknown) => Promise<unknown> } };
            await api.invoke('cart.add', { customerId: customer, sku, quantity: 1 });
          },
          { sku: search, customer },
        );
      }
    }
    // Cart: 20 lines; the time from the store's answer to a quantity change until the pane shows it.
    await page.getByRole('button', { name: 'Mở' }).click(); // reopen the customer: the cart is fetched with all lines
    await page.getByRole('tab', { name: 'Giỏ hàng' }).click();
    await page.locator('li.cart-line').first().waitFor();
    await page.evaluate(() => performance.clearMarks('mm:cart-data'));
    await page
      .locator('li.cart-line')
      .first()
      .getByRole('button', { name: /^Tăng số lượng/ })
      .click();
    const cartRender = await renderAfterMark(page, 'mm:cart-data', 'li.cart-line');
    const cartLines = await page.locator('li.cart-line').count();

    // Memory: the customer's profile first (its first page of memories, read in plain words); then
    // Storage with all 100,000 entries: the first page renders, then scroll down through pages.
    await page.getByRole('tab', { name: 'Bộ nhớ' }).click();
    const profileRender = await renderAfterMark(page, 'mm:profile-data', '.profile-item');
    await page.getByRole('button', { name: 'Lưu trữ (IT)' }).click();
    await page.getByLabel('Khách', { exact: true }).selectOption('');
    const memoryRender = await renderAfterMark(page, 'mm:memory-data', '.entry-row');
    const memoryScroll = await scrollWork(page, cdp, '[data-testid="entry-list"]', 900, SCROLL_STEPS);
    const memoryNodes = await nodesUnder(page, '[data-testid="entry-list"]');

    const baselinePage = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    await baselinePage.addInitScript(keepNamesShim);
    const baselineCdp = await baselinePage.context().newCDPSession(baselinePage);
    await baselineCdp.send('Performance.enable');
    const baseline = await naiveBaseline(baselinePage, baselineCdp);

    return {
      messages: MESSAGES,
      memory_entries: ENTRIES,
      seed_ms: seedMs,
      chat: { first_render_ms: round(chatRender, 2), scroll: chatScroll, messages_loaded_by_scrolling: chatLoaded, dom_nodes: chatNodes },
      cart: { lines: cartLines, render_after_update_ms: round(cartRender, 2) },
      memory: {
        profile_first_render_ms: round(profileRender, 2),
        first_render_ms: round(memoryRender, 2),
        scroll: memoryScroll,
        dom_nodes: memoryNodes,
      },
      baseline_naive_dom: baseline,
      ratios: {
        chat_scroll_p95_vs_naive: round(chatScroll.p95_ms / Math.max(0.01, baseline.chat_scroll.p95_ms), 2),
        chat_dom_nodes_vs_naive: round(chatNodes / baseline.chat_dom_nodes, 2),
      },
      goals: {
        first_render_le_300ms: [chatRender, cartRender, profileRender, memoryRender].every((ms) => ms <= 300),
        scroll_p95_le_16ms: chatScroll.p95_ms <= 16 && memoryScroll.p95_ms <= 16,
        message_rows_le_300: chatScroll.max_rows_in_dom <= 300,
        memory_rows_le_300: memoryScroll.max_rows_in_dom <= 300,
      },
    };
  } finally {
    await browser.close();
    await bridge?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
