import { describe, expect, it, vi } from 'vitest';
import type { CartChanged } from '@shared/commerce';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { startStandin } from './helpers';

const call = { transport: 'test' } as const;

describe('commerce in the app services', () => {
  it('demo mode runs the demo store in-process and the contract channels work against it', async () => {
    const services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    try {
      const changes: CartChanged[] = [];
      services.events.subscribe((name, payload) => {
        if (name === 'cart.changed') changes.push(payload as CartChanged);
      });
      const search = await services.dispatch('catalog.search', { query: 'sua tuoi', pageSize: 3 }, call);
      expect(search).toMatchObject({ ok: true, value: { fallback: { step: 'folded' } } });
      const sku = (search as { value: { items: { sku: string; stockStatus: string }[] } }).value.items.find(
        (item) => item.stockStatus === 'in_stock',
      )!.sku;
      const added = await services.dispatch('cart.add', { customerId: 'chị Lan', sku, quantity: 2 }, call);
      expect(added).toMatchObject({ ok: true, value: { recreated: false, cart: { itemCount: 2 } } });
      expect(changes).toHaveLength(1);
      expect(await services.dispatch('catalog.product', { sku }, call)).toMatchObject({ ok: true, value: { sku } });
      expect(await services.dispatch('catalog.categories', {}, call)).toMatchObject({ ok: true });
    } finally {
      await services.close();
    }
    await expect(services.commerce.storeConfig()).rejects.toMatchObject({ code: 'closed' });
  });

  it('validates requests strictly and writes nothing for bad input; cart ids live in SQLite', async () => {
    const server = await startStandin();
    const services = await startServices(tempDir(), { settingsOverrides: { storeEndpoint: server.endpoint } });
    try {
      const bad = [
        ['cart.add', { customerId: 'c', sku: '100007', quantity: 1000 }],
        ['cart.add', { customerId: 'c', sku: '100007', quantity: 0 }],
        ['cart.add', { customerId: 'c', sku: '<script>', quantity: 1 }],
        ['cart.add', { customerId: 'c', sku: '100007', quantity: 1, extra: true }],
        ['cart.update', { customerId: 'c', uid: 'MQ==', quantity: -1 }],
        ['catalog.search', { query: 'x'.repeat(201) }],
        ['catalog.search', { query: '   ' }],
      ] as const;
      for (const [channel, request] of bad) {
        expect(await services.dispatch(channel, request, call)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      }
      expect(server.stats.requests).toBe(0);
      const count = () => services.db!.prepare('SELECT count(*) AS n FROM commerce_carts').get() as { n: number };
      expect(count().n).toBe(0);
      const sku = server.catalog.products.find((product) => product.salableQty > 3)!.sku;
      expect(await services.dispatch('cart.add', { customerId: 'c', sku, quantity: 1 }, call)).toMatchObject({ ok: true });
      expect(count().n).toBe(1);
    } finally {
      await services.close();
    }
    await vi.waitFor(() => expect(server.stats.openConnections).toBe(0), { timeout: 5000, interval: 10 });
  });
});
