import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowApi } from '@shared/contract';
import type { ChatSendResult } from '@shared/contract/chat';
import type { Result } from '@shared/errors';
import { startStandin } from '../commerce/helpers';
import { tempDir } from '../helpers/tempDir';
import {
  allowEventStreamCuts,
  cutEventStream,
  invoke,
  launchChromium,
  screenshot,
  startBridgeProcess,
  watchConsole,
  type BridgeProcess,
} from './harness';

// A chat run's events and the answer to `chat.send` race: the run starts at once, so its events can
// reach the page first. The page chooses the run id and sends it with `chat.send`, so it takes a
// run's events from the first one. Here the answer is held back until the page has shown the run.
let browser: Browser;
let bridge: BridgeProcess;
let page: Page;
let problems: string[];
const customer = 'Anh Bình 0987654321';

beforeAll(async () => {
  browser = await launchChromium();
  bridge = await startBridgeProcess(tempDir('mm-run-'), ['--demo']);
  page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
  problems = watchConsole(page);
  await allowEventStreamCuts(page);
  await page.goto(bridge.url);
});
afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
});

const chatInput = () => page.getByLabel('Nhập yêu cầu (Enter để gửi, Shift+Enter xuống dòng)');

interface HeldSend {
  runId: string;
  answer: Result<ChatSendResult>;
}

/** Holds back the answers to this customer's `chat.send` until `release`; records the run id each request carried. */
async function holdSendAnswers(): Promise<{ sends: HeldSend[]; release: () => Promise<void> }> {
  const sends: HeldSend[] = [];
  const answered: Promise<void>[] = [];
  let open!: () => void;
  const released = new Promise<void>((resolve) => (open = resolve));
  const handler = (route: Route): Promise<void> => {
    const request = route.request().postDataJSON() as { userId: string; runId: string };
    if (request.userId !== customer) return route.fallback();
    const answer = (async () => {
      const response = await route.fetch();
      sends.push({ runId: request.runId, answer: (await response.json()) as Result<ChatSendResult> });
      await released;
      await route.fulfill({ response });
    })();
    answered.push(answer);
    return answer;
  };
  await page.route('**/api/invoke/chat.send', handler);
  return {
    sends,
    release: async () => {
      open();
      // The held answers go out before the route is removed (removing it would answer them twice).
      await Promise.all(answered);
      await page.unroute('**/api/invoke/chat.send', handler);
    },
  };
}

/** What the conversation shows: the assistant's texts and the product cards' SKUs, in order. */
async function shown(): Promise<{ texts: string[]; skus: string[] }> {
  return {
    texts: await page.getByTestId('message-assistant').allTextContents(),
    skus: await page
      .locator('[data-testid="product-results"] article.product-card')
      .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-sku') ?? '')),
  };
}

describe('a chat run in Chromium', () => {
  it('shows a whole answer that streams in before chat.send answers, under the run id the page chose', async () => {
    await page.getByLabel('Khách hàng').fill(customer);
    await page.getByRole('button', { name: 'Mở' }).click();
    await expect.poll(() => page.getByTestId('current-customer').textContent()).toBe(customer);
    // The customer has no conversation yet: the run's first event also names the new one.
    expect(await page.locator('#session-select').inputValue()).toBe('');

    const held = await holdSendAnswers();
    // Another window serves another customer meanwhile; its events reach this page too.
    const other = await page.evaluate(async () => {
      const { api } = globalThis as unknown as { api: WindowApi };
      return api.invoke('chat.send', { userId: 'khach-khac', message: 'tìm nước mắm', runId: crypto.randomUUID() });
    });
    expect(other.ok).toBe(true);

    await chatInput().fill('tìm sữa tươi');
    await chatInput().press('Enter');
    await expect.poll(() => held.sends.length).toBe(1);
    // Main answered (held here), and the page shows the whole run: cards, the answer, no run going.
    const cards = page.getByTestId('product-results').locator('article.product-card');
    await expect.poll(() => cards.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('message-assistant').last().getAttribute('aria-busy'), { timeout: 20_000 }).toBe('false');
    await expect.poll(() => page.getByTestId('activity').count(), { timeout: 20_000 }).toBe(0);
    const [{ runId, answer }] = held.sends as [HeldSend];
    expect(answer).toMatchObject({ ok: true, value: { runId, mode: 'offline' } });
    const during = await shown();
    expect(during.texts.length).toBeGreaterThan(0);
    expect((await cards.first().locator('.product-name').textContent())?.toLowerCase()).toContain('sữa tươi');
    await screenshot(page, 'run-1-shown-before-answer');

    await held.release();
    const sessionId = answer.ok ? answer.value.sessionId : '';
    await expect.poll(() => page.locator('#session-select').inputValue()).toBe(sessionId);

    // What streamed is what the session keeps: reopened from its history, the conversation is the same.
    await page.reload();
    await page.getByLabel('Khách hàng').fill(customer);
    await page.getByRole('button', { name: 'Mở' }).click();
    await expect.poll(() => page.locator('#session-select').inputValue()).toBe(sessionId);
    await expect.poll(() => page.getByTestId('product-results').count()).toBeGreaterThan(0);
    expect(await shown()).toEqual(during);
  });

  it('stops a run before chat.send has answered', async () => {
    // A stand-in store that never answers, so the run waits in its product search.
    const stuckStore = await startStandin({ faults: { hang: true } });
    await page.getByRole('button', { name: 'Cài đặt' }).click();
    await page.getByLabel('Dùng cửa hàng demo (không cần mạng)').uncheck();
    await page.getByLabel('Địa chỉ GraphQL của cửa hàng').fill(stuckStore.endpoint);
    await page.getByRole('button', { name: 'Lưu', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toBe('Đã lưu');
    await page.getByRole('button', { name: 'Đóng' }).click();

    const held = await holdSendAnswers();
    await chatInput().fill('tìm nước mắm');
    await chatInput().press('Enter');
    await expect.poll(() => page.getByTestId('activity').textContent()).toContain('Đang tìm sản phẩm');
    await expect.poll(() => held.sends.length).toBe(1);
    // The page knows the run without the answer: stop works at once.
    await page.getByRole('button', { name: 'Dừng' }).click();
    await expect.poll(() => page.getByText('Đã dừng.').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('activity').count()).toBe(0);
    await held.release();
    expect(await page.locator('.message-error').count()).toBe(0);
    await screenshot(page, 'run-2-stopped-before-answer');
  });

  it('shows the answer and frees the chat when the connection comes back after the run ended without it', async () => {
    // A stand-in store that holds the product search until the test lets it answer.
    const store = await startStandin();
    expect((await invoke(page, 'settings.set', { demoStore: false, storeEndpoint: store.endpoint })).ok).toBe(true);
    const sessionId = await page.locator('#session-select').inputValue();
    expect(sessionId).not.toBe('');
    const list = page.getByTestId('message-list');
    const before = Number(await list.getAttribute('data-count'));
    const release = store.hold();
    const notice = page.getByTestId('notice').locator('span');
    const activity = page.getByTestId('activity');
    const stop = page.getByRole('button', { name: 'Dừng' });

    const sent = page.waitForRequest('**/api/invoke/chat.send');
    await chatInput().fill('tìm nước mắm');
    await chatInput().press('Enter');
    const { runId } = (await sent).postDataJSON() as { runId: string };
    await expect.poll(() => activity.textContent()).toContain('Đang tìm sản phẩm');
    const cardsBefore = await page.getByTestId('product-results').count();

    // The connection drops while the answer is being produced; the store answers, and the run ends, meanwhile.
    const down = await cutEventStream(page, problems);
    let shownWhenCut: number;
    try {
      await expect.poll(() => notice.textContent()).toBe('Mất kết nối tới MM Assistant; đang thử lại…');
      shownWhenCut = Number(await list.getAttribute('data-count'));
      expect(shownWhenCut).toBeGreaterThan(before);
      release();
      await expect.poll(() => invoke(page, 'chat.status', { runId }), { timeout: 20_000 }).toEqual({ ok: true, value: { running: false } });
      // Nothing of it reached the page: the chat still shows it running. Staff start typing the next request.
      expect(await activity.count()).toBe(1);
      expect(Number(await list.getAttribute('data-count'))).toBe(shownWhenCut);
      await chatInput().fill('xem giỏ hàng');
    } finally {
      await down.restore();
    }

    // The connection is back: the conversation is read again, with the answer, and the chat is free.
    await expect.poll(() => notice.textContent(), { timeout: 20_000 }).toBe('Đã kết nối lại với MM Assistant.');
    await expect.poll(() => activity.count()).toBe(0);
    expect(await stop.count()).toBe(0);
    const results = page.getByTestId('product-results');
    await expect.poll(() => results.count()).toBe(cardsBefore + 1);
    const cards = results.last().locator('article.product-card');
    expect((await cards.first().locator('.product-name').textContent())?.toLowerCase()).toContain('nước mắm');
    expect(await page.getByTestId('message-assistant').last().getAttribute('aria-busy')).toBe('false');
    // The same conversation, read on from where it was: the draft stays, and the list only grew.
    expect(await page.locator('#session-select').inputValue()).toBe(sessionId);
    expect(await chatInput().inputValue()).toBe('xem giỏ hàng');
    expect(Number(await list.getAttribute('data-count'))).toBeGreaterThan(shownWhenCut);
    await screenshot(page, 'run-3-ended-while-disconnected');

    // What shows is what the conversation holds: read from its history, it is the same.
    const reconnected = await shown();
    await page.reload();
    await page.getByLabel('Khách hàng').fill(customer);
    await page.getByRole('button', { name: 'Mở' }).click();
    await expect.poll(() => page.getByTestId('product-results').count()).toBeGreaterThan(0);
    expect(await shown()).toEqual(reconnected);
  });

  it('keeps showing a run that is still under way when the connection comes back, and all of its answer once it ends', async () => {
    const store = await startStandin();
    expect((await invoke(page, 'settings.set', { demoStore: false, storeEndpoint: store.endpoint })).ok).toBe(true);
    const list = page.getByTestId('message-list');
    const results = page.getByTestId('product-results');
    const activity = page.getByTestId('activity');
    const notice = page.getByTestId('notice').locator('span');
    const release = store.hold();
    const sent = page.waitForRequest('**/api/invoke/chat.send');
    await chatInput().fill('tìm dầu ăn');
    await chatInput().press('Enter');
    const { runId } = (await sent).postDataJSON() as { runId: string };
    await expect.poll(() => activity.textContent()).toContain('Đang tìm sản phẩm');
    const cardsBefore = await results.count();

    const down = await cutEventStream(page, problems);
    try {
      await expect.poll(() => notice.textContent()).toBe('Mất kết nối tới MM Assistant; đang thử lại…');
    } finally {
      await down.restore();
    }
    // Back while the store still holds the search: main says the run goes on, and the chat shows it
    // running (what it does right now is not known until its next event).
    await expect.poll(() => notice.textContent(), { timeout: 20_000 }).toBe('Đã kết nối lại với MM Assistant.');
    await expect.poll(() => activity.textContent()).toContain('Đang xử lý');
    expect(await invoke(page, 'chat.status', { runId })).toEqual({ ok: true, value: { running: true } });
    expect(await page.getByRole('button', { name: 'Dừng' }).count()).toBe(1);

    // The run ends with the connection up: its answer shows once, whole, and the chat is free.
    release();
    await expect.poll(() => activity.count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(() => results.count()).toBe(cardsBefore + 1);
    expect((await results.last().locator('article.product-card .product-name').first().textContent())?.toLowerCase()).toContain('dầu');
    const count = await list.getAttribute('data-count');
    const live = await shown();
    await page.reload();
    await page.getByLabel('Khách hàng').fill(customer);
    await page.getByRole('button', { name: 'Mở' }).click();
    await expect.poll(() => list.getAttribute('data-count')).toBe(count);
    await expect.poll(shown).toEqual(live);
  });

  it('had no console errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});
