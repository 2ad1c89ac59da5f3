import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { StoreWait } from '@shared/commerce';
import { describeStoreError } from '@shared/storeErrors';
import { AppError } from '@shared/errors';
import { clientFor, ManualClock, startStandin } from './helpers';

const noRetries = { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };

/** A call's outcome, watched without awaiting it, so the test can move the clock meanwhile. */
function watch<T>(promise: Promise<T>): { settled: () => boolean; result: Promise<{ ok: true; value: T } | { ok: false; error: unknown }> } {
  let done = false;
  const result = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void result.then(() => (done = true));
  return { settled: () => done, result };
}

async function failure(outcome: { result: Promise<{ ok: boolean; error?: unknown }> }): Promise<AppError> {
  const settled = await outcome.result;
  if (settled.ok || !(settled.error instanceof AppError)) throw new Error(`expected a typed failure, got ${JSON.stringify(settled)}`);
  return settled.error;
}

describe('interactive store calls answer or fail within their deadline (hanging loopback store, injected clock)', () => {
  it('a search against a store that takes the connection and never answers fails at 10 s, not before, and says it is waiting after 2 s', async () => {
    const server = await startStandin({ faults: { hang: true } });
    const clock = new ManualClock();
    const client = clientFor(server, { clock, retry: { attempts: 3, baseDelayMs: 1000, maxDelayMs: 4000, maxRetryAfterMs: 60_000 } });
    const waits: StoreWait[] = [];
    const search = watch(client.searchProducts({ query: 'sữa tươi', onWait: (wait) => waits.push(wait) }));
    await clock.advance(1999);
    expect(waits).toEqual([]);
    await clock.advance(1);
    expect(waits).toEqual([{ reason: 'slow', waitMs: 2000 }]);
    await clock.advance(7999);
    expect(search.settled()).toBe(false);
    await clock.advance(1);
    const error = await failure(search);
    expect(error).toMatchObject({ code: 'timeout', details: { deadlineMs: 10_000 } });
    expect(describeStoreError(error.toShape(), 'vi').text).toBe('Cửa hàng không trả lời trong 10 giây.');
    expect(server.stats.queries).toBe(1);
  });

  it('a cart change and a product lookup have the same deadline; a new one from the settings applies to the next call', async () => {
    const server = await startStandin({ faults: { hang: true } });
    const clock = new ManualClock();
    const client = clientFor(server, { clock });
    const add = watch(client.addToCart({ customerId: 'kh-1', sku: '100007', quantity: 1 }));
    await clock.advance(10_000);
    expect(await failure(add)).toMatchObject({ code: 'timeout' });
    client.setInteractiveDeadline(3000);
    const product = watch(client.getProduct({ sku: '100014' }));
    await clock.advance(2999);
    expect(product.settled()).toBe(false);
    await clock.advance(1);
    expect(await failure(product)).toMatchObject({ code: 'timeout', details: { deadlineMs: 3000 } });
  });

  it('background work keeps the long deadline: a call without one is not cut at 10 s', async () => {
    const server = await startStandin({ faults: { hang: true } });
    const clock = new ManualClock();
    const client = clientFor(server, { clock, retry: noRetries });
    const background = watch(client.transport.execute({ query: '{ storeConfig { store_code } }', kind: 'query' }));
    await clock.advance(60_000);
    expect(background.settled()).toBe(false);
    await clock.advance(60_000);
    expect(await failure(background)).toMatchObject({ code: 'timeout' });
  });

  it('a quick answer leaves no notice and no timer behind', async () => {
    const clock = new ManualClock();
    const client = clientFor(await startStandin(), { clock });
    const waits: StoreWait[] = [];
    const result = await client.searchProducts({ query: 'Sữa tươi Vinamilk', onWait: (wait) => waits.push(wait) });
    expect(result.items.length).toBeGreaterThan(0);
    expect(waits).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('waits for a retry that fits the deadline, telling why; one that would end after it is not started: the real cause comes at once', async () => {
    const server = await startStandin({ faults: { errorRate: 1 } });
    const clock = new ManualClock();
    const fits = clientFor(server, {
      clock,
      random: () => 1,
      retry: { attempts: 2, baseDelayMs: 3000, maxDelayMs: 60_000, maxRetryAfterMs: 60_000 },
    });
    const waits: StoreWait[] = [];
    const product = watch(fits.getProduct({ sku: '100007', onWait: (wait) => waits.push(wait) }));
    await clock.advance(0);
    expect(waits).toEqual([{ reason: 'retrying', waitMs: 3000, cause: { code: 'store_unavailable', httpStatus: 503 } }]);
    await clock.advance(3000);
    expect(await failure(product)).toMatchObject({ code: 'store_unavailable', details: { status: 503 } });
    expect(server.stats.queries).toBe(2);

    server.resetStats();
    const tooLong = clientFor(server, {
      clock,
      random: () => 1,
      retry: { attempts: 3, baseDelayMs: 20_000, maxDelayMs: 60_000, maxRetryAfterMs: 60_000 },
    });
    const quick = watch(tooLong.getProduct({ sku: '100007' }));
    await clock.advance(0);
    expect(await failure(quick)).toMatchObject({ code: 'store_unavailable' });
    expect(server.stats.queries).toBe(1);
  });

  it("a call queued by the app's own rate limit says how long it waits; one that would wait past the deadline is refused at once", async () => {
    const clock = new ManualClock();
    const server = await startStandin();
    const client = clientFor(server, { clock, rateLimit: { maxRequests: 1, windowMs: 6000, maxQueue: 10 } });
    await client.getProduct({ sku: '100007' });
    const waits: StoreWait[] = [];
    const queued = watch(client.getProduct({ sku: '100014', onWait: (wait) => waits.push(wait) }));
    await clock.advance(0);
    expect(waits).toEqual([{ reason: 'queued', waitMs: 6000 }]);
    await clock.advance(6000);
    expect(await queued.result).toMatchObject({ ok: true, value: { sku: '100014' } });

    const slowLimit = clientFor(server, { clock, rateLimit: { maxRequests: 1, windowMs: 45_000, maxQueue: 10 } });
    await slowLimit.getProduct({ sku: '100021' });
    const refused = watch(slowLimit.getProduct({ sku: '100028' }));
    await clock.advance(0);
    const error = await failure(refused);
    expect(error).toMatchObject({ code: 'rate_limited', details: { waitMs: 45_000, source: 'app' } });
    expect(describeStoreError(error.toShape(), 'vi').text).toContain('khoảng 45 giây');
    expect(describeStoreError(error.toShape(), 'en').text).toContain('about 45 s');
  });

  it("the circuit's refusal names the last real failure: maintenance, or a refused connection", async () => {
    const server = await startStandin({ faults: { maintenance: true } });
    const client = clientFor(server, { retry: noRetries, breaker: { failureThreshold: 2, openMs: 30_000 } });
    for (const sku of ['100007', '100014']) await expect(client.getProduct({ sku })).rejects.toMatchObject({ code: 'store_unavailable' });
    const open = await failure(watch(client.getProduct({ sku: '100021' })));
    expect(open).toMatchObject({ code: 'circuit_open', details: { lastCause: { code: 'store_unavailable', httpStatus: 503, maintenance: true } } });
    expect(describeStoreError(open.toShape(), 'vi').text).toMatch(/tạm ngừng gọi trong 30 giây; lỗi gần nhất: cửa hàng đang bảo trì\.$/);
    expect(describeStoreError(open.toShape(), 'en').text).toMatch(/last failure: the store is under maintenance\.$/);

    const closedPort = await new Promise<string>((resolve) => {
      const probe = http.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(`http://127.0.0.1:${port}/graphql`));
      });
    });
    const refused = clientFor({ endpoint: closedPort }, { retry: noRetries, breaker: { failureThreshold: 1, openMs: 30_000 } });
    await expect(refused.getProduct({ sku: '100007' })).rejects.toMatchObject({ code: 'store_unavailable', details: { cause: 'ECONNREFUSED' } });
    const paused = await failure(watch(refused.getProduct({ sku: '100014' })));
    expect(paused).toMatchObject({ code: 'circuit_open', details: { lastCause: { cause: 'ECONNREFUSED' } } });
    expect(describeStoreError(paused.toShape(), 'vi').text).toContain('lỗi gần nhất: máy chủ từ chối kết nối');
  });
});
