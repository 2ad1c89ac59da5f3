import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCatalog } from '../../src/main/commerce/demo/catalog';
import { demoSchemaSdl } from '../../src/main/commerce/demo/schemaSource';
import { standinSchema, StoreStandin } from '../helpers/storeStandin';
import { tempDir } from '../helpers/tempDir';
import { launchChromium, screenshot, startBridgeProcess, watchConsole, type BridgeProcess } from './harness';

// Product cards show their images through the app (the bridge serves main's disk cache under the
// page's own origin, as the desktop app's protocol does), so the CSP allows images from 'self'
// only, and a card still shows its image once the store is unreachable.

let browser: Browser;
let bridge: BridgeProcess;
let page: Page;
let problems: string[];
let store: StoreStandin;
const userData = tempDir('mm-e2e-images-');
const customer = 'Chị Hoa 0912345678';

beforeAll(async () => {
  // Started here, not with commerce/helpers' startStandin (which closes it after each test): the store lives until the test takes it offline.
  store = await StoreStandin.start({ schema: standinSchema(demoSchemaSdl), catalog: generateCatalog() });
  browser = await launchChromium();
  bridge = await startBridgeProcess(userData);
  page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
  problems = watchConsole(page);
  await page.goto(bridge.url);
});
afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
  await store?.close();
});

const chatInput = () => page.getByLabel('Nhập yêu cầu (Enter để gửi, Shift+Enter xuống dòng)');
const cardImages = () => page.getByTestId('product-results').locator('article.product-card img');

/** Every card image on the page has loaded (decoded, with a size); what their `src` says. */
async function imagesShown(): Promise<{ loaded: number; total: number; sources: string[] }> {
  return cardImages().evaluateAll((images) => {
    const all = images as HTMLImageElement[];
    return {
      loaded: all.filter((image) => image.complete && image.naturalWidth > 0).length,
      total: all.length,
      sources: all.map((image) => image.getAttribute('src') ?? ''),
    };
  });
}

/** Waits until the cards show images and every one of them has loaded. */
async function waitForAllImages(): Promise<void> {
  await expect.poll(async () => (await imagesShown()).total, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect
    .poll(
      async () => {
        const shown = await imagesShown();
        return shown.loaded === shown.total;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
}

async function openSettings(): Promise<void> {
  await page.getByRole('button', { name: 'Cài đặt' }).click();
}

describe('product images in Chromium through the bridge', () => {
  it('refuses a plain-http store endpoint in the staff language, then takes the loopback stand-in', async () => {
    await openSettings();
    const endpoint = page.getByLabel('Địa chỉ GraphQL của cửa hàng');
    await endpoint.fill('http://online.mmvietnam.com/graphql');
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.locator('#setting-storeEndpoint-error').textContent()).toContain('Địa chỉ cửa hàng phải là URL https');
    await screenshot(page, 'images-1-endpoint-refused');

    await endpoint.fill(store.endpoint);
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    // The bridge does not update itself, and says so.
    await expect.poll(() => page.getByTestId('update-status').textContent()).toContain('không tự cập nhật');
    await page.getByRole('button', { name: 'Đóng' }).click();
  });

  it('shows card images fetched once through the app, from its own origin', async () => {
    await page.getByLabel('Khách hàng').fill(customer);
    await page.getByRole('button', { name: 'Mở' }).click();
    await expect.poll(() => page.getByTestId('current-customer').textContent()).toBe(customer);
    const before = store.stats.requests;
    await chatInput().fill('tìm sữa tươi');
    await chatInput().press('Enter');
    await waitForAllImages();
    const { sources, total } = await imagesShown();
    // Never the store's URL: a path of the page's own origin that names it.
    for (const source of sources) expect(source).toMatch(/^\/product-image\?src=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fmedia%2F/);
    const cached = fs.readdirSync(path.join(userData, 'image-cache')).filter((name) => !name.endsWith('.tmp'));
    expect(cached.length).toBe(new Set(sources).size);
    expect(total).toBeGreaterThanOrEqual(cached.length);
    expect(store.stats.requests).toBeGreaterThan(before);
    await screenshot(page, 'images-2-cards');
  });

  it('still shows them with the store offline, from the disk cache', async () => {
    await store.close();
    await page.reload();
    await page.getByLabel('Khách hàng').fill(customer);
    await page.getByRole('button', { name: 'Mở' }).click();
    await waitForAllImages();
    await screenshot(page, 'images-3-offline');
  });

  it('broke no CSP rule', () => {
    expect(problems.filter((problem) => /Content Security Policy|Refused to load/i.test(problem))).toEqual([]);
  });
});
