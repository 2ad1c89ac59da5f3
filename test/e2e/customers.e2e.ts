import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowApi } from '@shared/contract';
import { tempDir } from '../helpers/tempDir';
import { openAppInChromium, screenshot, type AppInChromium } from './harness';

// Finding a customer by what staff know (name, phone, membership number) through the web bridge.
let app: AppInChromium;
let page: Page;

beforeAll(async () => {
  app = await openAppInChromium(tempDir('mm-customers-'));
  page = app.page;
});
afterAll(async () => {
  await app?.close();
});

const customerBox = () => page.getByLabel('Khách hàng');
const current = () => page.getByTestId('current-customer');
const offers = () => page.getByRole('listbox').getByRole('option');

describe('customer records in Chromium', () => {
  it('opens a customer by phone and shows the name staff give them next to the phone', async () => {
    await customerBox().fill('0901 234 567');
    await expect.poll(() => page.getByTestId('customer-no-match').isVisible()).toBe(true);
    await customerBox().press('Enter');
    await expect.poll(() => current().textContent()).toBe('0901 234 567');
    expect(await current().getAttribute('data-customer-id')).toBe('0901234567');

    // Something of this customer's to find again: a conversation and a memory.
    await page.getByRole('button', { name: 'Phiên mới' }).click();
    await expect.poll(() => page.locator('#session-select').inputValue()).not.toBe('');
    const sessionId = await page.locator('#session-select').inputValue();
    const put = await page.evaluate(async () => {
      const { api } = globalThis as unknown as { api: WindowApi };
      return (await api.invoke('memory.put', { userId: '0901234567', key: 'sở thích', value: 'sữa tươi không đường' })).ok;
    });
    expect(put).toBe(true);

    await page.getByRole('button', { name: 'Sửa thông tin khách' }).click();
    await page.getByLabel('Tên gọi').fill('Chị Lan');
    await page.getByLabel('Số thẻ thành viên').fill('MM 42');
    await page.getByRole('button', { name: 'Lưu thông tin' }).click();
    // Refused in the staff's language, naming the field; nothing saved.
    await expect
      .poll(() => page.getByTestId('customer-record-problem').textContent())
      .toBe('Số thẻ thành viên chỉ gồm chữ cái không dấu, chữ số và - _ . / : #, không có khoảng trắng.');
    expect(await current().textContent()).toBe('0901 234 567');
    await page.getByLabel('Số thẻ thành viên').fill('MM-00042');
    await page.getByRole('button', { name: 'Lưu thông tin' }).click();
    await expect.poll(() => current().textContent()).toBe('Chị Lan · 0901 234 567');
    expect(await page.getByTestId('customer-record-problem').count()).toBe(0);
    await screenshot(page, 'customers-1-named');

    // Another customer in between.
    await customerBox().fill('KH-002');
    await customerBox().press('Enter');
    await expect.poll(() => current().textContent()).toBe('kh-002');
    expect(await page.locator('#session-select').inputValue()).toBe('');

    // "chi lan" without accents offers the record; arrows and Enter open that same customer.
    await customerBox().fill('');
    await customerBox().fill('chi lan');
    const offered = offers().filter({ hasText: 'Chị Lan · 0901 234 567 · mm-00042' });
    await expect.poll(() => offered.isVisible()).toBe(true);
    expect(await offers().count()).toBe(1);
    await screenshot(page, 'customers-2-offered');
    await customerBox().press('ArrowDown');
    await expect.poll(() => offered.getAttribute('aria-selected')).toBe('true');
    await customerBox().press('Enter');
    await expect.poll(() => current().textContent()).toBe('Chị Lan · 0901 234 567');
    expect(await current().getAttribute('data-customer-id')).toBe('0901234567');
    await expect.poll(() => page.locator('#session-select').inputValue()).toBe(sessionId);
    expect(await page.getByRole('listbox').count()).toBe(0);

    // Its memory is the one shown.
    await page.getByRole('tab', { name: 'Bộ nhớ' }).click();
    await expect.poll(() => page.getByTestId('profile').getByTestId('profile-text').allTextContents()).toEqual(['sữa tươi không đường']);
    await page.getByRole('tab', { name: 'Trò chuyện' }).click();
  });

  it('finds the record by membership number in any case, closes on Escape and opens it on a click', async () => {
    await customerBox().fill('KH-002');
    await customerBox().press('Enter');
    await expect.poll(() => current().textContent()).toBe('kh-002');

    await customerBox().fill('Mm-00042');
    const offered = offers().filter({ hasText: /^Chị Lan · 0901 234 567/ });
    await expect.poll(() => offered.isVisible()).toBe(true);
    await customerBox().press('Escape');
    expect(await page.getByRole('listbox').count()).toBe(0);
    await customerBox().press('ArrowDown');
    await expect.poll(() => offered.isVisible()).toBe(true);
    await offered.click();
    await expect.poll(() => current().getAttribute('data-customer-id')).toBe('0901234567');
    await expect.poll(() => current().textContent()).toBe('Chị Lan · 0901 234 567');

    // Typing the membership number and pressing Enter opens the same customer, not a new "mm-00042".
    await customerBox().fill('KH-002');
    await customerBox().press('Enter');
    await expect.poll(() => current().textContent()).toBe('kh-002');
    await customerBox().fill('MM-00042');
    await customerBox().press('Enter');
    await expect.poll(() => current().getAttribute('data-customer-id')).toBe('0901234567');
    expect(app.problems).toEqual([]);
  });
});
