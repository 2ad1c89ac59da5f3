import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin } from '../commerce/helpers';
import type { WindowApi } from '@shared/contract';
import { tempDir } from '../helpers/tempDir';
import { launchChromium, screenshot, startBridgeProcess, watchConsole, type BridgeProcess } from './harness';

// The staff's day in one run: the app through the web bridge with the demo store and the offline planner.
let browser: Browser;
let bridge: BridgeProcess;
let page: Page;
let problems: string[];
const customer = 'Chị Lan 0901234567';

beforeAll(async () => {
  browser = await launchChromium();
  bridge = await startBridgeProcess(tempDir('mm-desk-'), ['--demo']);
  page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
  problems = watchConsole(page);
  await page.goto(bridge.url);
});
afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
});

const chatInput = () => page.getByLabel('Nhập yêu cầu (Enter để gửi, Shift+Enter xuống dòng)');

/** Chat items loaded (the list is virtualised, so the DOM holds only those in view). */
async function itemCount(): Promise<number> {
  const list = page.getByTestId('message-list');
  return (await list.count()) === 0 ? 0 : Number(await list.getAttribute('data-count'));
}

async function ask(text: string): Promise<void> {
  const before = await itemCount();
  await chatInput().fill(text);
  await chatInput().press('Enter');
  // The question and at least one answer, and no run still going.
  await expect.poll(itemCount, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
  await expect.poll(() => page.getByTestId('activity').count(), { timeout: 20_000 }).toBe(0);
}

const lastAnswer = () => page.getByTestId('message-assistant').last().textContent();

describe('the staff desk in Chromium', () => {
  it('shows the offline and demo-store banners', async () => {
    await expect.poll(() => page.getByTestId('offline-banner').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('demo-banner').isVisible()).toBe(true);
  });

  it('searches "sua tuoi" without accents and shows product cards with VND prices', async () => {
    await page.getByLabel('Khách hàng').fill(customer);
    await page.getByRole('button', { name: 'Mở' }).click();
    await expect.poll(() => page.getByTestId('current-customer').textContent()).toBe(customer);
    await ask('tìm sua tuoi');
    const cards = page.getByTestId('product-results').last().locator('article.product-card');
    await expect.poll(() => cards.count()).toBeGreaterThan(0);
    const firstName = (await cards.first().locator('.product-name').textContent()) ?? '';
    expect(firstName.toLowerCase()).toContain('sữa tươi');
    expect(await cards.first().locator('.product-price strong').textContent()).toMatch(/^[\d.]+\s₫$/);
    await screenshot(page, 'desk-1-search-sua-tuoi');
  });

  it('adds 2 of a product from its card and changes the quantity in the cart pane', async () => {
    const card = page.getByTestId('product-results').last().locator('article.product-card').first();
    const sku = await card.getAttribute('data-sku');
    await card.getByLabel('Số lượng').fill('2');
    await card.getByRole('button', { name: 'Thêm vào giỏ' }).click();
    await expect.poll(() => card.getByRole('status').textContent()).toBe('Đã thêm 2');

    await page.getByRole('tab', { name: 'Giỏ hàng' }).click();
    const line = page.locator(`li.cart-line[data-sku="${sku}"]`);
    await expect.poll(() => line.getByTestId('line-quantity').textContent()).toBe('2');
    await screenshot(page, 'desk-2-cart-two');
    await line.getByRole('button', { name: /^Tăng số lượng/ }).click();
    await expect.poll(() => line.getByTestId('line-quantity').textContent()).toBe('3');
    await expect.poll(() => page.getByTestId('cart-sync').textContent()).toMatch(/^Đã đồng bộ với cửa hàng lúc \d{1,2}:\d{2}$/);
    expect(await page.getByTestId('grand-total').textContent()).toMatch(/₫$/);
    await screenshot(page, 'desk-3-cart-three');

    // The agent sees the change made in the cart pane.
    await page.getByRole('tab', { name: 'Trò chuyện' }).click();
    await ask('xem giỏ hàng');
    await expect.poll(lastAnswer).toMatch(/giỏ|Giỏ/);
    expect(await lastAnswer()).toContain('3');
  });

  it('remembers a preference, shows it in the inspector with tier and provenance, forgets it everywhere', async () => {
    await ask('nhớ rằng khách thích sữa tươi không đường');
    await expect.poll(lastAnswer).toContain('Đã ghi nhớ cho khách này: khách thích sữa tươi không đường');

    // The inspector is Memory › Storage (the customer profile is the pane's main view).
    await page.getByRole('tab', { name: 'Bộ nhớ' }).click();
    await page.getByRole('button', { name: 'Lưu trữ (IT)' }).click();
    await page.getByLabel('Tìm (không cần dấu)').fill('khong duong');
    const rows = page.getByTestId('entry-list').getByRole('listitem');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().getByRole('button').click();
    await expect.poll(() => page.getByTestId('entry-detail').isVisible()).toBe(true);
    // Where it is kept (warm), whether it is in the fast cache or not; learned in a conversation named by its title, not its id.
    expect(await page.getByTestId('entry-tier').textContent()).toMatch(/^ấm( · đang trong bộ đệm nhanh)?$/);
    expect(await page.getByTestId('entry-provenance').textContent()).toMatch(/^Học được trong Phiên .+/);
    expect(await page.getByLabel('Giá trị', { exact: true }).inputValue()).toContain('không đường');
    await screenshot(page, 'desk-4-memory-entry');

    // The preference is the customer's, not one conversation's: a session filter hides it.
    const sessionFilter = page.getByLabel('Phiên', { exact: true });
    await sessionFilter.selectOption({ index: 1 });
    await expect.poll(() => rows.count()).toBe(0);
    await sessionFilter.selectOption({ label: 'Mọi phiên' });
    await expect.poll(() => rows.count()).toBe(1);

    // The key and size filters narrow the same list.
    await page.getByLabel('Khoá chứa…').fill('khach-thich-sua');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Kích thước', { exact: true }).selectOption({ label: '≥ 1 KB' });
    await expect.poll(() => rows.count()).toBe(0);
    await page.getByLabel('Kích thước', { exact: true }).selectOption({ label: 'Mọi kích thước' });
    await page.getByLabel('Khoá chứa…').fill('');
    await expect.poll(() => rows.count()).toBe(1);

    await page.getByRole('button', { name: 'Quên mục này' }).click();
    await page.getByRole('button', { name: 'Quên hẳn' }).click();
    await expect.poll(() => rows.count()).toBe(0);
    await screenshot(page, 'desk-5-memory-forgotten');

    await page.getByRole('tab', { name: 'Trò chuyện' }).click();
    await ask('khách thích gì?');
    // Wait for the recall answer itself (the previous answer mentions the fact too).
    await expect.poll(lastAnswer).toMatch(/^Trợ lý(Chưa ghi nhớ|Những điều đã ghi nhớ)/);
    expect(await lastAnswer()).not.toContain('không đường');
  });

  it('reflects a large write in the quota bar', async () => {
    await page.getByRole('tab', { name: 'Bộ nhớ' }).click();
    await page.getByLabel('Tìm (không cần dấu)').fill('');
    const coldBar = page.getByTestId('quota-cold-figures');
    const before = await coldBar.textContent();
    // 3 MB of varied text, as a long pasted order history would be; it lands in the cold tier.
    const written = await page.evaluate(async (userId) => {
      const lines = Array.from({ length: 30_000 }, (_, i) => `Đơn ${i}: ${(i * 7919) % 100_003} x sữa tươi ${(i * 31) % 997} hộp`);
      const { api } = globalThis as unknown as { api: WindowApi };
      const result = await api.invoke('memory.put', { userId, key: 'lich_su_don_hang', value: lines });
      return result.ok;
    }, customer);
    expect(written).toBe(true);
    await page.getByRole('button', { name: 'Dọn dẹp ngay' }).click();
    await expect.poll(() => page.getByTestId('maintenance-report').isVisible()).toBe(true);
    await expect.poll(() => coldBar.textContent()).not.toBe(before);
    expect(await coldBar.textContent()).toMatch(/\d+(,\d)? (KB|MB) \/ 500 MB/);
    await screenshot(page, 'desk-6-quota-after-large-write');
  });

  it('shows token use per answer, per conversation and for today, and the Gemini settings', async () => {
    await page.getByRole('tab', { name: 'Trò chuyện' }).click();
    // The offline planner's counts are estimates, marked ≈; vi-VN groups thousands with dots.
    await expect.poll(() => page.getByTestId('message-assistant').last().getAttribute('title')).toMatch(/^Lượt này: ≈ [\d.]+ token — gửi đi [\d.]+/);
    await expect.poll(() => page.getByTestId('conversation-usage').textContent()).toMatch(/^Phiên này: ≈ [\d.]+ token trong [2-9] lượt$/);

    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await expect.poll(() => page.getByTestId('usage-today').textContent()).toMatch(/^Hôm nay \(mọi khách\): ≈ [\d.]+ token trong [2-9] lượt/);
    const model = page.getByLabel('Mô hình Gemini', { exact: true });
    expect(await model.inputValue()).toBe('gemini-3.6-flash');
    await model.selectOption({ label: 'Khác…' });
    await page.getByLabel('Mã mô hình khác').fill('gpt-4o');
    const endpoint = page.getByLabel('Cổng Gemini của công ty (để trống: máy chủ của Google)');
    expect(await endpoint.inputValue()).toBe('');
    await endpoint.fill('http://gemini-gw.example.com');
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.locator('#setting-modelOther-error').textContent()).toContain('bắt đầu bằng “gemini-”');
    expect(await page.locator('#setting-modelEndpoint-error').textContent()).toContain('chỉ dùng http trên chính máy này');
    await screenshot(page, 'desk-6b-gemini-settings-refused');

    await page.getByLabel('Mã mô hình khác').fill('gemini-4.0-flash');
    await endpoint.fill('');
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    expect(await model.inputValue()).toBe('other');
    expect(await page.getByLabel('Mã mô hình khác').inputValue()).toBe('gemini-4.0-flash');
    await model.selectOption('gemini-3.6-flash');
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByLabel('Mã mô hình khác').count()).toBe(0);
    await page.getByRole('button', { name: 'Đóng' }).click();
  });

  it('stops a running answer when the staff presses stop', async () => {
    // A real stand-in store that never answers, as a store stuck behind a bad network would;
    // the helper closes it after the test.
    const stuckStore = await startStandin({ faults: { hang: true } });
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Dùng cửa hàng demo (không cần mạng)').uncheck();
    await page.getByLabel('Địa chỉ GraphQL của cửa hàng').fill(stuckStore.endpoint);
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    await page.getByRole('button', { name: 'Đóng' }).click();
    await page.getByRole('tab', { name: 'Trò chuyện' }).click();

    await chatInput().fill('tìm nước mắm');
    await chatInput().press('Enter');
    await expect.poll(() => page.getByTestId('activity').textContent()).toContain('Đang tìm sản phẩm');
    await screenshot(page, 'desk-7-running');
    await page.getByRole('button', { name: 'Dừng' }).click();
    await expect.poll(() => page.getByText('Đã dừng.').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('activity').count()).toBe(0);
    // A stop the staff asked for is a note, not an error.
    expect(await page.locator('.message-error').count()).toBe(0);
    await screenshot(page, 'desk-8-stopped');
  });

  it('had no console errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});
