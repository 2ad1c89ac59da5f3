import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startDemoStore } from '../../src/main/commerce/demo';
import { clientFor, startStandin } from './helpers';

const post = async (endpoint: string, query: string, headers: Record<string, string> = { Store: 'b2c_10010_vi' }) => {
  const response = await request(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.statusCode,
    body: (await response.body.json()) as { data?: unknown; errors?: { message: string; extensions: { category: string } }[] },
  };
};

describe('the demo store behaves like Magento', () => {
  it('searches per keyword without folding accents', async () => {
    const server = await startStandin();
    const accented = await post(server.endpoint, '{ products(search: "nước mắm") { total_count } }');
    const folded = await post(server.endpoint, '{ products(search: "nuoc mam") { total_count suggestions { search } } }');
    expect((accented.body.data as { products: { total_count: number } }).products.total_count).toBeGreaterThan(10);
    expect(folded.body.data).toMatchObject({ products: { total_count: 0 } });
  });

  it("enforces pagination limits and the minimum query length with Magento's messages", async () => {
    const server = await startStandin();
    const cases: [string, string][] = [
      ['{ products(search: "sữa", pageSize: 0) { total_count } }', 'pageSize value must be greater than 0.'],
      ['{ products(search: "sữa", pageSize: 1000) { total_count } }', 'pageSize value must be less than or equal to 300.'],
      ['{ products(search: "sữa tươi", pageSize: 100, currentPage: 99) { total_count } }', 'currentPage value 99 specified is greater than the'],
      ['{ products(search: "ab") { total_count } }', 'Minimum Search query length is 3'],
    ];
    for (const [query, message] of cases) {
      const { body } = await post(server.endpoint, query);
      expect(body.errors![0]!.message).toContain(message);
      expect(body.errors![0]!.extensions.category).toBe('graphql-input');
    }
  });

  it('requires the Store header and POST for mutations', async () => {
    const server = await startStandin();
    const missing = await post(server.endpoint, '{ storeConfig { store_code } }', {});
    expect(missing.body.errors![0]).toMatchObject({ message: 'Requested store is not found', extensions: { category: 'graphql-no-such-entity' } });
    const viaGet = await request(`${server.endpoint}?query=${encodeURIComponent('mutation { createEmptyCart }')}`, {
      headers: { Store: 'b2c_10010_vi' },
    });
    expect(((await viaGet.body.json()) as { errors: { message: string }[] }).errors[0]!.message).toBe(
      'Mutation requests allowed only for POST requests',
    );
  });

  it("answers an unknown cart with Magento's message", async () => {
    const server = await startStandin();
    const { body } = await post(server.endpoint, '{ cart(cart_id: "nope") { id } }');
    expect(body.errors![0]).toMatchObject({ message: 'Could not find a cart with ID "nope"', extensions: { category: 'graphql-no-such-entity' } });
  });

  it('serves a generated SVG for every product image', async () => {
    const server = await startStandin();
    const product = await clientFor(server).getProduct({ sku: '100007' });
    const image = await request(product.imageUrl!);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/svg+xml');
    expect(await image.body.text()).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });

  it('gets catalog queries as GET and mutations as POST from the client', async () => {
    const server = await startStandin();
    const client = clientFor(server);
    await client.searchProducts({ query: 'sữa tươi' });
    await client.addToCart({ customerId: 'c', sku: server.catalog.products.find((p) => p.salableQty > 0)!.sku, quantity: 1 });
    expect(server.stats.methods).toEqual({ GET: 1, POST: 2 });
  });

  it("starts as the app starts it, with the bundled schema and MM's fields when asked, and no test knobs", async () => {
    const demo = await startDemoStore({ storeCode: 'b2c_10010_vi', mmExtensions: true });
    try {
      const product = await clientFor(demo, { mmExtensions: true }).getProduct({ sku: '100007' });
      expect(product.unit).toBe(demo.catalog.bySku.get('100007')!.unit);
      expect(demo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
      for (const knob of ['setFaults', 'faults', 'stats', 'dropCarts']) expect(knob in demo).toBe(false);
    } finally {
      await demo.close();
    }
  });
});
