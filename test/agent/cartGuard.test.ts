import { describe, expect, it } from 'vitest';
import type { CommercePort } from '../../src/main/agent/ports';
import type { ToolContext } from '../../src/main/agent/tool';
import { createCartTools } from '../../src/main/agent/tools/cartTools';
import { AppError } from '@shared/errors';
import { clientFor, startStandin } from '../commerce/helpers';

function context(runState = new Map<string, unknown>()): ToolContext {
  return { userId: 'kh-a', sessionId: 's1', runId: 'r1', agentName: 'cart_agent', language: 'vi', signal: new AbortController().signal, runState };
}

describe('add_to_cart never adds twice', () => {
  it("checks the cart instead of adding again when the store's answer was lost", async () => {
    const store = await startStandin();
    const client = clientFor(store);
    // The add reaches the store, then the connection drops before the answer (what a reset looks like).
    const lossy: CommercePort = {
      searchProducts: (input) => client.searchProducts(input),
      getProduct: (input) => client.getProduct(input),
      getCart: (input) => client.getCart(input),
      updateCartItem: (input) => client.updateCartItem(input),
      removeCartItem: (input) => client.removeCartItem(input),
      addToCart: async (input) => {
        await client.addToCart(input);
        throw new AppError('store_unavailable', 'The connection to the store was reset');
      },
    };
    const add = createCartTools(lossy).find((tool) => tool.name === 'add_to_cart')!;
    const sku = (await client.searchProducts({ query: 'sữa tươi', pageSize: 1 })).items[0]!.sku;
    const runState = new Map<string, unknown>();
    const first = await add.execute(add.parse({ sku, quantity: 2 }).ok ? { sku, quantity: 2 } : {}, context(runState));
    expect(first).toMatchObject({ added: { sku, quantity: 2 }, quantityInCart: 2 });
    const retried = await add.execute({ sku, quantity: 2 }, context(runState));
    expect(retried).toMatchObject({ alreadyAdded: true, quantityInCart: 2 });
    expect(store.stats.operations.AddProductsToCart).toBe(1);
    const { cart } = await client.getCart({ customerId: 'kh-a' });
    expect(cart.lines.find((line) => line.sku === sku)?.quantity).toBe(2);
  });

  it('reports a refused add as an error and adds nothing', async () => {
    const store = await startStandin();
    const client = clientFor(store);
    const add = createCartTools(client).find((tool) => tool.name === 'add_to_cart')!;
    await expect(Promise.resolve(add.execute({ sku: 'NO-SUCH-SKU', quantity: 1 }, context()))).rejects.toBeInstanceOf(AppError);
    expect((await client.getCart({ customerId: 'kh-a' })).cart.lines).toEqual([]);
  });
});
