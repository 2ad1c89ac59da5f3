// What the store client writes to the app log, on the real client (undici) against the store
// stand-in, with the real logger writing to a file: the level and the service of each line, and
// that no search text, customer id or cart id ever reaches it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryCartIdStore } from '../../src/main/commerce/cartIds';
import { LOG_FILE_NAME } from '../../src/main/app/config';
import { captureLog, LEVEL, readLogLines, type LogLine } from '../helpers/logCapture';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { clientFor, ManualClock, startStandin } from './helpers';

const withMessage = (lines: LogLine[], msg: string) => lines.filter((line) => line.msg === msg);

describe('commerce log', () => {
  it('a store under maintenance: each retry a warning, the failed call an error, no search text', async () => {
    const server = await startStandin({ faults: { maintenance: true } });
    const capture = captureLog();
    const client = clientFor(server, { logger: capture.child('commerce') });
    const query = 'sữa tươi cho khách 0901234567';
    await expect(client.searchProducts({ query })).rejects.toMatchObject({ code: 'store_unavailable' });

    const lines = capture.lines();
    const retries = withMessage(lines, 'store call failed; retrying');
    expect(retries).toHaveLength(2);
    for (const [index, line] of retries.entries()) {
      expect(line).toMatchObject({
        level: LEVEL.warn,
        service: 'commerce',
        operation: 'SearchProducts',
        code: 'store_unavailable',
        httpStatus: 503,
        attempt: index + 1,
      });
    }
    const [failed, ...more] = withMessage(lines, 'store call failed');
    expect(more).toEqual([]);
    expect(failed).toMatchObject({
      level: LEVEL.error,
      service: 'commerce',
      operation: 'SearchProducts',
      kind: 'query',
      code: 'store_unavailable',
      httpStatus: 503,
    });
    expect(failed!.durationMs).toEqual(expect.any(Number));
    const text = capture.text();
    expect(text).not.toContain('0901234567');
    expect(text).not.toContain('sữa');
    expect(text).not.toContain('maintenance downtime');
  });

  it('the circuit opening (warning) and closing again (info); refused calls only at debug level', async () => {
    const server = await startStandin({ faults: { errorRate: 1 } });
    const capture = captureLog();
    const clock = new ManualClock();
    const client = clientFor(server, {
      clock,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
      breaker: { failureThreshold: 2, openMs: 30_000 },
      logger: capture.child('commerce'),
    });
    const call = () => client.storeConfig();
    for (let i = 0; i < 2; i++) await expect(call()).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(call()).rejects.toMatchObject({ code: 'circuit_open' });
    server.setFaults({});
    await clock.advance(30_000);
    await expect(call()).resolves.toMatchObject({ storeCode: 'b2c_10010_vi' });

    const lines = capture.lines();
    expect(withMessage(lines, 'the store keeps failing; circuit open, calls paused')).toEqual([
      expect.objectContaining({ level: LEVEL.warn, service: 'commerce', circuit: 'open', failures: 2, openMs: 30_000 }),
    ]);
    expect(lines.find((line) => line.code === 'circuit_open')).toMatchObject({ level: LEVEL.debug, msg: 'store call failed' });
    expect(withMessage(lines, 'the store answers again; circuit closed')).toEqual([
      expect.objectContaining({ level: LEVEL.info, service: 'commerce', circuit: 'closed' }),
    ]);
    const order = lines.map((line) => line.msg);
    expect(order.indexOf('store circuit half-open: one probe call goes through')).toBeLessThan(
      order.indexOf('the store answers again; circuit closed'),
    );
  });

  it('a cart the store lost: a warning that names neither the customer nor either cart', async () => {
    const server = await startStandin();
    const capture = captureLog();
    const cartIds = new MemoryCartIdStore();
    const client = clientFor(server, { cartIds, logger: capture.child('commerce') });
    const customerId = 'kh-0901234567';
    const sku = server.catalog.products[0]!.sku;
    await client.addToCart({ customerId, sku, quantity: 1 });
    const lost = cartIds.get(customerId)!;
    server.dropCarts();
    const again = await client.addToCart({ customerId, sku, quantity: 2 });
    expect(again.recreated).toBe(true);
    const replacement = cartIds.get(customerId)!;
    expect(replacement).not.toBe(lost);

    const lines = capture.lines();
    expect(withMessage(lines, 'the store lost a cart; a new one is created (the answer says recreated)')).toEqual([
      expect.objectContaining({ level: LEVEL.warn, service: 'commerce', operation: 'add' }),
    ]);
    // The store's own answer ("Could not find a cart with ID …") is logged by its code only, even at debug level.
    expect(lines.find((line) => line.code === 'store_not_found')).toMatchObject({
      level: LEVEL.debug,
      operation: 'AddProductsToCart',
      cause: 'graphql-no-such-entity',
    });
    const text = capture.text();
    for (const secret of [lost, replacement, customerId]) expect(text).not.toContain(secret);
  });

  it('the app wires its commerce logger: a store that asks for too long a wait is a warning in the app log', async () => {
    const server = await startStandin({ faults: { rateLimitRate: 1, retryAfterSeconds: 600 } });
    const userData = tempDir();
    const services = await startServices(userData, { settingsOverrides: { storeEndpoint: server.endpoint } });
    try {
      const result = await services.dispatch('catalog.search', { query: 'nước mắm' }, { transport: 'test' });
      expect(result).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    } finally {
      await services.close();
    }
    const lines = readLogLines(path.join(userData, LOG_FILE_NAME));
    expect(lines.find((line) => line.msg === 'store client ready')).toMatchObject({
      level: LEVEL.info,
      service: 'commerce',
      store: new URL(server.endpoint).origin,
      demo: false,
    });
    expect(lines.find((line) => line.msg === 'store call failed')).toMatchObject({
      level: LEVEL.warn,
      service: 'commerce',
      operation: 'SearchProducts',
      code: 'rate_limited',
      httpStatus: 429,
    });
  });
});
