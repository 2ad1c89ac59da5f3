import { describe, expect, it, vi } from 'vitest';
import { clientFor, ManualClock, startStandin } from './helpers';

describe('connection pool and shutdown', () => {
  it('never opens more than the per-origin limit under 500 concurrent calls', async () => {
    const server = await startStandin({ faults: { latencyMs: 5 } });
    const client = clientFor(server);
    const skus = server.catalog.products.slice(0, 500).map((product) => product.sku);
    const results = await Promise.all(skus.map((sku) => client.getProduct({ sku })));
    expect(results).toHaveLength(500);
    expect(server.stats.peakOpenConnections).toBeLessThanOrEqual(30);
    expect(server.stats.peakOpenConnections).toBeGreaterThan(1);
    expect(server.stats.connections).toBeLessThanOrEqual(30);
  });

  it('honours a smaller configured limit', async () => {
    const server = await startStandin({ faults: { latencyMs: 2 } });
    const client = clientFor(server, { connectionsPerOrigin: 4 });
    const skus = server.catalog.products.slice(0, 200).map((product) => product.sku);
    await Promise.all(skus.map((sku) => client.getProduct({ sku })));
    expect(server.stats.peakOpenConnections).toBeLessThanOrEqual(4);
  });

  it('leaves zero open sockets after close, and a second close is harmless', async () => {
    const server = await startStandin();
    const client = clientFor(server);
    await Promise.all(server.catalog.products.slice(0, 50).map((product) => client.getProduct({ sku: product.sku })));
    expect(server.stats.openConnections).toBeGreaterThan(0);
    await client.close();
    await client.close();
    expect(client.transport.openSockets()).toBe(0);
    await vi.waitFor(() => expect(server.stats.openConnections).toBe(0), { timeout: 5000, interval: 10 });
    await expect(client.storeConfig()).rejects.toMatchObject({ code: 'closed' });
  });

  it('rejects in-flight calls with `closed` and closes their sockets', async () => {
    const server = await startStandin({ faults: { hang: true } });
    const client = clientFor(server);
    const calls = server.catalog.products.slice(0, 10).map((product) => client.getProduct({ sku: product.sku }));
    const mutation = client.transport.execute({ query: 'mutation { createEmptyCart }', kind: 'mutation' });
    const outcomes = Promise.allSettled([...calls, mutation]);
    await vi.waitFor(() => expect(server.stats.requests).toBe(11), { timeout: 5000, interval: 10 });
    await client.close();
    for (const outcome of await outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'closed' } });
    expect(client.transport.openSockets()).toBe(0);
    await vi.waitFor(() => expect(server.stats.openConnections).toBe(0), { timeout: 5000, interval: 10 });
  });

  it('rejects calls queued behind the rate limiter with `closed`', async () => {
    const server = await startStandin();
    const client = clientFor(server, { clock: new ManualClock(), rateLimit: { maxRequests: 1, windowMs: 60_000, maxQueue: 10 } });
    await client.storeConfig();
    const queued = Promise.allSettled([client.getProduct({ sku: '100007' }), client.getProduct({ sku: '100014' })]);
    await client.close();
    for (const outcome of await queued) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'closed' } });
    expect(server.stats.requests).toBe(1);
  });
});
