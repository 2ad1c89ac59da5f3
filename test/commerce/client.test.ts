import { describe, expect, it } from 'vitest';
import type { CartChanged } from '@shared/commerce';
import { SqliteCartIdStore } from '../../src/main/commerce/cartIds';
import { openDatabase } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { tempDir } from '../helpers/tempDir';
import { clientFor, startStandin } from './helpers';

describe('catalog search', () => {
  it('finds sữa tươi for "sua tuoi" and says the folded query found it', async () => {
    const client = clientFor(await startStandin());
    const result = await client.searchProducts({ query: 'sua tuoi' });
    expect(result.fallback.step).toBe('folded');
    expect(result.fallback.tried).toEqual(['sua tuoi', 'sữa tươi']);
    expect(result.items.length).toBeGreaterThan(0);
    expect(result.items.every((item) => item.name.toLowerCase().includes('sữa tươi'))).toBe(true);
  });

  it('finds nước mắm for "nuoc mam"', async () => {
    const client = clientFor(await startStandin());
    const result = await client.searchProducts({ query: 'nuoc mam' });
    expect(result.fallback.step).toBe('folded');
    expect(result.items[0]!.name).toMatch(/^Nước mắm/);
  });

  it('answers an exact query directly, with shaped products and no HTML', async () => {
    const client = clientFor(await startStandin());
    const result = await client.searchProducts({ query: 'Sữa tươi Vinamilk', pageSize: 5 });
    expect(result.fallback).toEqual({ step: 'exact', tried: ['Sữa tươi Vinamilk'], attempts: [{ step: 'exact', text: 'Sữa tươi Vinamilk' }] });
    expect(result.items).toHaveLength(5);
    const item = result.items[0]!;
    expect(Object.keys(item).sort()).toEqual(
      expect.arrayContaining(['sku', 'name', 'price', 'originalPrice', 'discountPercent', 'stockStatus', 'imageUrl', 'url']),
    );
    expect(Number.isInteger(item.price) && Number.isInteger(item.originalPrice)).toBe(true);
    expect(item.imageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\/catalog\/product\/\d+\.svg$/);
    expect(JSON.stringify(result)).not.toMatch(/<[a-z]/i);
  });

  it('normalises units ("1 lít" → "1l") and drops terms when needed', async () => {
    const client = clientFor(await startStandin());
    const units = await client.searchProducts({ query: 'sữa tươi Vinamilk 1 lít' });
    expect(units.fallback.step).toBe('units');
    expect(units.query).toBe('sữa tươi vinamilk 1l');
    expect(units.items.length).toBeGreaterThan(0);
    expect(units.items.every((item) => item.unit === 'hộp 1L')).toBe(true);
    const fewer = await client.searchProducts({ query: 'nước mắm Nam Ngư siêu ngon' });
    expect(fewer.fallback.step).toBe('fewer_terms');
    expect(fewer.fallback.attempts.at(-1)).toMatchObject({ step: 'fewer_terms', dropped: ['siêu', 'ngon'] });
    expect(fewer.items[0]!.name).toMatch(/Nước mắm.*Nam Ngư/);
  });

  it('falls back to a name match when no word is whole, and says every attempt in words, never notation', async () => {
    const client = clientFor(await startStandin());
    const name = await client.searchProducts({ query: 'Vinami' });
    expect(name.fallback.step).toBe('name_match');
    expect(name.fallback.attempts.at(-1)).toEqual({ step: 'name_match', text: 'vinami' });
    expect(name.items[0]!.name).toMatch(/Vinamilk/);
    const department = await client.searchProducts({ query: 'đồ giặt giũ' });
    expect(department.items.length).toBeGreaterThan(0);
    expect(department.items.every((item) => /^(Nước giặt|Bột giặt|Nước xả vải)/.test(item.name))).toBe(true);
    for (const result of [name, department]) expect(JSON.stringify(result.fallback)).not.toMatch(/~|category /);
  });

  it('says when nothing was found and what was tried', async () => {
    const client = clientFor(await startStandin());
    const result = await client.searchProducts({ query: 'xyzzy qwerty' });
    expect(result.items).toEqual([]);
    expect(result.fallback.step).toBe('none');
    expect(result.fallback.tried.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a query shorter than the store minimum without calling the store', async () => {
    const server = await startStandin();
    const client = clientFor(server);
    await expect(client.searchProducts({ query: ' ab ' })).rejects.toMatchObject({ code: 'store_input' });
    await expect(client.searchProducts({ query: '' })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(server.stats.requests).toBe(0);
  });

  it('shares identical in-flight queries and caches product queries', async () => {
    const server = await startStandin({ faults: { latencyMs: 20 } });
    const client = clientFor(server);
    const results = await Promise.all(Array.from({ length: 10 }, () => client.getProduct({ sku: '100007' })));
    expect(new Set(results.map((result) => result.sku))).toEqual(new Set(['100007']));
    await client.getProduct({ sku: '100007' });
    expect(server.stats.operations.ProductBySku).toBe(1);
  });

  it('gives product detail as plain text and a typed not-found', async () => {
    const client = clientFor(await startStandin());
    const product = await client.getProduct({ sku: '100007' });
    expect(product.description).not.toMatch(/<|>/);
    expect(product.categories.length).toBe(2);
    await expect(client.getProduct({ sku: '999999999' })).rejects.toMatchObject({ code: 'store_not_found' });
    await expect(client.getProduct({ sku: 'bad sku!' })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it("reads categories and store config; a wrong Store header gets Magento's error", async () => {
    const server = await startStandin();
    const client = clientFor(server);
    const departments = await client.categories();
    expect(departments.map((category) => category.name)).toContain('Đồ uống');
    expect((await client.storeConfig()).currency).toBe('VND');
    const wrong = clientFor(server, { storeCode: 'b2c_99999_vi' });
    await expect(wrong.storeConfig()).rejects.toMatchObject({
      code: 'store_not_found',
      message: 'Requested store is not found',
      details: { category: 'graphql-no-such-entity' },
    });
  });

  it('uses MM fields only when the extension flag is on', async () => {
    const server = await startStandin({ mmExtensions: true });
    const client = clientFor(server, { mmExtensions: true });
    const product = await client.getProduct({ sku: '100007' });
    expect(product.unit).toBe(server.catalog.bySku.get('100007')!.unit);
  });
});

describe('carts', () => {
  it('adds, updates and removes lines with VND totals and announces each change', async () => {
    const server = await startStandin();
    const client = clientFor(server);
    const changes: CartChanged[] = [];
    client.events.on('cartChanged', (change) => changes.push(change));
    const sku = server.catalog.products.find((product) => product.salableQty > 10)!.sku;

    const added = await client.addToCart({ customerId: 'khach-01', sku, quantity: 2 });
    expect(added.recreated).toBe(false);
    expect(added.cart.lines).toHaveLength(1);
    const line = added.cart.lines[0]!;
    expect(line).toMatchObject({ sku, quantity: 2, lineTotal: line.unitPrice * 2 });
    expect(added.cart.grandTotal).toBe(line.lineTotal);

    const updated = await client.updateCartItem({ customerId: 'khach-01', uid: line.uid, quantity: 5 });
    expect(updated.cart.itemCount).toBe(5);
    const removed = await client.removeCartItem({ customerId: 'khach-01', uid: line.uid });
    expect(removed.cart.lines).toEqual([]);
    expect((await client.getCart({ customerId: 'khach-01' })).cart.id).toBe(added.cart.id);
    expect(changes.map((change) => change.cart.itemCount)).toEqual([2, 5, 0]);
  });

  it('maps cart user_errors to typed errors and adds nothing', async () => {
    const server = await startStandin();
    const client = clientFor(server);
    const soldOut = server.catalog.products.find((product) => product.salableQty === 0)!.sku;
    await expect(client.addToCart({ customerId: 'c1', sku: soldOut, quantity: 1 })).rejects.toMatchObject({
      code: 'cart_error',
      details: { code: 'NOT_SALABLE' },
    });
    await expect(client.addToCart({ customerId: 'c1', sku: '123', quantity: 1 })).rejects.toMatchObject({
      details: { code: 'PRODUCT_NOT_FOUND' },
    });
    const few = server.catalog.products.find((product) => product.salableQty > 0 && product.salableQty < 900)!;
    await expect(client.addToCart({ customerId: 'c1', sku: few.sku, quantity: few.salableQty + 1 })).rejects.toMatchObject({
      details: { code: 'INSUFFICIENT_STOCK' },
    });
    expect((await client.getCart({ customerId: 'c1' })).cart.lines).toEqual([]);
  });

  it('rejects bad input before anything reaches the store', async () => {
    const server = await startStandin();
    const client = clientFor(server);
    for (const input of [
      { customerId: 'c1', sku: '100007', quantity: 0 },
      { customerId: 'c1', sku: '100007', quantity: 1000 },
      { customerId: 'c1', sku: '100007', quantity: 1.5 },
      { customerId: 'c1', sku: '1 OR 1=1', quantity: 1 },
      { customerId: '', sku: '100007', quantity: 1 },
    ]) {
      await expect(client.addToCart(input)).rejects.toMatchObject({ code: 'invalid_request' });
    }
    expect(server.stats.requests).toBe(0);
  });

  it('recreates a cart the store lost and says so, never silently', async () => {
    const server = await startStandin();
    const client = clientFor(server);
    const [first, second] = server.catalog.products.filter((product) => product.salableQty > 5);
    const before = await client.addToCart({ customerId: 'c2', sku: first!.sku, quantity: 1 });
    server.dropCarts();
    const after = await client.addToCart({ customerId: 'c2', sku: second!.sku, quantity: 1 });
    expect(after.recreated).toBe(true);
    expect(after.cart.id).not.toBe(before.cart.id);
    expect(after.cart.lines.map((line) => line.sku)).toEqual([second!.sku]);
    server.dropCarts();
    const viewed = await client.getCart({ customerId: 'c2' });
    expect(viewed).toMatchObject({ recreated: true, cart: { lines: [] } });
    const line = (await client.addToCart({ customerId: 'c2', sku: first!.sku, quantity: 1 })).cart.lines[0]!;
    server.dropCarts();
    const changed = await client.updateCartItem({ customerId: 'c2', uid: line.uid, quantity: 3 });
    expect(changed).toMatchObject({ recreated: true, cart: { lines: [] } });
  });

  it('falls back to createEmptyCart on a store without createGuestCart', async () => {
    const server = await startStandin({ withoutCreateGuestCart: true });
    const client = clientFor(server);
    const sku = server.catalog.products.find((product) => product.salableQty > 0)!.sku;
    const result = await client.addToCart({ customerId: 'c3', sku, quantity: 1 });
    expect(result.cart.lines).toHaveLength(1);
    await client.addToCart({ customerId: 'c4', sku, quantity: 1 });
    expect(server.stats.operations.CreateGuestCart).toBe(1);
    expect(server.stats.operations.CreateEmptyCart).toBe(2);
  });

  it("keeps each customer's cart id in SQLite across restarts, and concurrent adds share one cart", async () => {
    const dir = tempDir();
    const { db } = openDatabase(`${dir}/data.sqlite`, migrations);
    const server = await startStandin();
    const skus = server.catalog.products
      .filter((product) => product.salableQty > 5)
      .slice(0, 3)
      .map((product) => product.sku);
    const first = clientFor(server, { cartIds: new SqliteCartIdStore(db, 'test') });
    const results = await Promise.all(skus.map((sku) => first.addToCart({ customerId: 'anh Minh', sku, quantity: 1 })));
    expect(new Set(results.map((result) => result.cart.id)).size).toBe(1);
    await first.close();
    const second = clientFor(server, { cartIds: new SqliteCartIdStore(db, 'test') });
    const cart = await second.getCart({ customerId: 'anh Minh' });
    expect(cart.cart.lines.map((line) => line.sku).sort()).toEqual([...skus].sort());
    expect(server.stats.operations.CreateGuestCart).toBe(1);
    db.close();
  });
});
