import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/main/commerce/circuitBreaker';
import { RateLimiter } from '../../src/main/commerce/rateLimiter';
import { parseRetryAfter } from '../../src/main/core/retryAfter';
import { AppError } from '@shared/errors';
import { clientFor, flush, ManualClock, startStandin } from './helpers';

const storeConfig = '{ storeConfig { store_code } }';

describe('rate limiter (injected clock)', () => {
  it('never lets more than maxRequests start in any window, and queues the rest in order', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ maxRequests: 5, windowMs: 1000, maxQueue: 100 }, clock);
    const grants: { index: number; at: number }[] = [];
    const all = Array.from({ length: 23 }, (_, index) => limiter.acquire().then(() => grants.push({ index, at: clock.now() })));
    await flush();
    expect(grants).toHaveLength(5);
    expect(limiter.tryAcquire()).toBe(false);
    for (let step = 0; step < 60; step++) await clock.advance(100);
    await Promise.all(all);
    expect(grants.map((grant) => grant.index)).toEqual([...Array(23).keys()]);
    for (const grant of grants) {
      const inWindow = grants.filter((other) => other.at > grant.at - 1000 && other.at <= grant.at).length;
      expect(inWindow).toBeLessThanOrEqual(5);
    }
    expect(grants.at(-1)!.at).toBe(4000);
  });

  it('refuses with rate_limited when the queue is full, and rejects waiters on close', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ maxRequests: 1, windowMs: 60_000, maxQueue: 2 }, clock);
    await limiter.acquire();
    const waiting = [limiter.acquire(), limiter.acquire()];
    await expect(limiter.acquire()).rejects.toMatchObject({ code: 'rate_limited' });
    limiter.close(new AppError('closed', 'closed'));
    for (const waiter of waiting) await expect(waiter).rejects.toMatchObject({ code: 'closed' });
  });

  it('lets a waiting caller give up with its signal', async () => {
    const limiter = new RateLimiter({ maxRequests: 1, windowMs: 60_000, maxQueue: 5 }, new ManualClock());
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
    expect(limiter.queued).toBe(0);
  });
});

describe('circuit breaker', () => {
  it('opens after repeated failures, lets one probe through after the pause, and closes on success', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1000 }, clock);
    for (let i = 0; i < 3; i++) {
      breaker.enter();
      breaker.failure();
    }
    expect(breaker.state).toBe('open');
    expect(() => breaker.enter()).toThrow(expect.objectContaining({ code: 'circuit_open' }));
    void clock.advance(1000);
    expect(breaker.state).toBe('half_open');
    breaker.enter();
    expect(() => breaker.enter()).toThrow(expect.objectContaining({ code: 'circuit_open' }));
    breaker.failure();
    expect(breaker.state).toBe('open');
    void clock.advance(1000);
    breaker.enter();
    breaker.success();
    expect(breaker.state).toBe('closed');
  });

  it('fails fast against a failing store and recovers once it is back', async () => {
    const server = await startStandin({ faults: { errorRate: 1 } });
    const clock = new ManualClock();
    const client = clientFor(server, {
      clock,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
      breaker: { failureThreshold: 3, openMs: 30_000 },
    });
    const call = () => client.transport.execute({ query: storeConfig, kind: 'query' });
    for (let i = 0; i < 3; i++) await expect(call()).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(call()).rejects.toMatchObject({ code: 'circuit_open' });
    expect(server.stats.queries).toBe(3);
    server.setFaults({});
    await clock.advance(30_000);
    await expect(call()).resolves.toEqual({ storeConfig: { store_code: 'b2c_10010_vi' } });
    expect(client.transport.breaker.state).toBe('closed');
  });
});

describe('retries', () => {
  it('retries queries on 5xx but never a mutation (counted on the server)', async () => {
    const server = await startStandin({ faults: { errorRate: 1 } });
    const delays: number[] = [];
    const client = clientFor(server, { sleep: async (ms) => void delays.push(ms) });
    await expect(client.storeConfig()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(server.stats.queries).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays[1]!).toBeGreaterThan(delays[0]! / 2);

    await expect(client.addToCart({ customerId: 'c', sku: '100007', quantity: 1 })).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(client.transport.execute({ query: 'mutation { createEmptyCart }', kind: 'mutation' })).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    expect(server.stats.mutations).toBe(2);
  });

  it('backs off exponentially with jitter from the base delay', async () => {
    const server = await startStandin({ faults: { errorRate: 1 } });
    const delays: number[] = [];
    const client = clientFor(server, {
      random: () => 1,
      retry: { attempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000, maxRetryAfterMs: 60_000 },
      sleep: async (ms) => void delays.push(ms),
    });
    await expect(client.storeConfig()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(delays).toEqual([1000, 2000, 4000]);
  });

  it('honours Retry-After on 429 and succeeds on the retry', async () => {
    const server = await startStandin({ faults: { rateLimitRate: 1, retryAfterSeconds: 7 } });
    const delays: number[] = [];
    const client = clientFor(server, {
      sleep: async (ms) => {
        delays.push(ms);
        server.setFaults({});
      },
    });
    await expect(client.storeConfig()).resolves.toMatchObject({ storeCode: 'b2c_10010_vi' });
    expect(delays).toEqual([7000]);
    expect(server.stats.queries).toBe(2);
  });

  it('does not wait for a Retry-After beyond its limit', async () => {
    const server = await startStandin({ faults: { rateLimitRate: 1, retryAfterSeconds: 3600 } });
    const client = clientFor(server, { sleep: async () => undefined });
    await expect(client.storeConfig()).rejects.toMatchObject({ code: 'rate_limited', details: { retryAfterMs: 3_600_000 } });
    expect(server.stats.queries).toBe(1);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('12', 0)).toBe(12_000);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeNull();
  });

  it('recovers from a connection reset mid-response', async () => {
    const server = await startStandin({ faults: { resetRate: 1 } });
    const client = clientFor(server, { sleep: async () => server.setFaults({}) });
    await expect(client.storeConfig()).resolves.toMatchObject({ currency: 'VND' });
    expect(server.stats.queries).toBe(2);
  });

  it('turns the HTML maintenance page into store_unavailable', async () => {
    const server = await startStandin({ faults: { maintenance: true } });
    const client = clientFor(server, { sleep: async () => undefined });
    await expect(client.searchProducts({ query: 'sữa tươi' })).rejects.toMatchObject({
      code: 'store_unavailable',
      message: 'The store is under maintenance',
    });
  });

  it('times out a hung response, and a caller can cancel', async () => {
    const server = await startStandin({ faults: { hang: true } });
    const client = clientFor(server, { headersTimeoutMs: 150, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    await expect(client.storeConfig()).rejects.toMatchObject({ code: 'timeout' });
    const deadline = clientFor(server, { deadlineMs: 100 });
    await expect(deadline.storeConfig()).rejects.toMatchObject({ code: 'timeout' });
    const controller = new AbortController();
    const pending = clientFor(server).storeConfig(controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('a caller that gives up does not cancel an identical call still waiting for the shared request', async () => {
    const server = await startStandin({ faults: { latencyMs: 50 } });
    const client = clientFor(server);
    const controller = new AbortController();
    const first = client.getProduct({ sku: '100007', signal: controller.signal });
    const second = client.getProduct({ sku: '100007' });
    controller.abort();
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    await expect(second).resolves.toMatchObject({ sku: '100007' });
    expect(server.stats.operations.ProductBySku).toBe(1);
  });

  it('keeps Magento error categories and does not retry GraphQL errors', async () => {
    const server = await startStandin();
    const client = clientFor(server);
    await expect(
      client.transport.execute({ query: '{ products(search: "sữa", pageSize: 0) { total_count } }', kind: 'query' }),
    ).rejects.toMatchObject({ code: 'store_input', details: { category: 'graphql-input' } });
    expect(server.stats.queries).toBe(1);
  });
});
