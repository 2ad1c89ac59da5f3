import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGeminiStandin, type GeminiStandin } from '../helpers/geminiStandin';
import { tempDir } from '../helpers/tempDir';
import { launchChromium, rememberSecret, screenshot, startBridgeProcess, watchConsole, type BridgeProcess } from './harness';

let browser: Browser;
const running: BridgeProcess[] = [];
const standins: GeminiStandin[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  for (const bridge of running) await bridge.stop();
  for (const standin of standins) await standin.close();
});

async function bridgeOn(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<BridgeProcess> {
  const bridge = await startBridgeProcess(dir, args, env);
  running.push(bridge);
  return bridge;
}

describe('the app in Chromium through the web bridge', () => {
  it('loads, switches panes and language, keeps a saved setting across reload and bridge restart', async () => {
    const dir = tempDir('mm-e2e-');
    const first = await bridgeOn(dir);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = watchConsole(page);

    await page.goto(first.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Trợ lý MM' }).isVisible()).toBe(true);
    expect(page.url()).not.toContain('token='); // the token leaves the address bar
    await expect.poll(() => page.getByTestId('offline-banner').isVisible()).toBe(true);
    await page.getByRole('tab', { name: 'Trò chuyện' }).click();
    await screenshot(page, 'foundation-chat-pane');
    await page.getByRole('tab', { name: 'Giỏ hàng' }).click();
    expect(await page.locator('#pane-cart').isVisible()).toBe(true);
    // From 1280 px wide, chat and cart are side by side.
    expect(await page.locator('#pane-chat').isVisible()).toBe(true);
    await screenshot(page, 'foundation-cart-pane');
    await page.getByRole('tab', { name: 'Bộ nhớ' }).click();
    expect(await page.locator('#pane-memory').isVisible()).toBe(true);
    expect(await page.locator('#pane-chat').isVisible()).toBe(false);
    await screenshot(page, 'foundation-memory-pane');

    // An invalid value is refused next to its field and nothing is saved.
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Địa chỉ GraphQL của cửa hàng').fill('not a url');
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.locator('#setting-storeEndpoint-error').isVisible()).toBe(true);
    await screenshot(page, 'foundation-settings-invalid');

    await page.getByLabel('Địa chỉ GraphQL của cửa hàng').fill('https://online.mmvietnam.com/graphql');
    await page.getByLabel('Mã cửa hàng (store view)').fill('b2c_10011_vi');
    await page.getByLabel('Ngôn ngữ').selectOption('en');
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByRole('tab', { name: 'Chat' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Saved');
    await screenshot(page, 'foundation-settings-saved');
    await page.getByRole('button', { name: 'Close' }).click();

    await page.reload();
    await expect.poll(() => page.getByRole('tab', { name: 'Memory' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('app-mode').textContent()).toContain('b2c_10011_vi');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');

    // The tab leaves the app before its bridge stops, so the event stream does not log refused reconnects.
    expect(problems).toEqual([]);
    await page.goto('about:blank');
    expect(await first.stop()).toBe(0);
    const second = await bridgeOn(dir);
    await page.goto(second.url);
    await expect.poll(() => page.getByRole('tab', { name: 'Cart' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('app-mode').textContent()).toContain('b2c_10011_vi');
    await screenshot(page, 'foundation-after-restart');

    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses API calls from a page of another origin', async () => {
    const bridge = await bridgeOn(tempDir('mm-e2e-'));
    const page = await browser.newPage();
    const problems = watchConsole(page);
    await page.goto('about:blank');
    const token = new URL(bridge.url).hash.slice('#token='.length);
    const origin = new URL(bridge.url).origin;
    const outcome = await page.evaluate(
      async ({ origin, token }) => {
        try {
          const response = await fetch(`${origin}/api/invoke/settings.set`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: JSON.stringify({ language: 'en' }),
          });
          return `status ${response.status}`;
        } catch {
          return 'blocked';
        }
      },
      { origin, token },
    );
    // The preflight gets no CORS headers, so the browser never sends the request.
    expect(outcome).toBe('blocked');
    expect(problems.every((problem) => problem.includes('CORS') || problem.includes('Failed to load'))).toBe(true);
    await page.close();
  });

  it('sets and clears the API key without ever showing it back', async () => {
    const bridge = await bridgeOn(tempDir('mm-e2e-'));
    const page = await browser.newPage();
    const problems = watchConsole(page);
    await page.goto(bridge.url);
    await expect.poll(() => page.getByTestId('offline-banner').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    const key = 'AIzaSyE2E_TEST_KEY_0123456789abcdef';
    rememberSecret(key);
    await page.getByLabel('Khoá API Gemini', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Lưu khoá' }).click();
    await expect.poll(() => page.getByTestId('api-key-state').textContent()).toContain('Đã lưu khoá');
    expect(await page.getByLabel('Khoá API Gemini', { exact: true }).inputValue()).toBe('');
    expect(await page.content()).not.toContain(key);
    await page.getByRole('button', { name: 'Đóng' }).click();
    await expect.poll(() => page.getByTestId('offline-banner').count()).toBe(0);

    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByRole('button', { name: 'Xoá khoá' }).click();
    await expect.poll(() => page.getByTestId('api-key-state').textContent()).toContain('Chưa có khoá');
    await page.getByRole('button', { name: 'Đóng' }).click();
    await expect.poll(() => page.getByTestId('offline-banner').isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('reaches Gemini through the gateway set in Settings, shows its wait, then the answer and its tokens', async () => {
    const apiKey = 'AIzaSyE2E_GATEWAY_KEY_0123456789abcd';
    const gateway = await startGeminiStandin({ apiKey });
    standins.push(gateway);
    gateway.enqueue(
      { reply: { error: { status: 429, message: 'slow down', headers: { 'Retry-After': '2' } } } },
      { reply: { text: 'Dạ, em chào chị.' } },
    );
    const bridge = await bridgeOn(tempDir('mm-e2e-'), ['--demo'], { GEMINI_API_KEY: apiKey });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = watchConsole(page);
    await page.goto(bridge.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Trợ lý MM' }).isVisible()).toBe(true);

    // The gateway applies to the next message, without a restart.
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Cổng Gemini của công ty (để trống: máy chủ của Google)').fill(gateway.baseUrl);
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    await page.getByRole('button', { name: 'Đóng' }).click();

    await page.getByLabel('Khách hàng').fill('kh-gateway');
    await page.getByRole('button', { name: 'Mở' }).click();
    const input = page.getByLabel('Nhập yêu cầu (Enter để gửi, Shift+Enter xuống dòng)');
    await input.fill('xin chào');
    await input.press('Enter');
    await expect.poll(() => page.getByTestId('activity').textContent(), { timeout: 10_000 }).toContain('Gemini yêu cầu chờ 2 giây…');
    await screenshot(page, 'foundation-gemini-wait');
    await expect.poll(() => page.getByTestId('message-assistant').last().textContent(), { timeout: 20_000 }).toContain('Dạ, em chào chị.');
    await expect.poll(() => page.getByTestId('activity').count(), { timeout: 20_000 }).toBe(0);
    expect(gateway.requests.map((request) => request.model)).toEqual(['gemini-3.6-flash', 'gemini-3.6-flash']);
    // Gemini's own counts: no ≈.
    await expect.poll(() => page.getByTestId('message-assistant').last().getAttribute('title')).toMatch(/^Lượt này: [\d.]+ token/);
    await expect.poll(() => page.getByTestId('conversation-usage').textContent()).toMatch(/^Phiên này: [\d.]+ token trong 1 lượt$/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('tells the staff when the app behind the page goes away', async () => {
    const bridge = await startBridgeProcess(tempDir('mm-e2e-'));
    const page = await browser.newPage();
    await page.goto(bridge.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Trợ lý MM' }).isVisible()).toBe(true);
    expect(await bridge.stop()).toBe(0);
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 15_000 }).toContain('Mất kết nối tới MM Assistant');
    await screenshot(page, 'foundation-disconnected');
    await page.close();
  });

  it('shows a damaged data file as a clear error and leaves the file alone', async () => {
    const dir = tempDir('mm-e2e-');
    const file = `${dir}/mm-assistant.sqlite`;
    fs.writeFileSync(file, 'not a database at all '.repeat(100));
    const bridge = await bridgeOn(dir);
    const page = await browser.newPage();
    await page.goto(bridge.url);
    await expect.poll(() => page.getByTestId('storage-banner').isVisible()).toBe(true);
    expect(await page.getByTestId('storage-banner').textContent()).toContain('Tệp dữ liệu bị hỏng nên chưa mở được');
    await screenshot(page, 'foundation-damaged-file');
    expect(fs.readFileSync(file, 'utf8')).toBe('not a database at all '.repeat(100));
    await page.close();
  });
});
