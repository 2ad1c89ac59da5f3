import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CartResult, ProductSearchResult } from '@shared/commerce';
import type { MemoryValueView } from '@shared/contract/memory';
import { startStandin } from '../commerce/helpers';
import { tempDir } from '../helpers/tempDir';
import { ask, chatBoxLabel, englishLines, invoke, openAppInChromium, openCustomer, screenshot, type AppInChromium } from './harness';

// A busy shift at one desk, in Chromium through the web bridge (demo store, offline planner):
// the chat keeps its place, the cart shows the store's truth, the profile reads as plain words,
// and everything works from the keyboard, in Vietnamese.
let app: AppInChromium;
let page: Page;
const customer = 'Chị Mai 0912345678';
/** How the desk names the customer once their record has a name and a phone. */
const customerShown = 'Chị Mai · 0912 345 678';

beforeAll(async () => {
  app = await openAppInChromium(tempDir('mm-shift-'), ['--demo']);
  page = app.page;
});
afterAll(async () => {
  await app?.close();
});

const chatBox = () => page.getByLabel(chatBoxLabel);
const list = () => page.getByTestId('message-list');
const tab = (name: string) => page.getByRole('tab', { name });
const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent?.trim() ?? '');
const scrollTop = () => list().evaluate((element) => element.scrollTop);
/** The conversation item at the top of the chat's view, and where its top is (px from the list's top; negative when scrolled past). */
const firstInView = () =>
  list().evaluate((element) => {
    const top = element.getBoundingClientRect().top;
    const rows = [...element.querySelectorAll<HTMLElement>('.message-row')]
      .map((row) => ({ id: row.dataset.id ?? '', top: row.getBoundingClientRect().top - top, bottom: row.getBoundingClientRect().bottom - top }))
      .filter((row) => row.bottom > 1)
      .sort((a, b) => a.top - b.top);
    return rows[0] ? { id: rows[0].id, top: Math.round(rows[0].top) } : null;
  });
const atEnd = () => list().evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight < 48);
const cartLine = (sku: string) => page.locator(`#pane-cart li.cart-line[data-sku="${sku}"]`);
const quantityOf = (sku: string) => cartLine(sku).getByTestId('line-quantity').textContent();
const syncBadge = () => page.getByTestId('cart-sync');

async function firstSkus(query: string, count: number): Promise<string[]> {
  const found = await invoke(page, 'catalog.search', { query, pageSize: 10 });
  return (found.value as ProductSearchResult).items
    .filter((item) => item.stockStatus === 'in_stock')
    .slice(0, count)
    .map((item) => item.sku);
}

/** No line of the Vietnamese UI reads as English (a raw error from main or zod would). */
async function expectNoEnglish(): Promise<void> {
  expect(await englishLines(page)).toEqual([]);
}

describe('the desk through a busy shift', () => {
  it('keeps the chat where staff left it across pane switches: scroll, follow, draft and product cards', async () => {
    await openCustomer(page, customer);
    await ask(page, 'tìm sữa tươi');
    const firstResults = page.getByTestId('product-results').first();
    const card = firstResults.locator('article.product-card').first();
    const sku = (await card.getAttribute('data-sku'))!;
    await card.getByLabel('Số lượng').fill('2');
    await card.getByRole('button', { name: 'Thêm vào giỏ' }).click();
    await expect.poll(() => card.getByRole('status').textContent()).toBe('Đã thêm 2');

    // More answers: while staff are at the end, the list follows them.
    for (const request of ['tìm nước mắm', 'tìm gạo thơm']) await ask(page, request);
    await expect.poll(atEnd).toBe(true);
    // A narrower window, then a wider one, lays the rows out anew: the list still follows, and the next answers show.
    for (const viewport of [
      { width: 1024, height: 700 },
      { width: 1366, height: 860 },
    ]) {
      await page.setViewportSize(viewport);
      await expect.poll(atEnd).toBe(true);
      expect(await list().getAttribute('data-follow')).toBe('true');
    }
    for (const request of ['tìm dầu ăn', 'tìm mì gói']) await ask(page, request);
    await expect.poll(atEnd).toBe(true);
    expect(await list().getAttribute('data-follow')).toBe('true');
    expect(await page.getByTestId('to-newest').count()).toBe(0);

    // Staff scroll back up to the first card, a little into the conversation, and start typing the next request.
    await list().hover();
    for (let i = 0; i < 40 && (await scrollTop()) > 0; i++) await page.mouse.wheel(0, -600);
    await page.mouse.wheel(0, 150);
    await expect.poll(scrollTop).toBeGreaterThan(100);
    await expect.poll(() => list().getAttribute('data-follow')).toBe('false');
    await expect.poll(() => page.getByTestId('to-newest').textContent()).toBe('Về tin mới nhất ↓');
    await expect.poll(() => card.getByRole('status').textContent()).toBe('Đã thêm 2');
    const reading = (await firstInView())!;
    expect(reading.top).toBeLessThan(0);
    await chatBox().fill('khách hỏi thêm về');

    // The same item at the same place, still not following, the card and the draft as they were.
    const unchanged = async () => {
      await expect.poll(() => page.locator('#pane-chat').isVisible()).toBe(true);
      await expect.poll(firstInView).toEqual({ id: reading.id, top: expect.closeTo(reading.top, -0.7) as number });
      expect(await list().getAttribute('data-follow')).toBe('false');
      expect(await page.getByTestId('to-newest').isVisible()).toBe(true);
      expect(await card.getByRole('status').textContent()).toBe('Đã thêm 2');
      expect(await card.getByLabel('Số lượng').inputValue()).toBe('2');
      expect(await chatBox().inputValue()).toBe('khách hỏi thêm về');
    };
    // Memory (which takes the whole width, where the chat shared it with the cart), then back.
    await tab('Bộ nhớ').click();
    await expect.poll(() => page.locator('#pane-chat').isVisible()).toBe(false);
    await expect.poll(() => page.getByTestId('profile').isVisible()).toBe(true);
    await tab('Trò chuyện').click();
    await unchanged();
    // Settings, then back.
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByTestId('settings-close').click();
    await unchanged();
    // Another customer, then this one again: the conversation is read again and the place comes back.
    await openCustomer(page, 'KH-0099', 'kh-0099');
    expect(await chatBox().inputValue()).toBe('');
    await openCustomer(page, customer);
    await unchanged();
    // In a narrow window chat and cart share the space: Cart, then back.
    await page.setViewportSize({ width: 1024, height: 700 });
    await expect.poll(() => page.locator('#pane-cart').isVisible()).toBe(false);
    const narrow = (await firstInView())!;
    await tab('Giỏ hàng').click();
    await expect.poll(() => quantityOf(sku)).toBe('2');
    expect(await page.locator('#pane-chat').isVisible()).toBe(false);
    await tab('Trò chuyện').click();
    await expect.poll(() => page.locator('#pane-chat').isVisible()).toBe(true);
    expect(await firstInView()).toEqual(narrow);
    expect(await card.getByRole('status').textContent()).toBe('Đã thêm 2');
    expect(await chatBox().inputValue()).toBe('khách hỏi thêm về');
    expect(await list().getAttribute('data-follow')).toBe('false');
    await screenshot(page, 'shift-1-chat-kept-after-round-trip');
    await page.setViewportSize({ width: 1366, height: 860 });

    // Wide enough, chat and cart are side by side.
    await expect.poll(() => page.locator('#pane-cart').isVisible()).toBe(true);
    expect(await page.locator('#pane-chat').isVisible()).toBe(true);

    // "Về tin mới nhất" goes back to the end, follows again and puts the focus in the chat box.
    await page.getByTestId('to-newest').click();
    await expect.poll(atEnd).toBe(true);
    expect(await list().getAttribute('data-follow')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('chat-input');
    await chatBox().fill('');
    await expectNoEnglish();
  });

  it('works from the keyboard: customer, request, cart changes, tabs and help, focus kept on the controls', async () => {
    await page.keyboard.press('Alt+KeyK');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('customer-input');
    await page.keyboard.type('KH-0042');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('current-customer').textContent()).toBe('kh-0042');
    await page.keyboard.press('Alt+KeyC');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('chat-input');
    await page.keyboard.type('thêm 2 hộp sữa tươi');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#pane-cart li.cart-line').count(), { timeout: 20_000 }).toBe(1);
    const [second] = await firstSkus('nước mắm', 1);
    expect((await invoke(page, 'cart.add', { customerId: 'kh-0042', sku: second, quantity: 1 })).ok).toBe(true);
    await expect.poll(() => page.locator('#pane-cart li.cart-line').count()).toBe(2);
    const firstSku = (await page.locator('#pane-cart li.cart-line').first().getAttribute('data-sku'))!;

    // Alt+2: the cart, focus on its heading; Tab reaches the first line's buttons.
    await page.keyboard.press('Alt+Digit2');
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H2');
    await page.keyboard.press('Tab');
    expect(await focused()).toMatch(/^Giảm số lượng/);
    await page.keyboard.press('Tab');
    expect(await focused()).toMatch(/^Tăng số lượng/);
    const before = Number(await quantityOf(firstSku));
    await page.keyboard.press('Enter');
    await expect.poll(() => quantityOf(firstSku)).toBe(String(before + 1));
    await expect.poll(() => syncBadge().getAttribute('data-state')).toBe('synced');
    // The focus stayed on "+": pressing again adds one more.
    expect(await focused()).toMatch(/^Tăng số lượng/);
    await page.keyboard.press('Enter');
    await expect.poll(() => quantityOf(firstSku)).toBe(String(before + 2));
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => quantityOf(firstSku)).toBe(String(before + 1));
    expect(await focused()).toMatch(/^Giảm số lượng/);

    // "Xoá" on the first line: the line goes, "Hoàn tác" appears, the focus moves to the next line's "Xoá".
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused()).toMatch(/^Xoá .+ khỏi giỏ$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#pane-cart li.cart-line').count()).toBe(1);
    await expect.poll(focused).toMatch(/^Xoá .+ khỏi giỏ$/);
    expect(await page.evaluate(() => document.activeElement?.closest('li')?.dataset.sku)).toBe(second);
    await expect.poll(() => page.getByTestId('cart-removed').textContent()).toMatch(/^Đã xoá .+ \(×\d+\) khỏi giỏ\.Hoàn tác$/);
    await screenshot(page, 'shift-2-cart-removed-undo');
    // Removing the last line leaves the focus on "Hoàn tác"; it brings the line back and focuses it.
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#pane-cart li.cart-line').count()).toBe(0);
    await expect.poll(focused).toBe('Hoàn tác');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#pane-cart li.cart-line').count()).toBe(1);
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest('li')?.dataset.sku)).toBe(second);

    // The pane tabs: one tab stop, arrows move and show the pane, Home and End jump.
    const selectedTab = page.getByRole('tab', { selected: true });
    await selectedTab.focus();
    expect(await page.getByRole('tab').evaluateAll((tabs) => tabs.map((element) => element.getAttribute('tabindex')))).toEqual(['-1', '0', '-1']);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => tab('Bộ nhớ').getAttribute('aria-selected')).toBe('true');
    expect(await focused()).toBe('Bộ nhớ');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => tab('Trò chuyện').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('End');
    await expect.poll(() => tab('Bộ nhớ').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    await expect.poll(() => tab('Trò chuyện').getAttribute('aria-selected')).toBe('true');
    expect(await page.getByRole('tab').evaluateAll((tabs) => tabs.map((element) => element.getAttribute('tabindex')))).toEqual(['0', '-1', '-1']);

    // F1 lists the shortcuts; Esc closes it.
    await page.keyboard.press('F1');
    const help = page.getByTestId('help-dialog');
    await expect.poll(() => help.isVisible()).toBe(true);
    const rows = await help.locator('tbody tr').allTextContents();
    expect(rows).toEqual(expect.arrayContaining(['Alt + KTới ô Khách hàng (tìm, mở khách)', 'Alt + CTới ô nhập yêu cầu', 'F1Mở bảng phím tắt này']));
    await screenshot(page, 'shift-3-help');
    await page.keyboard.press('Escape');
    await expect.poll(() => help.isVisible()).toBe(false);
    // "?" outside a text field opens it too.
    await page.getByRole('tab', { selected: true }).focus();
    await page.keyboard.press('?');
    await expect.poll(() => help.isVisible()).toBe(true);
    // Esc and then "?" within one task: the dialog Esc closed sends its \`close\` event late, after
    // "?" opened it again; that late event must not close the dialog now open.
    const openAfterLateClose = await page.evaluate(async () => {
      const dialog = document.querySelector<HTMLDialogElement>('[data-testid="help-dialog"]')!;
      const closed = new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
      const settle = async () => {
        for (let turn = 0; turn < 10; turn++) await Promise.resolve();
      };
      dialog.dispatchEvent(new Event('cancel'));
      await settle();
      window.dispatchEvent(new KeyboardEvent('keydown', { key: '?' }));
      await settle();
      await closed;
      await new Promise((resolve) => requestAnimationFrame(resolve));
      return dialog.open;
    });
    expect(openAfterLateClose).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => help.isVisible()).toBe(false);
    await expectNoEnglish();
  });

  it('reads the cart again when the connection to the app comes back', async () => {
    const notice = page.getByTestId('notice').locator('span');
    // The page loses its event stream (as when the bridge restarts): what changes meanwhile is not heard.
    const problemsBefore = app.problems.length;
    await page.route('**/api/events', (route) => route.abort());
    try {
      await page.reload();
      await expect.poll(() => notice.textContent()).toBe('Mất kết nối tới MM Assistant; đang thử lại…');
      await openCustomer(page, customer);
      await tab('Giỏ hàng').click();
      await expect.poll(() => syncBadge().getAttribute('data-state')).toBe('synced');
      const shown = await page.locator('#pane-cart ul.cart-lines li.cart-line').count();
      const [sku] = await firstSkus('gạo', 1);
      expect((await invoke(page, 'cart.add', { customerId: customer, sku, quantity: 3 })).ok).toBe(true);
      expect(await page.locator('#pane-cart ul.cart-lines li.cart-line').count()).toBe(shown);

      // The stream is back: the desk says so and reads the cart again, which now has the line.
      await page.unroute('**/api/events');
      await expect.poll(() => notice.textContent(), { timeout: 20_000 }).toBe('Đã kết nối lại với MM Assistant.');
      await expect.poll(() => quantityOf(sku!)).toBe('3');
      await expect.poll(() => syncBadge().getAttribute('data-state')).toBe('synced');
      expect(await page.locator('#pane-cart ul.cart-lines li.cart-line').count()).toBe(shown + 1);
      await expectNoEnglish();
    } finally {
      await page.unroute('**/api/events');
      // The refused event-stream requests were this test's doing (Chromium logs each as a failed load).
      const caused = app.problems.splice(problemsBefore);
      app.problems.push(...caused.filter((problem) => !/^error: Failed to load resource: net::ERR_FAILED$/.test(problem)));
    }
    await page.getByTestId('notice').getByRole('button').click();
    await tab('Trò chuyện').click();
  });

  it('shows the customer profile in plain words: edit as text, learned when and where, undo of forget', async () => {
    const saved = await invoke(page, 'customers.save', {
      customerId: customer,
      displayName: 'Chị Mai',
      phone: '0912 345 678',
      membershipNumber: 'MM-777',
    });
    expect(saved.ok).toBe(true);
    await openCustomer(page, customer, customerShown);
    await ask(page, 'nhớ rằng khách thích sữa tươi không đường');
    await ask(page, 'nhớ rằng khách không ăn cay');
    const sessionId = await page.locator('#session-select').inputValue();
    await tab('Bộ nhớ').click();
    const profile = page.getByTestId('profile');
    await expect.poll(() => profile.isVisible()).toBe(true);
    expect(await page.getByTestId('profile-who').textContent()).toContain('0912 345 678');
    expect(await page.getByTestId('profile-who').textContent()).toContain('mm-777');

    const likes = page.getByTestId('profile-likes');
    const avoids = page.getByTestId('profile-avoids');
    await expect.poll(() => likes.getByTestId('profile-text').allTextContents()).toEqual(['khách thích sữa tươi không đường']);
    await expect.poll(() => avoids.getByTestId('profile-text').allTextContents()).toEqual(['khách không ăn cay']);
    // When and in which conversation, as a date and a link; no keys, session or turn ids anywhere.
    const meta = likes.getByTestId('profile-meta').first();
    expect(await meta.textContent()).toMatch(/^Ghi nhớ ngày \d{2}\/\d{2}\/\d{4} · trong .+/);
    const profileText = (await profile.textContent()) ?? '';
    expect(profileText).not.toContain('note:');
    expect(profileText).not.toContain(sessionId);
    await screenshot(page, 'shift-4-profile');

    // Edit as plain Vietnamese: stored as the text itself.
    await likes.getByRole('button', { name: /^Sửa “khách thích sữa tươi/ }).click();
    const editor = likes.getByLabel('Nội dung (gõ như bình thường)');
    await editor.fill('Chị thích sữa tươi không đường, loại hộp 1 lít');
    await likes.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => likes.getByTestId('profile-text').allTextContents()).toEqual(['Chị thích sữa tươi không đường, loại hộp 1 lít']);
    const key = (await likes.locator('li.profile-item').first().getAttribute('data-key'))!;
    const stored = await invoke(page, 'memory.get', { userId: customer, key });
    expect((stored.value as MemoryValueView).value).toBe('Chị thích sữa tươi không đường, loại hộp 1 lít');

    // A note staff add, in plain words.
    const notes = page.getByTestId('profile-notes');
    await notes.getByRole('button', { name: 'Thêm vào “Ghi chú”' }).click();
    await notes.getByLabel('Ghi chú về khách').fill('Hay đi chợ sáng thứ bảy');
    await notes.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => notes.getByTestId('profile-text').allTextContents()).toEqual(['Hay đi chợ sáng thứ bảy']);
    expect(await notes.getByTestId('profile-meta').first().textContent()).toMatch(/· nhân viên nhập$/);

    // Forget, then undo: it comes back; forget again and let the undo time pass: it is gone from memory.
    await notes.getByRole('button', { name: 'Quên “Hay đi chợ sáng thứ bảy”' }).click();
    await expect.poll(() => notes.getByTestId('profile-text').count()).toBe(0);
    await expect.poll(() => page.getByTestId('profile-forgotten').textContent()).toBe('Đã quên “Hay đi chợ sáng thứ bảy”.Hoàn tác');
    expect(await focused()).toBe('Hoàn tác');
    await screenshot(page, 'shift-5-profile-forgotten-undo');
    await page.getByRole('button', { name: 'Hoàn tác' }).click();
    await expect.poll(() => notes.getByTestId('profile-text').allTextContents()).toEqual(['Hay đi chợ sáng thứ bảy']);
    const noteKey = (await notes.locator('li.profile-item').first().getAttribute('data-key'))!;
    expect((await invoke(page, 'memory.get', { userId: customer, key: noteKey })).ok).toBe(true);
    await notes.getByRole('button', { name: 'Quên “Hay đi chợ sáng thứ bảy”' }).click();
    await expect.poll(() => page.getByTestId('profile-forgotten').count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(async () => (await invoke(page, 'memory.get', { userId: customer, key: noteKey })).error?.code).toBe('not_found');
    expect(await notes.getByTestId('profile-text').count()).toBe(0);

    // The conversation link opens that conversation in the chat.
    await avoids.getByRole('link').first().click();
    await expect.poll(() => tab('Trò chuyện').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#session-select').inputValue()).toBe(sessionId);
    await expectNoEnglish();
  });

  it('keeps tiers, quotas, metrics and maintenance in Storage, explained and consistent with Settings', async () => {
    await tab('Bộ nhớ').click();
    await page.getByRole('button', { name: 'Lưu trữ (IT)' }).click();
    const rows = page.getByTestId('entry-list').getByRole('listitem');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);

    // The hot bar and Settings speak of the same numbers: 50 MB per conversation, 100 MB in all.
    await expect.poll(() => page.getByTestId('hot-quota-note').textContent()).toContain('tối đa 50 MB mỗi phiên, 100 MB tổng cộng');
    expect(await page.getByTestId('quota-hot-figures').textContent()).toMatch(/ \/ 100 MB \(\d+ %\)$/);
    expect(await page.getByTestId('quota-warm-figures').textContent()).toMatch(/ \/ 200 MB \(\d+ %\)$/);
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    expect(await page.getByLabel('Bộ đệm nhanh mỗi phiên (MB)').inputValue()).toBe('50');
    await page.getByLabel('Bộ đệm nhanh mỗi phiên (MB)').fill('60');
    // Something typed and not saved: the button says "Huỷ".
    expect(await page.getByTestId('settings-close').textContent()).toBe('Huỷ');
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    expect(await page.getByTestId('settings-close').textContent()).toBe('Đóng');
    await page.getByTestId('settings-close').click();
    await expect
      .poll(() => page.getByTestId('hot-quota-note').textContent())
      .toContain('Hạn mức mới trong Cài đặt (60 MB mỗi phiên) có hiệu lực sau khi khởi động lại');

    // Terms are explained on hover and on focus.
    const term = page.locator('.term-label', { hasText: 'Đọc thấy ngay' });
    await term.hover();
    await expect.poll(() => page.getByRole('tooltip', { name: /^Số lần trợ lý đọc một mục/ }).isVisible()).toBe(true);

    // The charts name their axes and units.
    const chart = page.getByTestId('chart-reads');
    await expect.poll(() => chart.isVisible(), { timeout: 20_000 }).toBe(true);
    const chartText = (await chart.textContent()) ?? '';
    for (const label of ['Lượt đọc bộ nhớ mỗi 5 giây', 'lượt đọc', 'Thời gian', 'bây giờ', 'thấy', 'không thấy']) expect(chartText).toContain(label);
    expect(await page.getByTestId('chart-process').textContent()).toContain('MB');

    // "Tóm tắt phiên cũ ngay" says what it does, and why nothing was summarized: today's conversations are recent.
    await page.getByRole('button', { name: 'Tóm tắt phiên cũ ngay' }).click();
    await expect
      .poll(() => page.getByTestId('maintenance-report').textContent())
      .toMatch(
        /^Tóm tắt: chưa tóm tắt phiên nào; \d+ phiên có tin nhắn trong 7 ngày qua được giữ nguyên\. Chỉ phiên không có tin nhắn mới trong 7 ngày mới được tóm tắt\.$/,
      );

    // A customer is chosen: no "pick a customer" hint, the export is there.
    expect(await page.getByTestId('export-hint').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Xuất dữ liệu khách (JSON)' }).isVisible()).toBe(true);

    // The tier shown is where the entry is kept: the same after a save and after another look.
    await rows.first().getByRole('button').click();
    const tier = page.getByTestId('entry-tier');
    await expect.poll(() => tier.textContent()).toMatch(/^(ấm|lạnh)/);
    const kept = ((await tier.textContent()) ?? '').split(' · ')[0];
    const value = page.getByLabel('Giá trị', { exact: true });
    await value.fill(`${await value.inputValue()}, kể cả tương ớt`);
    await page.getByRole('button', { name: 'Lưu giá trị' }).click();
    await expect.poll(() => page.getByTestId('entry-provenance').textContent()).toBe('Nhân viên nhập');
    await expect.poll(async () => ((await tier.textContent()) ?? '').split(' · ')[0]).toBe(kept);
    await page.getByRole('button', { name: 'Đóng', exact: true }).click();
    await rows.first().getByRole('button').click();
    await expect.poll(async () => ((await tier.textContent()) ?? '').split(' · ')[0]).toBe(kept);
    await screenshot(page, 'shift-6-storage');
    await page.getByRole('button', { name: 'Đóng', exact: true }).click();

    // All customers: the export hint says to pick one.
    await page.getByLabel('Khách', { exact: true }).selectOption('');
    await expect
      .poll(() => page.getByTestId('export-hint').textContent())
      .toBe('Chọn một khách ở bộ lọc “Khách” để xuất hoặc xoá dữ liệu của khách.');
    await page.getByRole('button', { name: 'Hồ sơ khách hàng' }).click();
    await expectNoEnglish();
  });

  it('shows the store’s cart: re-read after a store change, a line the store lost shown as such, banners that come back', async () => {
    const store = await startStandin();
    await tab('Trò chuyện').click();
    await openCustomer(page, customer, customerShown);
    const banner = page.getByTestId('demo-banner');
    await page.getByRole('button', { name: /^Ẩn thông báo “cửa hàng demo”/ }).click();
    await expect.poll(() => banner.count()).toBe(0);
    const demoLines = await page.locator('#pane-cart li.cart-line').count();
    expect(demoLines).toBeGreaterThan(0);

    // Another store in Settings: the cart is read again from it (the stand-in has none for this customer).
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Dùng cửa hàng demo (không cần mạng)').uncheck();
    await page.getByLabel('Địa chỉ GraphQL của cửa hàng').fill(store.endpoint);
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    await page.getByTestId('settings-close').click();
    await expect.poll(() => page.locator('#pane-cart').getByText('Giỏ hàng trống.').isVisible()).toBe(true);
    await expect.poll(() => syncBadge().getAttribute('data-state')).toBe('synced');
    expect(await syncBadge().textContent()).toMatch(/^Đã đồng bộ với cửa hàng lúc \d{1,2}:\d{2}$/);
    expect(await page.locator('#pane-cart li.cart-line').count()).toBe(0);

    // Two lines at the stand-in; then the store loses one without the desk hearing of it.
    const [first, second] = await firstSkus('sữa tươi', 2);
    for (const sku of [first, second]) expect((await invoke(page, 'cart.add', { customerId: customer, sku, quantity: 1 })).ok).toBe(true);
    await expect.poll(() => page.locator('#pane-cart li.cart-line').count()).toBe(2);
    for (const cart of (store as unknown as { resolvers: { carts: Map<string, { lines: { sku: string }[] }> } }).resolvers.carts.values()) {
      cart.lines = cart.lines.filter((line) => line.sku !== first);
    }
    await tab('Giỏ hàng').click();
    const increase: Locator = cartLine(first!).getByRole('button', { name: /^Tăng số lượng/ });
    await increase.click();
    // The store said the line is gone: the cart is read again, and the line is shown as missing, with what to do.
    const missing = page.getByTestId('cart-missing');
    await expect.poll(() => missing.isVisible()).toBe(true);
    expect(await missing.locator(`li[data-sku="${first}"]`).textContent()).toContain('Cửa hàng không còn dòng này trong giỏ (đã có 1)');
    await expect.poll(() => page.locator('#pane-cart ul.cart-lines li.cart-line').count()).toBe(1);
    await expect.poll(() => syncBadge().getAttribute('data-state')).toBe('synced');
    expect(await page.getByTestId('cart-error').count()).toBe(0);
    await screenshot(page, 'shift-7-cart-line-missing');
    await expectNoEnglish();
    await missing.getByRole('button', { name: 'Thêm lại 1' }).click();
    await expect.poll(() => page.locator('#pane-cart ul.cart-lines li.cart-line').count()).toBe(2);
    await expect.poll(() => missing.count()).toBe(0);

    // The store forgets the whole cart: the next change says so and shows the new cart.
    store.dropCarts();
    await cartLine(second!)
      .getByRole('button', { name: /^Tăng số lượng/ })
      .click();
    await expect.poll(() => page.locator('#pane-cart').getByText('Cửa hàng đã mất giỏ hàng trước; một giỏ mới đã được tạo.').isVisible()).toBe(true);
    await expect.poll(() => syncBadge().getAttribute('data-state')).toBe('synced');
    const cart = (await invoke(page, 'cart.get', { customerId: customer })).value as CartResult;
    expect(await page.locator('#pane-cart ul.cart-lines li.cart-line').count()).toBe(cart.cart.lines.length);

    // Back to the demo store (a new one: demo carts live as long as it does): its cart is read, and its
    // banner is back (the condition ended and started again).
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Dùng cửa hàng demo (không cần mạng)').check();
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    await page.getByTestId('settings-close').click();
    await expect.poll(() => banner.isVisible()).toBe(true);
    await expect.poll(() => page.locator('#pane-cart').getByText('Giỏ hàng trống.').isVisible()).toBe(true);
    await expect.poll(() => syncBadge().getAttribute('data-state')).toBe('synced');
    expect(await page.locator('#pane-cart li.cart-line').count()).toBe(0);
  });

  it('says what is wrong in Vietnamese, next to the field, brought into view', async () => {
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Địa chỉ GraphQL của cửa hàng').fill('ftp://cua-hang');
    await page.getByLabel('Mã cửa hàng (store view)').fill('B2C 10010');
    await page.getByLabel('Giữ bộ nhớ lạnh (ngày)').fill('0');
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.locator('#setting-storeEndpoint-error').textContent()).toContain('Địa chỉ cửa hàng phải là URL https');
    expect(await page.locator('#setting-storeCode-error').textContent()).toBe(
      'Mã cửa hàng chỉ gồm chữ thường không dấu, chữ số và dấu gạch dưới, ví dụ b2c_10010_vi.',
    );
    expect(await page.locator('#setting-coldRetentionDays-error').textContent()).toBe('Nhập một số nguyên từ 1 đến 3.650.');
    // The first refused field has the focus, in view.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('setting-storeEndpoint');
    expect(
      await page.locator('#setting-storeEndpoint').evaluate((element) => {
        const box = element.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight;
      }),
    ).toBe(true);
    await expectNoEnglish();
    await screenshot(page, 'shift-8-settings-refused');
    expect(await page.getByTestId('settings-close').textContent()).toBe('Huỷ');
    await page.getByTestId('settings-close').click();
  });

  it('stops an answer with Esc, and offers the newest messages when staff read further up', async () => {
    const stuck = await startStandin({ faults: { hang: true } });
    await tab('Trò chuyện').click();
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Dùng cửa hàng demo (không cần mạng)').uncheck();
    await page.getByLabel('Địa chỉ GraphQL của cửa hàng').fill(stuck.endpoint);
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    await page.getByTestId('settings-close').click();

    await chatBox().fill('tìm nước mắm');
    await chatBox().press('Enter');
    await expect.poll(() => page.getByTestId('activity').textContent()).toContain('Đang tìm sản phẩm');
    // Reading further up while the answer is on its way.
    await list().hover();
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, -600);
    await expect.poll(() => list().getAttribute('data-follow')).toBe('false');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('activity').count()).toBe(0);
    await expect.poll(() => page.getByTestId('to-newest').textContent()).toMatch(/^\d+ tin mới ↓$/);
    await screenshot(page, 'shift-9-new-messages');
    await page.getByTestId('to-newest').click();
    await expect.poll(atEnd).toBe(true);
    await expect.poll(() => page.getByText('Đã dừng.').last().isVisible()).toBe(true);
    expect(await page.locator('.message-error').count()).toBe(0);

    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Dùng cửa hàng demo (không cần mạng)').check();
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    await page.getByTestId('settings-close').click();
  });

  it('had no console errors or warnings', () => {
    expect(app.problems).toEqual([]);
  });
});
