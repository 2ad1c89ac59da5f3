import { describe, expect, it } from 'vitest';
import type { CartChanged } from '@shared/commerce';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { startStandin } from './helpers';

const call = { transport: 'test' } as const;

describe('store settings changed while the app runs', () => {
  it('sends the next search to the newly configured store, demo or real, and closes the old one', async () => {
    const first = await startStandin();
    const second = await startStandin();
    const services = await startServices(tempDir(), { settingsOverrides: { storeEndpoint: first.endpoint } });
    const changes: CartChanged[] = [];
    services.events.subscribe((name, payload) => {
      if (name === 'cart.changed') changes.push(payload as CartChanged);
    });
    try {
      expect(await services.dispatch('catalog.search', { query: 'sữa tươi' }, call)).toMatchObject({ ok: true });
      expect(first.stats.requests).toBeGreaterThan(0);

      const saved = await services.dispatch('settings.set', { storeEndpoint: second.endpoint }, call);
      expect(saved).toMatchObject({ ok: true, value: { storeEndpoint: second.endpoint } });
      const firstRequests = first.stats.requests;
      expect(await services.dispatch('catalog.search', { query: 'nước mắm' }, call)).toMatchObject({ ok: true });
      expect(second.stats.requests).toBeGreaterThan(0);
      expect(first.stats.requests).toBe(firstRequests);
      expect(first.stats.openConnections).toBe(0);

      await services.dispatch('settings.set', { demoStore: true }, call);
      expect(services.commerce.demo).not.toBeNull();
      const secondRequests = second.stats.requests;
      const demoSearch = await services.dispatch('catalog.search', { query: 'gạo' }, call);
      expect(demoSearch).toMatchObject({ ok: true });
      expect(second.stats.requests).toBe(secondRequests);
      // The renderer still hears of cart changes made on the store switched to.
      const sku = (demoSearch as { value: { items: { sku: string; stockStatus: string }[] } }).value.items.find(
        (item) => item.stockStatus === 'in_stock',
      )!.sku;
      expect(await services.dispatch('cart.add', { customerId: 'c', sku, quantity: 1 }, call)).toMatchObject({ ok: true });
      expect(changes).toEqual([expect.objectContaining({ customerId: 'c', recreated: false, cart: expect.objectContaining({ itemCount: 1 }) })]);

      await services.dispatch('settings.set', { demoStore: false }, call);
      expect(services.commerce.demo).toBeNull();
    } finally {
      await services.close();
      await first.close();
      await second.close();
    }
  });
});
